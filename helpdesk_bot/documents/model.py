"""What the documents stage hands on, and the state one mail's extraction shares.

Kept apart from the readers so that the rest of the daemon (classify, the store's cache, the
CLI) depends on these plain types only, and each format module depends on this one and not on
each other: ``DocumentText`` and the error codes are the contract; ``_Context`` (limits, the
mail's deadline and ZIP budget), ``_Leaf`` and ``_Failure`` are how a reader reports, shared
inside the package only.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Protocol

from ..config import LimitsConfig

# Error codes (the contract with classify/replies; "" means fine).
ENCRYPTED = "encrypted"
BROKEN = "broken"
TOO_LARGE = "too_large"
TOO_MANY_PAGES = "too_many_pages"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
OLD_DOC_FORMAT = "old_doc_format"
ZIP_BOMB = "zip_bomb"
ZIP_TOO_DEEP = "zip_too_deep"
UNSUPPORTED = "unsupported"
OCR_TIMEOUT = "ocr_timeout"
OCR_UNAVAILABLE = "ocr_unavailable"
EMPTY = "empty"

#: Errors that depend only on the bytes, so they may be cached like a success.
_CACHEABLE_ERRORS = frozenset({"", ENCRYPTED, BROKEN, OLD_DOC_FORMAT, UNSUPPORTED, EMPTY})

_DETAIL_MAX = 300

# ------------------------------------------------------------------------------------------
# Public types


@dataclass(frozen=True)
class DocumentText:
    filename: str
    sha256: str
    kind: str
    method: str
    text: str
    form_values: dict[str, str] = field(default_factory=dict)
    error: str = ""
    detail: str = ""
    origin: str = ""
    pages: int = 0

    def to_json(self) -> dict:
        """Plain JSON types only, for the SQLite cache and the CLI's --json output."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "DocumentText":
        """Tolerates missing and unknown keys, so old cache rows still load after a change."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        kwargs["form_values"] = {str(k): str(v) for k, v in dict(kwargs.get("form_values") or {}).items()}
        for key in ("filename", "sha256", "kind", "method", "text"):
            kwargs.setdefault(key, "")
        kwargs["pages"] = int(kwargs.get("pages") or 0)
        return cls(**kwargs)

    @property
    def ok(self) -> bool:
        return not self.error


class DocumentCache(Protocol):
    def get(self, sha256: str) -> DocumentText | None: ...

    def put(self, doc: DocumentText) -> None: ...


class _Failure(Exception):
    """Raised inside an extractor; becomes a DocumentText with this code at the boundary."""

    def __init__(self, code: str, detail: str, cacheable: bool | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.cacheable = code in _CACHEABLE_ERRORS if cacheable is None else cacheable


@dataclass
class _Context:
    """State shared by all attachments of one mail: limits, the deadline, the ZIP budget.

    The ZIP budget (members, inflated bytes) is the mail's, not each attachment's: with a
    budget per attachment, 30 ZIPs of 99 MiB each were all "within the limit".
    """

    limits: LimitsConfig
    deadline: float
    cache: DocumentCache | None
    zip_bytes: int = 0
    zip_members: int = 0

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


@dataclass
class _Leaf:
    """What a leaf extractor returns; ``complete`` is False when a budget cut it short."""

    kind: str
    method: str
    text: str
    pages: int = 0
    form_values: dict[str, str] = field(default_factory=dict)
    error: str = ""
    detail: str = ""
    complete: bool = True


# ------------------------------------------------------------------------------------------
# Small helpers


def _error_doc(name: str, sha: str, kind: str, code: str, detail: str, origin: str) -> DocumentText:
    return DocumentText(filename=name, sha256=sha, kind=kind, method="none", text="", form_values={},
                        error=code, detail=detail[:_DETAIL_MAX], origin=origin)


def _describe(e: BaseException) -> str:
    text = str(e).strip().replace("\n", " ")
    return f"{type(e).__name__}: {text}"[:_DETAIL_MAX] if text else type(e).__name__


def _code_for(e: Exception) -> str:
    if isinstance(e, MemoryError):
        return TOO_LARGE
    return BROKEN


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"

"""Entry points and dispatch: one attachment in, its documents out, through the cache.

The only module that knows every format: it looks the content's SHA-256 up in the cache,
checks the size, sniffs the kind and hands the bytes to that format's reader (containers
recurse back here for each member). Nothing raises past ``_extract_attachment``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time

from ..config import LimitsConfig
from ..envelope import Attachment
from .archive import _expand_container
from .model import (BROKEN, EMPTY, OLD_DOC_FORMAT, TOO_LARGE, TOO_MANY_ATTACHMENTS, UNSUPPORTED, _CACHEABLE_ERRORS,
                    _DETAIL_MAX, DocumentCache, DocumentText, _code_for, _Context, _describe, _error_doc,
                    _Failure, _Leaf, _mb)
from .office import _extract_docx
from .ocr import _extract_image
from .pdf import _extract_pdf
from .sniff import _sniff_cheap, _unsupported_detail, sniff
from .text import _extract_text

# ------------------------------------------------------------------------------------------
# Entry points


def extract_all(attachments: list[Attachment], limits: LimitsConfig,
                cache: DocumentCache | None = None) -> list[DocumentText]:
    """Text of every attachment of one mail, sharing one OCR deadline (ocr_seconds_per_mail)."""
    ctx = _Context(limits=limits, deadline=time.monotonic() + limits.ocr_seconds_per_mail, cache=cache)
    out: list[DocumentText] = []
    for i, att in enumerate(attachments):
        if i >= limits.max_attachments:
            out.append(_error_doc(att.filename, _sha(att), "unknown", TOO_MANY_ATTACHMENTS,
                                  f"the mail has {len(attachments)} attachments; only the first "
                                  f"{limits.max_attachments} are read", att.origin))
            continue
        out.extend(_extract_attachment(att, ctx))
    return out


def extract_one(att: Attachment, limits: LimitsConfig, cache: DocumentCache | None = None,
                deadline: float | None = None) -> list[DocumentText]:
    """Text of one attachment; a ZIP or winmail.dat gives one entry per member. Never raises."""
    if deadline is None:
        deadline = time.monotonic() + limits.ocr_seconds_per_mail
    return _extract_attachment(att, _Context(limits=limits, deadline=deadline, cache=cache))


def _extract_attachment(att: Attachment, ctx: _Context) -> list[DocumentText]:
    try:
        return _extract_node(att.filename or "lampiran", att.data, att.origin, ctx, depth=0,
                             sha=_sha(att))
    except Exception as e:  # the last line of defence: never let a document kill the daemon
        return [_error_doc(att.filename, _sha(att), "unknown", BROKEN, _describe(e), att.origin)]

# ------------------------------------------------------------------------------------------
# Dispatch and cache


def _extract_node(name: str, data: bytes, origin: str, ctx: _Context, depth: int,
                  sha: str | None = None) -> list[DocumentText]:
    """One file of the tree: cache lookup, size check, sniff, then the extractor for its kind."""
    sha = sha or hashlib.sha256(data).hexdigest()
    cached = _cache_get(ctx.cache, sha)
    if cached is not None:
        return [dataclasses.replace(cached, filename=name, origin=origin)]
    if len(data) > ctx.limits.max_attachment_bytes:
        return [_error_doc(name, sha, _sniff_cheap(data), TOO_LARGE,
                           f"{_mb(len(data))} is over the limit of {_mb(ctx.limits.max_attachment_bytes)}",
                           origin)]
    kind = sniff(data)
    if kind in ("zip", "tnef"):
        try:
            return _expand_container(kind, name, data, origin, ctx, depth, _extract_node)
        except _Failure as f:
            return [_error_doc(name, sha, kind, f.code, f.detail, origin)]
    try:
        leaf = _extract_leaf(kind, data, ctx)
    except _Failure as f:
        leaf = _Leaf(kind=kind, method="none", text="", error=f.code, detail=f.detail,
                     complete=f.cacheable)
    except Exception as e:
        leaf = _Leaf(kind=kind, method="none", text="", error=_code_for(e), detail=_describe(e))
    doc = DocumentText(filename=name, sha256=sha, kind=leaf.kind, method=leaf.method,
                       text=leaf.text, form_values=leaf.form_values, error=leaf.error,
                       detail=leaf.detail[:_DETAIL_MAX], origin=origin, pages=leaf.pages)
    if leaf.complete and doc.error in _CACHEABLE_ERRORS:
        _cache_put(ctx.cache, doc)
    return [doc]


def _extract_leaf(kind: str, data: bytes, ctx: _Context) -> _Leaf:
    if not data:
        return _Leaf(kind="unknown", method="none", text="", error=EMPTY, detail="the file is empty")
    if kind == "pdf":
        return _extract_pdf(data, ctx)
    if kind == "docx":
        return _extract_docx(data, ctx)
    if kind == "image":
        return _extract_image(data, ctx)
    if kind == "text":
        return _extract_text(data)
    if kind == "doc":
        raise _Failure(OLD_DOC_FORMAT, "old Microsoft Office (OLE2) file such as a Word 97-2003 .doc: "
                                       "cannot be read; PDF or DOCX is needed")
    raise _Failure(UNSUPPORTED, _unsupported_detail(data))


def _cache_get(cache: DocumentCache | None, sha: str) -> DocumentText | None:
    """A cache that fails is a cache miss: extraction must not depend on it."""
    if cache is None:
        return None
    try:
        return cache.get(sha)
    except Exception:
        return None


def _cache_put(cache: DocumentCache | None, doc: DocumentText) -> None:
    if cache is None:
        return
    try:
        cache.put(doc)
    except Exception:
        pass


def _sha(att: Attachment) -> str:
    try:
        return att.sha256
    except Exception:
        return hashlib.sha256(att.data or b"").hexdigest()

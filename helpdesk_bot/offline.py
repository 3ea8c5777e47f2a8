"""Classification of saved mail without any mailbox, database or SMTP server.

``classify --json`` and ``--explain`` go through here; ``rules eval``, ``import`` and the daemon's
workers call the same ``analysis.analyse``, so what an operator tests is what the daemon does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import analysis
from . import redact as redaction
from .analysis import Analysis, MemoryCache
from .config import Config
from .documents import DocumentCache
from .ruleset import RuleSet
from .screen import SOFT_RULES

__all__ = ["Analysis", "MemoryCache", "analyse", "classify_file", "to_json"]


def analyse(raw: bytes, config: Config, rules: RuleSet, cache: DocumentCache | None = None) -> Analysis:
    """The daemon's own ``analysis.analyse``, with the limits and addresses of ``config``."""
    return analysis.analyse(raw, rules, config.limits, cache if cache is not None else MemoryCache(),
                            config.own_addresses)


def to_json(path: str, a: Analysis) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": path,
        "request_type": None,
        "documents": [],
        "missing": [],
        "suppress": a.verdict.suppress,
        "suppress_reason": a.verdict.reason or None,
        "suppress_rule": a.verdict.rule or None,
        "fields": {},
        "reasons": [f"{n}: {r}" for n, r in a.verdict.hits],
        "screening": [{"rule": n, "reason": r, "soft": n in SOFT_RULES} for n, r in a.verdict.hits],
        "evidence_override": a.verdict.overridden or None,
        "attachments": [],
        "lacking_data": [],
        "message_id": a.env.message_id,
        "subject": a.env.subject,
        "from": a.env.sender,
    }
    if a.result is not None and not a.verdict.suppress:
        r = a.result
        out.update(
            request_type=r.request_type, documents=r.documents, missing=r.missing,
            fields=redaction.redact_mapping(r.fields), field_problems=r.field_problems,
            reasons=[f"screen:{n}: {x}" for n, x in a.verdict.hits] + r.reasons, lacking_data=r.lacking_data,
            attachments=[{"filename": d.filename, "kind": d.kind, "method": d.method,
                          "documents": [x.doc_id for x in att.documents], "error": d.error or None,
                          "pages": d.pages or None,
                          "found": [{"document": x.doc_id, "pages": [x.page, x.end], "how": x.how, "matched": x.matched}
                                    for x in att.documents]}
                         for d, att in zip(a.docs, r.attachments)],
            documents_found=[{"document": x.doc_id, "filename": att.filename, "pages": [x.page, x.end], "how": x.how}
                             for att in r.attachments for x in att.documents],
        )
    return out


def classify_file(path: str, config: Config, rules: RuleSet, cache: DocumentCache | None = None) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
        a = analyse(raw, config, rules, cache)
        error = a.error
        if not error:
            return to_json(path, a)
    except Exception as e:  # every file gets its line, even when it cannot be read
        error = f"{type(e).__name__}: {e}"
    return {"path": path, "request_type": None, "documents": [], "missing": [], "suppress": False,
            "suppress_reason": None, "fields": {}, "reasons": [], "error": error}

"""Classification of saved mail without any mailbox, database or SMTP server.

``classify --json`` and ``rules eval`` go through here; the daemon goes through pipeline.py.
Both call the same stages (parse, screen, documents, classify), so what an operator tests is
what the daemon does.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from . import redact as redaction
from .classify import Classification, classify
from .config import Config
from .documents import DocumentCache, DocumentText, extract_all
from .envelope import Envelope
from .parse import parse
from .ruleset import RuleSet
from .screen import ScreenContext, ScreenResult, screen


class MemoryCache:
    def __init__(self) -> None:
        self.data: dict[str, DocumentText] = {}

    def get(self, sha256: str) -> DocumentText | None:
        return self.data.get(sha256)

    def put(self, doc: DocumentText) -> None:
        self.data[doc.sha256] = doc


@dataclasses.dataclass
class Analysis:
    env: Envelope
    verdict: ScreenResult
    docs: list[DocumentText]
    result: Classification | None


def analyse(raw: bytes, config: Config, rules: RuleSet, cache: DocumentCache | None = None) -> Analysis:
    env = parse(raw)
    verdict = screen(env, ScreenContext(own_addresses=config.own_addresses))
    if verdict.suppress:
        return Analysis(env, verdict, [], None)
    docs = extract_all(env.attachments, config.limits, cache)
    docs = [dataclasses.replace(d, text=redaction.redact(d.text)) for d in docs]
    return Analysis(env, verdict, docs, classify(env, docs, rules))


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
        "attachments": [],
        "lacking_data": [],
        "message_id": a.env.message_id,
        "subject": a.env.subject,
        "from": a.env.sender,
    }
    if a.result is not None:
        r = a.result
        out.update(
            request_type=r.request_type, documents=r.documents, missing=r.missing,
            fields=redaction.redact_mapping(r.fields), field_problems=r.field_problems,
            reasons=r.reasons, lacking_data=r.lacking_data,
            attachments=[{"filename": d.filename, "kind": d.kind, "method": d.method,
                          "documents": [x.doc_id for x in att.documents], "error": d.error or None}
                         for d, att in zip(a.docs, r.attachments)],
        )
    return out


def classify_file(path: str, config: Config, rules: RuleSet, cache: DocumentCache | None = None) -> dict[str, Any]:
    try:
        raw = Path(path).read_bytes()
        return to_json(path, analyse(raw, config, rules, cache or MemoryCache()))
    except Exception as e:  # every file gets its line, even when it cannot be parsed
        return {"path": path, "request_type": None, "documents": [], "missing": [], "suppress": False,
                "suppress_reason": None, "fields": {}, "reasons": [], "error": f"{type(e).__name__}: {e}"}


def explain_file(path: str, config: Config, rules: RuleSet) -> str:
    from .explain import explain

    return explain(path, config, rules)

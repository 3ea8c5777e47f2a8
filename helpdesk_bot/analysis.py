"""What a mail *is*, as a pure function of its bytes and the rule set: parse, screen, extract, classify.

``analyse`` is the one place where a mail is read. The daemon runs it in a worker process
(workers.py) and hands the result to the pipeline, which decides and commits; ``classify``,
``rules eval`` and ``import`` call it directly. It touches no database, mailbox or clock, so
it can run anywhere, be killed at any moment without losing anything, and its result
(:class:`Analysis`, plain picklable data) can travel between processes.

Nothing it does depends on what is already in the database: threading, duplicates, tickets,
replies and permissions are the pipeline's decisions, taken afterwards in one transaction.
A mail that cannot be read is not an exception here: the Analysis says why (``error``), and
the pipeline quarantines it with that reason.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from . import redact as redaction
from .classify import Classification, classify, request_evidence
from .config import LimitsConfig
from .documents import DocumentCache, DocumentText, extract_all
from .envelope import Envelope
from .parse import ParseError, parse
from .quarantine import is_transient
from .ruleset import RuleSet
from .screen import ScreenContext, ScreenResult, attachment_offers, screen, settle


@dataclass
class Analysis:
    """Everything the decision needs to know about one mail; no side effect has happened yet."""

    #: None when the mail could not be parsed at all (then ``error`` says why).
    env: Envelope | None
    verdict: ScreenResult | None = None
    docs: list[DocumentText] = field(default_factory=list)
    #: None when suppressed by a hard signal, unreadable, or analysed without rules (``rules eval``
    #: caches that part). Present when suppressed by soft signals only (see screen.settle).
    result: Classification | None = None
    #: Why the mail must be quarantined: "ParseError: ...", "timeout: ...", "memory: ...".
    error: str = ""
    traceback: str = ""
    #: Extraction results the caller's cache did not have and could not store itself (a worker
    #: reads the cache but never writes the database): the writer stores them.
    new_cache_entries: list[DocumentText] = field(default_factory=list)
    rules_version: str = ""
    #: The error is the machine's, not the mail's (disk full): retry later, do not quarantine.
    transient: bool = False
    #: Wall time of the analysis, measured where it ran (a worker), observed by metrics in the writer.
    seconds: float = 0.0

    @property
    def suppressed(self) -> bool:
        return self.verdict is not None and self.verdict.suppress


class MemoryCache:
    """A DocumentCache in a dict (classify --json, explain, benchmarks)."""

    def __init__(self) -> None:
        self.data: dict[str, DocumentText] = {}

    def get(self, sha256: str) -> DocumentText | None:
        return self.data.get(sha256)

    def put(self, doc: DocumentText) -> None:
        self.data[doc.sha256] = doc


class RecordingCache:
    """Reads through to another cache, keeps what would be written for the writer to store."""

    def __init__(self, reader: Callable[[str], DocumentText | None] | None = None):
        self.reader = reader
        self.new: list[DocumentText] = []

    def get(self, sha256: str) -> DocumentText | None:
        for doc in self.new:
            if doc.sha256 == sha256:
                return doc
        return self.reader(sha256) if self.reader is not None else None

    def put(self, doc: DocumentText) -> None:
        self.new.append(redact_document(doc))


def redact_document(doc: DocumentText) -> DocumentText:
    """Text and form values with credentials masked: what is cached, stored and classified."""
    return dataclasses.replace(doc, text=redaction.redact(doc.text), filename=redaction.redact_filename(doc.filename),
                               form_values=redaction.redact_mapping(doc.form_values))


def redact_envelope(env: Envelope) -> None:
    """Mask credentials in what is stored and repeated (subject, attachment file names) and
    note whether the sender wrote one anywhere, the body included (the body itself stays
    whole for classification; every stored or logged copy of it is redacted)."""
    found = redaction.has_secret(env.subject) or redaction.has_secret(env.text)
    env.subject = redaction.redact(env.subject)
    renamed = []
    for att in env.attachments:
        name = redaction.redact_filename(att.filename)
        found = found or name != att.filename
        renamed.append(att if name == att.filename else dataclasses.replace(att, filename=name))
    env.attachments = renamed
    env.secret_found = found


def redact_docs(env: Envelope, docs: list[DocumentText]) -> list[DocumentText]:
    """Extracted texts with credentials masked; the envelope learns whether there were any."""
    out = []
    for d in docs:
        text = redaction.redact(d.text)
        values = redaction.redact_mapping(d.form_values)
        # A ZIP member's name ("berkas.zip/password=X.pdf") is shown and stored like the text.
        name = redaction.redact_filename(d.filename)
        if text != redaction.plain(d.text) or values != d.form_values or name != d.filename:
            env.secret_found = True
        out.append(dataclasses.replace(d, text=text, form_values=values, filename=name))
    return out


def analyse(raw: bytes, rules: RuleSet | None, limits: LimitsConfig, cache: DocumentCache | None = None,
            own_addresses: frozenset[str] = frozenset()) -> Analysis:
    """Parse, screen, extract the attached documents and classify; never raises for a bad mail.

    ``rules=None`` stops before classification (what does not depend on the rules).
    """
    started = time.perf_counter()
    a = _analyse(raw, rules, limits, cache, own_addresses)
    a.seconds = time.perf_counter() - started
    return a


def _analyse(raw: bytes, rules: RuleSet | None, limits: LimitsConfig, cache: DocumentCache | None,
             own_addresses: frozenset[str]) -> Analysis:
    env: Envelope | None = None
    try:
        if len(raw) > limits.max_mail_bytes:
            return Analysis(None, error=f"ParseError: mail of {len(raw)} bytes exceeds limits.max_mail_bytes")
        try:
            env = parse(raw)
        except ParseError as e:
            env = e.envelope  # the header block, when that much was safe to read
            if env is not None:
                redact_envelope(env)
            raise
        # A subject is stored with the ticket and repeated in every reply's subject.
        redact_envelope(env)
        verdict = screen(env, ScreenContext(own_addresses=own_addresses))
        version = rules.version if rules is not None else ""
        if verdict.suppress and not verdict.soft:
            return Analysis(env, verdict, rules_version=version)
        # Soft hits (Bcc, "[Penting]", bulk wording, an offer) are settled by the request
        # evidence, so the documents are read first. The result is kept even when the mail stays
        # suppressed: a reply in a ticket's thread (known only to the pipeline) still lifts it.
        docs = redact_docs(env, extract_all(env.attachments, limits, cache))
        result = classify(env, docs, rules) if rules is not None else None
        if result is not None:  # a brochure says what the mail sells when its body does not
            verdict = attachment_offers(verdict, [(a.filename, d.text) for d, a in zip(docs, result.attachments)
                                                  if not a.documents and d.text])
        if verdict.suppress and result is not None:
            verdict = settle(verdict, *request_evidence(env, result))
        new = list(cache.new) if isinstance(cache, RecordingCache) else []
        return Analysis(env, verdict, docs, result, new_cache_entries=new, rules_version=version)
    except MemoryError:
        raise  # the worker reports it as "memory"; in-process callers see it as before
    except Exception as e:
        return Analysis(env, error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc(),
                        transient=is_transient(e))


__all__ = ["Analysis", "MemoryCache", "RecordingCache", "analyse", "redact_document"]

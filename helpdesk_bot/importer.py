"""``helpdesk-bot import PATH``: archived mail (an mbox file, a Maildir, a folder of .eml files
or one .eml file) backfilled as tickets, without sending any reply.

Each mail goes through the daemon's own Pipeline, so an imported mail ends exactly as a live one
would (a ticket, a follow-up, a recorded suppression or duplicate, a quarantine entry), except
that nothing is put in the outbox: the replies are withheld and an event says so. With
``closed=True`` (``import --closed``, for history that was handled long ago) each new ticket is
closed as ``selesai`` on the mail's own date in the same transaction that creates it, so it never
shows as overdue, gets no reminder and is never announced to its requester. The ledger key
is ``import:<sha256 of the bytes>``, so running the same import again skips what is done, and a
mail that also arrives (or arrived) through a mailbox is recognised by its Message-ID.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import email.utils
import hashlib
import mailbox as mailboxlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from .config import Config
from .pipeline import Pipeline
from .reply_service import ArchiveReplies
from .ruleset import RuleSet
from .sources.base import SourceMessage
from .store import Store, Ticket

CLOSED_STATUSES = ("selesai", "ditolak")

log = structlog.get_logger("helpdesk_bot.importer")


class ImportError_(Exception):
    """The path is not something we can import from."""


def close_as_history(store: Store, ticket: Ticket) -> None:
    """``import --closed``: the new ticket is closed on its own date, inside the transaction that
    created it, so it is born closed or not at all (never overdue, never reminded)."""
    if ticket.status in CLOSED_STATUSES:
        return
    store.update_ticket(ticket.id, status="selesai", closed_at=ticket.created_at, next_reminder_at=None, urgent=False)
    store.add_event(ticket.id, "closed_on_import", old=ticket.status, new="selesai",
                    reason="imported as history (import --closed)")


def import_pipeline(config: Config, store: Store, rules: Callable[[], RuleSet], closed: bool = False) -> Pipeline:
    """The daemon's pipeline with a reply service that sends nothing (each reply recorded as
    withheld) and no staff-command hooks (no command in an archive may act or send a notice)."""
    return Pipeline(config, store, rules, hooks=[], replies=ArchiveReplies(config, store, rules),
                    after_create=close_as_history if closed else None)


@dataclass
class ImportSummary:
    path: str
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    tickets: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    closed: bool = False

    def line(self) -> str:
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts.items())) or "nothing"
        skipped = self.counts.get("already_done", 0)
        state = " (closed as history)" if self.closed else ""
        return (f"imported {self.total} mail(s) from {self.path}: {parts}; {len(self.tickets)} new ticket(s){state}, "
                f"{skipped} already imported, no reply sent")


# ---------------------------------------------------------------------------------------------
# Reading archives


def _kind(path: Path) -> str:
    if path.is_dir():
        if all((path / sub).is_dir() for sub in ("cur", "new")):
            return "maildir"
        return "folder"
    with path.open("rb") as f:
        head = f.read(5)
    if head == b"From ":
        return "mbox"
    return "eml"


def iter_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every message, in a stable order."""
    kind = _kind(path)
    if kind == "maildir":
        box = mailboxlib.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.iterkeys()):
            yield f"{path}:{key}", box.get_bytes(key)
    elif kind == "mbox":
        box = mailboxlib.mbox(str(path), create=False)
        try:
            for i, key in enumerate(box.iterkeys()):
                yield f"{path}:#{i + 1}", box.get_bytes(key)
        finally:
            box.close()
    elif kind == "folder":
        for p in sorted(path.rglob("*.eml")):
            yield str(p), p.read_bytes()
    else:
        yield str(path), path.read_bytes()


def count_messages(path: Path) -> int:
    try:
        kind = _kind(path)
        if kind == "maildir":
            return len(mailboxlib.Maildir(str(path), factory=None, create=False))
        if kind == "mbox":
            box = mailboxlib.mbox(str(path), create=False)
            try:
                return len(box)
            finally:
                box.close()
        if kind == "folder":
            return sum(1 for _ in path.rglob("*.eml"))
        return 1
    except OSError as e:
        raise ImportError_(f"{path}: cannot be read: {e.strerror or e}") from e


def mail_date(raw: bytes) -> dt.datetime | None:
    """The Date header as an aware datetime, or None."""
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:65536])
        value = headers.get("Date")
        if not value:
            return None
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# Importing


def import_messages(path: Path, config: Config, mailbox_name: str, keep_dates: bool = True,
                    progress: Callable[[int], Any] | None = None, closed: bool = False) -> ImportSummary:
    from .store import open_store
    from .reload import RulesHolder
    from .store import utcnow

    rules = RulesHolder(config)
    store = open_store(config)
    current: list[dt.datetime | None] = [None]
    if keep_dates:
        # Dates the ticket, its events and its due time by when the mail was sent, not by now.
        store.clock = lambda: current[0] or utcnow()
    pipeline = import_pipeline(config, store, rules.get, closed=closed)
    summary = ImportSummary(str(path), closed=closed)
    try:
        for where, raw in iter_messages(path):
            summary.total += 1
            current[0] = mail_date(raw) if keep_dates else None
            msg = SourceMessage(mailbox_name, "import:" + hashlib.sha256(raw).hexdigest(), raw)
            try:
                out = pipeline.process(msg)
            except Exception as e:  # transient (database locked): report, go on; a re-run retries it
                summary.counts["error"] += 1
                summary.errors.append(f"{where}: {type(e).__name__}: {e}")
                log.error("import_failed", where=where, error=f"{type(e).__name__}: {e}")
            else:
                summary.counts[out.kind] += 1
                if out.kind == "ticket" and out.ticket_id:
                    summary.tickets.append(out.ticket_id)
                if out.kind == "quarantined":
                    summary.errors.append(f"{where}: quarantined: {out.reason[:200]}")
                log.info("mail_imported", where=where, outcome=out.kind, ticket=out.ticket_id)
            if progress is not None:
                progress(1)
    finally:
        store.close()
    log.info("import_finished", path=str(path), total=summary.total, **{k: v for k, v in summary.counts.items()})
    return summary

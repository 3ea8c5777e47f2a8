"""Quarantine: mail that could not be processed, kept with its reason until staff act.

A mail that fails anywhere in the pipeline (parse, documents, classify, template rendering, a
database constraint) ends as one row of the ``quarantine`` table, committed together with its
ledger row (outcome ``quarantined``), so it is never lost and never blocks the mail behind it.

The ``status`` column has three values, and the digest shows only ``open`` rows:

* ``open``: not processed yet; ``raw`` holds the original mail for ``quarantine retry``.
* ``resolved``: a later run (``helpdesk-bot quarantine retry ID``) gave the mail a real outcome
  (ticket, follow-up, duplicate, suppression); the ledger row was replaced by that outcome in
  the same transaction, an event ``quarantine_resolved`` records it, and ``raw`` is cleared,
  since the outcome is kept elsewhere and the original is still in the mailbox.

* ``dismissed``: staff looked and decided the mail needs nothing (``quarantine dismiss ID
  --reason ...``: junk, a test, handled by hand); an event ``quarantine_dismissed`` keeps who and
  why, ``raw`` is cleared, and the ledger row stays ``quarantined`` (that is what happened to it).

A retry that fails again keeps the row ``open``, adds 1 to ``retries`` and stores the new
reason and traceback.

Not every exception is the mail's fault. A locked database, a full disk or a read-only file
system would fail for any mail: such *transient* errors are not quarantined but raised, so the
loop leaves the message unacknowledged and tries again after a backoff (see ``is_transient``).
"""

from __future__ import annotations

import errno
import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .sources.base import SourceMessage
from .store import Store, iso

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Outcome, Pipeline

OPEN = "open"
RESOLVED = "resolved"
DISMISSED = "dismissed"

#: SQLite messages that mean "the database cannot take writes right now", whatever the mail.
_TRANSIENT_SQLITE = (
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "disk i/o error",
    "attempt to write a readonly database",
    "unable to open database file",
    "database schema has changed",
)
_TRANSIENT_ERRNO = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EAGAIN}


def is_transient(exc: BaseException) -> bool:
    """True for infrastructure failures that any mail would hit (retry later, do not quarantine)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, sqlite3.OperationalError) and any(s in str(e).lower() for s in _TRANSIENT_SQLITE):
            return True
        if isinstance(e, OSError) and e.errno in _TRANSIENT_ERRNO:
            return True
        e = e.__cause__ or e.__context__
    return False


@dataclass(frozen=True)
class RetryMessage(SourceMessage):
    """A quarantined mail handed to the pipeline again; its ledger row may be replaced."""

    quarantine_id: int = 0


def is_retry(msg: SourceMessage) -> bool:
    return isinstance(msg, RetryMessage)


def resolve(store: Store, msg: SourceMessage, out: Outcome) -> None:
    """Inside the outcome's transaction: an open quarantine row for this mail becomes resolved."""
    if not is_retry(msg):
        return
    if store.close_quarantine_for(msg.mailbox, msg.key, RESOLVED, only_if=OPEN):
        store.add_event(out.ticket_id, "quarantine_resolved", quarantine_id=getattr(msg, "quarantine_id", 0),
                        mailbox=msg.mailbox, key=msg.key, outcome=out.kind)


class QuarantineError(Exception):
    """A quarantine command cannot be done (unknown id, already resolved)."""


def entries(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    return store.quarantine_entries(status)


def entry(store: Store, qid: int) -> dict[str, Any]:
    row = store.quarantine_entry(qid)
    if row is None:
        raise QuarantineError(f"no quarantine entry #{qid}")
    row["events"] = [{**e, "detail": json.loads(e["detail"] or "{}")} for e in store.quarantine_events(qid)]
    row["ledger"] = store.ledger_entry(row["mailbox"], row["key"])
    return row


def retry(pipeline: Pipeline, qid: int) -> Outcome:
    """Run the stored raw mail through the pipeline again.

    Success: the new outcome replaces the ledger row and the entry becomes ``resolved``, in the
    outcome's own transaction. Failure: the entry stays ``open`` with retries + 1 and the new
    reason. A transient error (database locked, disk full) raises and changes nothing.
    """
    store = pipeline.store
    row = store.quarantine_entry(qid)
    if row is None:
        raise QuarantineError(f"no quarantine entry #{qid}")
    if row["status"] != OPEN:
        raise QuarantineError(f"quarantine entry #{qid} is {row['status']}, not open")
    if row["raw"] is None:
        raise QuarantineError(f"quarantine entry #{qid} has no stored mail")
    msg = RetryMessage(mailbox=row["mailbox"], key=row["key"], raw=bytes(row["raw"]), quarantine_id=qid)
    return pipeline.process(msg)


def dismiss(store: Store, qid: int, reason: str, actor: str) -> None:
    """Close an open entry without processing it; the reason and who decided go in the audit trail."""
    if not reason.strip():
        raise QuarantineError("dismissing needs a reason (--reason), kept in the audit trail")
    with store.transaction():
        row = store.quarantine_entry(qid)
        if row is None:
            raise QuarantineError(f"no quarantine entry #{qid}")
        if row["status"] != OPEN:
            raise QuarantineError(f"quarantine entry #{qid} is {row['status']}, not open")
        store.close_quarantine(qid, DISMISSED)
        store.add_event(None, "quarantine_dismissed", actor=actor, quarantine_id=qid, mailbox=row["mailbox"],
                        key=row["key"], reason=reason.strip()[:1000])


def count_open(store: Store) -> int:
    return store.count_quarantine(OPEN)


__all__ = ["DISMISSED", "OPEN", "RESOLVED", "QuarantineError", "dismiss", "RetryMessage", "count_open", "entries", "entry",
           "is_retry", "is_transient", "iso", "resolve", "retry"]

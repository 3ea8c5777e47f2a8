"""Questions that read across tables for staff and operators: the digest's "anything new?" and
the figures /metrics serves (read on a read-only connection of their own, per scrape)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .base import StoreBase
from .records import iso

#: Events on a ticket that are news for the digest.
_NEWS_EVENTS = ("documents_added", "requester_message", "status_changed", "staff_note")


class ReportStore(StoreBase):
    def activity_since(self, since: dt.datetime, now: dt.datetime) -> bool:
        """Anything since ``since`` the digest must mention although no ticket was opened or
        closed: an open quarantine entry, a failed reply, a ticket falling due before ``now``,
        an outage event, a requester's or staff member's change to a ticket."""
        s = iso(since)
        checks: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("SELECT 1 FROM quarantine WHERE status = 'open' AND created_at >= ? LIMIT 1", (s,)),
            ("SELECT 1 FROM outbox WHERE status = 'failed' AND created_at >= ? LIMIT 1", (s,)),
            ("SELECT 1 FROM tickets WHERE status NOT IN ('selesai', 'ditolak') AND due_at >= ? AND due_at < ? LIMIT 1",
             (s, iso(now))),
            ("SELECT 1 FROM events WHERE kind LIKE 'outage_%' AND at >= ? LIMIT 1", (s,)),
            (f"SELECT 1 FROM events WHERE ticket_id IS NOT NULL AND at >= ? AND kind IN ({','.join('?' * len(_NEWS_EVENTS))}) "
             "LIMIT 1", (s, *_NEWS_EVENTS)),
        )
        return any(self.one(sql, params) for sql, params in checks)


@dataclass(frozen=True)
class DatabaseFigures:
    """What /metrics reports of the database at one moment."""

    #: (mailbox, outcome) -> mails in the ledger.
    mails: dict[tuple[str, str], int] = field(default_factory=dict)
    #: outbox status -> entries.
    outbox: dict[str, int] = field(default_factory=dict)
    #: Pending entries that already failed at least once, and when the oldest pending one was queued.
    outbox_retrying: int = 0
    outbox_oldest_pending: dt.datetime | None = None
    quarantine_open: int = 0
    #: Open ticket status -> tickets, in status order.
    tickets_open: dict[str, int] = field(default_factory=dict)
    tickets_overdue: int = 0


def read_figures(path: str | Path, now: dt.datetime) -> DatabaseFigures:
    """The figures of the database at ``path``, read-only; raises sqlite3.Error when it cannot
    be read (the caller reports the database as down for this scrape)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        mails = {(mailbox, outcome): n for mailbox, outcome, n in
                 conn.execute("SELECT mailbox, outcome, COUNT(*) FROM messages GROUP BY 1, 2")}
        outbox = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        retrying, oldest = conn.execute(
            "SELECT COALESCE(SUM(attempts > 0), 0), MIN(created_at) FROM outbox WHERE status = 'pending'").fetchone()
        (q_open,) = conn.execute("SELECT COUNT(*) FROM quarantine WHERE status = 'open'").fetchone()
        tickets = dict(conn.execute("SELECT status, COUNT(*) FROM tickets WHERE status NOT IN ('selesai', 'ditolak') "
                                    "GROUP BY status ORDER BY status").fetchall())
        (overdue,) = conn.execute("SELECT COUNT(*) FROM tickets WHERE status IN ('baru', 'antre', 'diproses') "
                                  "AND due_at IS NOT NULL AND due_at <= ?", (iso(now),)).fetchone()
    finally:
        conn.close()
    return DatabaseFigures(mails=mails, outbox=outbox, outbox_retrying=retrying,
                           outbox_oldest_pending=dt.datetime.fromisoformat(oldest) if oldest else None,
                           quarantine_open=q_open, tickets_open=tickets, tickets_overdue=overdue)

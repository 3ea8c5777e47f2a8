"""The outbox: every mail the desk sends waits here until the sender delivered or gave it up.

A reply is queued in the same transaction as the ticket change it belongs to; the sender thread
(outbox.Sender) records each attempt's result with the named methods below. Automatic replies
also go into ``outbox_recipients``, one row per mailbox, so the per-sender rate limit is one
indexed count.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..identity import mailbox_key
from .base import StoreBase
from .records import iso


class OutboxStore(StoreBase):
    def enqueue(self, *, ticket_id: str | None, kind: str, automatic: bool, message_id: str, mail_from: str,
                recipients: list[str], raw: bytes, mailbox: str = "", deferred: bool = False) -> int:
        """Queue a mail; ``deferred`` ones wait for ratelimit.release_deferred (overall cap)."""
        now = iso(self.now())
        outbox_id = self.insert("outbox", {
            "ticket_id": ticket_id, "kind": kind, "automatic": int(automatic), "message_id": message_id,
            "mail_from": mail_from, "recipients": json.dumps(recipients), "mailbox": mailbox, "raw": raw,
            "status": "deferred" if deferred else "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
        })
        if automatic:
            # Per-sender limits count the mailbox (case folded, +tag dropped), not the spelling.
            self.conn.executemany("INSERT INTO outbox_recipients VALUES (?, ?, ?)",
                                  [(outbox_id, mailbox_key(r), now) for r in recipients])
        return outbox_id

    # -- the sender's results -----------------------------------------------------------------

    def mark_sent(self, outbox_id: int, attempts: int) -> None:
        """Delivered now, after ``attempts`` attempts in all."""
        self.update("outbox", outbox_id, {"status": "sent", "sent_at": iso(self.now()), "attempts": attempts,
                                          "last_error": None})

    def schedule_retry(self, outbox_id: int, attempts: int, when: dt.datetime, error: str) -> None:
        """A temporary failure: try again at ``when``; the error is kept for staff (capped)."""
        self.update("outbox", outbox_id, {"attempts": attempts, "next_attempt_at": iso(when), "last_error": error[:500]})

    def mark_failed(self, outbox_id: int, attempts: int, error: str) -> None:
        """Given up (permanent error or too many attempts); the digest lists it."""
        self.update("outbox", outbox_id, {"status": "failed", "attempts": attempts, "last_error": error[:500]})

    def release_outbox(self, outbox_id: int, now: dt.datetime) -> None:
        """A deferred mail becomes pending now, and counts against the overall cap from now."""
        self.conn.execute("UPDATE outbox SET status = 'pending', created_at = ?, next_attempt_at = ? "
                          "WHERE id = ? AND status = 'deferred'", (iso(now), iso(now), outbox_id))

    def mark_copied(self, outbox_ids: list[int]) -> None:
        self.conn.executemany("UPDATE outbox SET sent_copy = 1 WHERE id = ?", [(i,) for i in outbox_ids])

    def forget_sent_copies(self, ticket_id: str) -> int:
        """Empty the stored copies of the replies sent (or given up) for a ticket: they quote
        its form fields (retention). How many were emptied."""
        return self.conn.execute("UPDATE outbox SET raw = X'' WHERE ticket_id = ? AND status IN ('sent', 'failed') "
                                 "AND length(raw) > 0", (ticket_id,)).rowcount

    # -- reading ------------------------------------------------------------------------------

    def outbox_status(self, outbox_id: int) -> str | None:
        row = self.one("SELECT status FROM outbox WHERE id = ?", (outbox_id,))
        return row["status"] if row else None

    def next_outbox_attempt(self) -> str | None:
        """When the earliest pending reply may be tried again (ISO), or None."""
        row = self.one("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status = 'pending'")
        return row["t"] if row else None

    def sent_without_copy(self, since: dt.datetime, limit: int) -> list[dict[str, Any]]:
        """Replies sent since ``since`` whose Sent-folder copy is not appended yet."""
        return self.query("SELECT * FROM outbox WHERE status = 'sent' AND sent_copy = 0 AND sent_at >= ? "
                          "ORDER BY id LIMIT ?", (iso(since), limit))

    def undelivered_outbox(self) -> list[dict[str, Any]]:
        """Replies that failed or wait for the hourly cap (the digest lists them)."""
        return self.query("SELECT id, ticket_id, kind, recipients, last_error, created_at, status FROM outbox "
                          "WHERE status IN ('failed', 'deferred') ORDER BY id")

    def retrying_outbox(self, limit: int) -> list[dict[str, Any]]:
        """The newest replies waiting for a retry or given up, with their last error."""
        return self.query("SELECT id, ticket_id, recipients, status, attempts, last_error FROM outbox "
                          "WHERE status IN ('pending', 'failed') AND last_error IS NOT NULL ORDER BY id DESC LIMIT ?",
                          (limit,))

    def deferred_outbox(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Replies held back by the overall hourly cap (id, ticket_id), oldest first."""
        return self.query("SELECT id, ticket_id FROM outbox WHERE status = 'deferred' ORDER BY id LIMIT ?", (limit,))

    def due_outbox(self, now: dt.datetime | None = None, limit: int = 100, ignore_backoff: bool = False,
                   after_id: int = 0) -> list[dict[str, Any]]:
        """Pending rows due now (every pending row with ``ignore_backoff``), by id, above ``after_id``."""
        if ignore_backoff:
            return self.query("SELECT * FROM outbox WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
                              (after_id, limit))
        return self.query("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? AND id > ? "
                          "ORDER BY id LIMIT ?", (iso(now or self.now()), after_id, limit))

    def automatic_replies_since(self, since: dt.datetime, recipient: str | None = None) -> int:
        if recipient:
            row = self.one("SELECT COUNT(*) AS n FROM outbox_recipients WHERE address = ? AND created_at >= ?",
                           (mailbox_key(recipient), iso(since)))
        else:
            # All of the hour's automatic mail (from the index alone) less the deferred ones (few:
            # found by status; the + keeps SQLite off the other index). One count with
            # "status != 'deferred'" read every row of the hour, per mail: quadratic in a backlog.
            row = self.one("SELECT (SELECT COUNT(*) FROM outbox WHERE automatic = 1 AND created_at >= :since)"
                           " - (SELECT COUNT(*) FROM outbox WHERE status = 'deferred' AND +automatic = 1"
                           " AND +created_at >= :since) AS n", {"since": iso(since)})
        return int(row["n"]) if row else 0

    def first_notices(self, start: dt.datetime, end: dt.datetime) -> dict[str, dt.datetime]:
        """Ticket id -> when the first staff notice (kind ``notice_*``) was queued, for the
        tickets created in [start, end) (the report's response times)."""
        rows = self.query(
            "SELECT o.ticket_id AS id, MIN(o.created_at) AS at FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
            "WHERE o.kind LIKE 'notice\\_%' ESCAPE '\\' AND t.created_at >= ? AND t.created_at < ? "
            "GROUP BY o.ticket_id", (iso(start), iso(end)))
        return {r["id"]: dt.datetime.fromisoformat(r["at"]) for r in rows if r["at"]}

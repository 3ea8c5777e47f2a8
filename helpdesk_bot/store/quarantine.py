"""The quarantine table: mail that could not be processed, with its reason, until staff act.

Statuses (quarantine.py explains them): ``open`` (raw kept for a retry), ``resolved`` (a retry
gave it a real outcome), ``dismissed`` (staff decided it needs nothing). Leaving ``open`` clears
the stored mail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .base import StoreBase
from .records import iso


class QuarantineStore(StoreBase):
    def add_quarantine(self, *, mailbox: str, key: str, message_id: str, sender: str, subject: str,
                       reason: str, traceback: str, raw: bytes) -> int:
        existing = self.one("SELECT id, retries FROM quarantine WHERE mailbox = ? AND key = ?", (mailbox, key))
        row = {"mailbox": mailbox, "key": key, "message_id": message_id, "sender": sender,
               "subject": subject[:300], "reason": reason[:2000], "traceback": traceback[-20000:], "raw": raw,
               "created_at": iso(self.now()), "status": "open"}
        if existing:
            row["retries"] = existing["retries"] + 1
            del row["created_at"]  # first quarantined at; retries count the attempts since
            self.db["quarantine"].update(existing["id"], row)
            return int(existing["id"])
        return self.db["quarantine"].insert(row).last_pk

    def close_quarantine_for(self, mailbox: str, key: str, status: str, only_if: str) -> bool:
        """The entry of one source key in status ``only_if`` moves to ``status`` and drops its
        stored mail; False when there was no such entry."""
        cur = self.conn.execute("UPDATE quarantine SET status = ?, raw = NULL WHERE mailbox = ? AND key = ? AND status = ?",
                                (status, mailbox, key, only_if))
        return bool(cur.rowcount)

    def close_quarantine(self, qid: int, status: str) -> None:
        """Entry ``qid`` moves to ``status``; its stored mail is dropped."""
        self.conn.execute("UPDATE quarantine SET status = ?, raw = NULL WHERE id = ?", (status, qid))

    def quarantine_entry(self, qid: int) -> dict[str, Any] | None:
        """One entry, every column (the raw mail included)."""
        return self.one("SELECT * FROM quarantine WHERE id = ?", (qid,))

    def quarantine_entries(self, status: str | None = None) -> list[dict[str, Any]]:
        """Entries (all, or of one status) with the stored mail's size instead of its bytes, by id."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return self.query(
            "SELECT id, mailbox, key, message_id, sender, subject, reason, created_at, status, retries, "
            f"length(raw) AS size FROM quarantine {where} ORDER BY id", params)

    def open_quarantine(self) -> list[dict[str, Any]]:
        """Open quarantine entries without their raw bytes, oldest first."""
        return self.query("SELECT id, mailbox, sender, subject, reason, created_at FROM quarantine "
                          "WHERE status = 'open' ORDER BY created_at")

    def count_quarantine(self, status: str) -> int:
        return self.count("SELECT COUNT(*) AS n FROM quarantine WHERE status = ?", (status,))

    def quarantined_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Entries first quarantined in [start, end), whatever their status now."""
        return self.count("SELECT COUNT(*) AS n FROM quarantine WHERE created_at >= ? AND created_at < ?",
                          (iso(start), iso(end)))

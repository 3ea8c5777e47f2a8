"""The mail ledger (``messages``: one row per source key and its outcome) and named state values.

``sources.Ledger`` is this: whether a key was done, the last IMAP UID seen, the outcome of a
Message-ID (one mail, one ticket), and what a month's report counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .base import StoreBase
from .records import iso, parse_iso


class LedgerStore(StoreBase):
    def mails_since(self, outcomes: tuple[str, ...], since: dt.datetime) -> list[dict[str, Any]]:
        """Ledger rows with one of ``outcomes`` processed since ``since``, oldest first."""
        marks = ", ".join("?" * len(outcomes))
        return self.query(f"SELECT * FROM messages WHERE outcome IN ({marks}) AND processed_at >= ? "
                          "ORDER BY processed_at", (*outcomes, iso(since)))

    def outcome_of(self, mailbox: str, key: str) -> str | None:
        """The recorded outcome of one source key ("quarantined" may be retried), or None."""
        row = self.one("SELECT outcome FROM messages WHERE mailbox = ? AND key = ?", (mailbox, key))
        return row["outcome"] if row else None

    def ledger_entry(self, mailbox: str, key: str) -> dict[str, Any] | None:
        """What the ledger says of one source key: outcome, rule, reason, ticket_id, processed_at."""
        return self.one("SELECT outcome, rule, reason, ticket_id, processed_at FROM messages "
                        "WHERE mailbox = ? AND key = ?", (mailbox, key))

    def is_done(self, mailbox: str, key: str) -> bool:
        return self.one("SELECT 1 AS x FROM messages WHERE mailbox = ? AND key = ?", (mailbox, key)) is not None

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        row = self.one(
            "SELECT MAX(CAST(substr(key, instr(key, ':') + 1) AS INTEGER)) AS uid FROM messages "
            "WHERE mailbox = ? AND key LIKE ?", (mailbox, f"{uidvalidity}:%"))
        return int(row["uid"] or 0) if row else 0

    def record_message(self, mailbox: str, key: str, *, message_id: str, sha256: str, sender: str,
                       subject: str, outcome: str, rule: str = "", reason: str = "", ticket_id: str = "") -> None:
        self.insert("messages", {
            "mailbox": mailbox, "key": key, "message_id": message_id, "sha256": sha256,
            "sender": sender, "subject": subject[:300], "outcome": outcome, "rule": rule,
            "reason": reason[:1000], "ticket_id": ticket_id or None, "processed_at": iso(self.now()),
        }, replace=True)

    def same_mail(self, message_id: str, sender: str, sha256: str) -> dict[str, Any] | None:
        """The first recorded outcome of this very mail: same Message-ID, sender and content
        digest (``messages.sha256`` holds pipeline.content_digest for parsed mail)."""
        if not message_id:
            return None
        return self.one("SELECT * FROM messages WHERE message_id = ? AND sender = ? AND sha256 = ? "
                        "AND outcome != 'quarantined' ORDER BY processed_at LIMIT 1", (message_id, sender, sha256))

    def message_outcome(self, message_id: str) -> dict[str, Any] | None:
        """The first recorded outcome of a Message-ID in any mailbox (one mail, one ticket)."""
        if not message_id:
            return None
        return self.one("SELECT * FROM messages WHERE message_id = ? AND outcome != 'quarantined' "
                        "ORDER BY processed_at LIMIT 1", (message_id,))

    def first_mail_at(self) -> dt.datetime | None:
        """When the first mail was recorded (None on an empty ledger)."""
        row = self.one("SELECT MIN(processed_at) AS t FROM messages")
        return parse_iso(row["t"]) if row else None

    def outcome_counts(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
        """(outcome, mails) recorded in [start, end), most frequent first."""
        rows = self.query("SELECT outcome, COUNT(*) AS n FROM messages WHERE processed_at >= ? AND processed_at < ? "
                          "GROUP BY outcome ORDER BY n DESC, outcome", (iso(start), iso(end)))
        return [(r["outcome"], r["n"]) for r in rows]

    def suppressions_by_rule(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
        """(screening rule, suppressed mails) in [start, end); "(tanpa aturan)" when none was named."""
        rows = self.query("SELECT COALESCE(NULLIF(rule, ''), '(tanpa aturan)') AS rule, COUNT(*) AS n FROM messages "
                          "WHERE outcome = 'suppressed' AND processed_at >= ? AND processed_at < ? "
                          "GROUP BY 1 ORDER BY n DESC, rule", (iso(start), iso(end)))
        return [(r["rule"], r["n"]) for r in rows]

    # -- named state values (last digest, last report, ...) -------------------------------------

    def get_state(self, name: str) -> str | None:
        row = self.one("SELECT value FROM state WHERE name = ?", (name,))
        return row["value"] if row else None

    def set_state(self, name: str, value: str) -> None:
        self.insert("state", {"name": name, "value": value}, replace=True)

"""The schema: every table and index, as numbered migrations applied once each, in order.

A migration is never edited after it shipped: a change is a new entry at the end, so every
database, whatever its age, reaches the same schema. ``doctor`` reads which ones a file has
(``inspect_database``) without writing anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIGRATIONS: list[tuple[str, str]] = [
    ("001_initial", """
    CREATE TABLE tickets (
        id TEXT PRIMARY KEY, year INTEGER NOT NULL, seq INTEGER NOT NULL,
        request_type TEXT NOT NULL, status TEXT NOT NULL,
        requester TEXT NOT NULL, requester_name TEXT, mailbox TEXT, subject TEXT,
        message_id TEXT, documents TEXT NOT NULL DEFAULT '[]', missing TEXT NOT NULL DEFAULT '[]',
        fields TEXT NOT NULL DEFAULT '{}', lacking TEXT NOT NULL DEFAULT '[]',
        reasons TEXT NOT NULL DEFAULT '[]', urgent INTEGER NOT NULL DEFAULT 0,
        needs_staff TEXT, due_at TEXT, start_at TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT,
        reminder_count INTEGER NOT NULL DEFAULT 0, next_reminder_at TEXT, password_confirmed_at TEXT,
        UNIQUE (year, seq));
    CREATE INDEX tickets_status ON tickets(status);
    CREATE TABLE messages (
        mailbox TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT, sha256 TEXT,
        sender TEXT, subject TEXT, outcome TEXT NOT NULL, rule TEXT, reason TEXT, ticket_id TEXT,
        processed_at TEXT NOT NULL, PRIMARY KEY (mailbox, key));
    CREATE INDEX messages_mid ON messages(message_id);
    CREATE INDEX messages_outcome ON messages(outcome, processed_at);
    CREATE TABLE thread_ids (message_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY, ticket_id TEXT, at TEXT NOT NULL, kind TEXT NOT NULL,
        actor TEXT, detail TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX events_ticket ON events(ticket_id);
    CREATE INDEX events_kind ON events(kind, at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, ticket_id TEXT, kind TEXT NOT NULL, automatic INTEGER NOT NULL,
        message_id TEXT NOT NULL, mail_from TEXT NOT NULL, recipients TEXT NOT NULL,
        mailbox TEXT, raw BLOB NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, last_error TEXT,
        created_at TEXT NOT NULL, sent_at TEXT, sent_copy INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY, mailbox TEXT NOT NULL, key TEXT NOT NULL, message_id TEXT,
        sender TEXT, subject TEXT, reason TEXT NOT NULL, traceback TEXT, raw BLOB,
        created_at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', retries INTEGER NOT NULL DEFAULT 0,
        UNIQUE (mailbox, key));
    CREATE TABLE doc_cache (sha256 TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT);
    """),
    # Rate limits count a sender's automatic replies in the last hour and day for every mail:
    # without an index that scan grew with the outbox (15 % of a 1,000-mail backlog).
    ("002_outbox_rate_index", """
    CREATE INDEX outbox_auto_created ON outbox(automatic, created_at);
    CREATE TABLE outbox_recipients (outbox_id INTEGER NOT NULL, address TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE INDEX outbox_recipients_addr ON outbox_recipients(address, created_at);
    INSERT INTO outbox_recipients SELECT outbox.id, lower(r.value), outbox.created_at
        FROM outbox, json_each(outbox.recipients) r WHERE outbox.automatic = 1;
    """),
    # Issue 12: outages staff declare (SLA II.b.9); the requester's own text kept with the ticket
    # (redacted); the onboarding lifecycle (documents -> bimtek scheduled -> attended -> access).
    ("003_outages_onboarding_text", """
    CREATE TABLE outages (
        id INTEGER PRIMARY KEY, text TEXT NOT NULL, started_at TEXT NOT NULL, started_by TEXT,
        ended_at TEXT, ended_by TEXT);
    ALTER TABLE tickets ADD COLUMN requester_text TEXT;
    ALTER TABLE tickets ADD COLUMN outage_id INTEGER;
    ALTER TABLE tickets ADD COLUMN onboarding TEXT;
    ALTER TABLE tickets ADD COLUMN bimtek TEXT;
    """),
    # Staff corrections (corrections.py): each with the ticket's state after it and a reference
    # to the request mail it corrects, replayed by `rules eval --corrections`.
    ("004_corrections", """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        request_type TEXT NOT NULL, missing TEXT NOT NULL, actor TEXT, via TEXT,
        request_message_id TEXT, mail_path TEXT, mail_sha256 TEXT, created_at TEXT NOT NULL);
    CREATE INDEX corrections_ticket ON corrections(ticket_id);
    """),
]


def apply_migrations(conn: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[Any]],
                     now_iso: Callable[[], str]) -> list[str]:
    """Apply the migrations ``conn`` lacks, each in its own write transaction; their names."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {r[0] for r in conn.execute("SELECT name FROM migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with transaction():
            # Re-check under the write lock: the daemon's threads open the database at once,
            # and a second thread must not replay a migration the first just committed.
            if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                continue
            for stmt in (s.strip() for s in sql.split(";")):
                if stmt:
                    conn.execute(stmt)
            conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, now_iso()))
        applied.append(name)
    return applied


@dataclass(frozen=True)
class DatabaseState:
    """What ``doctor`` reports of a database, read without writing anything."""

    integrity: str
    applied: frozenset[str]
    tickets: int

    @property
    def pending(self) -> list[str]:
        return [n for n, _sql in MIGRATIONS if n not in self.applied]

    @property
    def unknown(self) -> list[str]:
        return sorted(self.applied - {n for n, _ in MIGRATIONS})


def inspect_database(path: Path) -> DatabaseState:
    """Integrity, applied migrations and ticket count of an existing file; raises sqlite3.Error.

    Opened immutable and read-only: no lock, no -wal/-shm created, so doctor run as root leaves
    nothing root-owned behind.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, timeout=5)
    try:
        integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            return DatabaseState(integrity, frozenset(), 0)
        try:
            applied = frozenset(r[0] for r in conn.execute("SELECT name FROM migrations"))
        except sqlite3.Error:
            applied = frozenset()
        try:
            tickets = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        except sqlite3.Error:
            tickets = 0
        return DatabaseState(integrity, applied, tickets)
    finally:
        conn.close()

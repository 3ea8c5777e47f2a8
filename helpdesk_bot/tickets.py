"""The tickets database: tickets, the mail ledger, the audit trail, the outbox, the quarantine
and the extraction cache, in one SQLite file through sqlite-utils.

One write transaction holds everything a mail causes (its ledger row, the ticket change, the
events and the replies in the outbox), so a crash at any point leaves either all of it or none
of it. The mailbox is acknowledged only after that commit.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from .identity import mailbox_key
from .documents import DocumentText

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def parse_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


#: Ticket lifecycle (DOMAIN/issue 4): new, waiting for documents, queued, in progress, done, refused.
STATUSES = ("baru", "menunggu_kelengkapan", "antre", "diproses", "selesai", "ditolak")
OPEN_STATUSES = ("baru", "menunggu_kelengkapan", "antre", "diproses")

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


@dataclass(frozen=True)
class Ticket:
    id: str
    request_type: str
    status: str
    requester: str
    requester_name: str
    mailbox: str
    subject: str
    message_id: str
    documents: list[str]
    missing: list[str]
    fields: dict[str, str]
    lacking: list[str]
    reasons: list[str]
    urgent: bool
    needs_staff: str
    due_at: dt.datetime | None
    start_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    reminder_count: int
    next_reminder_at: dt.datetime | None
    password_confirmed_at: dt.datetime | None
    #: The requester's own words (redacted, quoted thread cut off, capped), for staff.
    requester_text: str = ""
    #: The declared outage a gangguan report was answered with.
    outage_id: int | None = None
    #: Onboarding step (workflow.ONBOARDING_STEPS); "" before the documents are complete.
    onboarding: str = ""
    #: The bimtek date and place as staff wrote it (#bimtek).
    bimtek: str = ""

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Ticket:
        return cls(
            id=r["id"], request_type=r["request_type"], status=r["status"], requester=r["requester"],
            requester_name=r["requester_name"] or "", mailbox=r["mailbox"] or "", subject=r["subject"] or "",
            message_id=r["message_id"] or "", documents=json.loads(r["documents"]),
            missing=json.loads(r["missing"]), fields=json.loads(r["fields"]), lacking=json.loads(r["lacking"]),
            reasons=json.loads(r["reasons"]), urgent=bool(r["urgent"]), needs_staff=r["needs_staff"] or "",
            due_at=parse_iso(r["due_at"]), start_at=parse_iso(r["start_at"]),
            created_at=parse_iso(r["created_at"]), updated_at=parse_iso(r["updated_at"]),  # type: ignore[arg-type]
            closed_at=parse_iso(r["closed_at"]), reminder_count=r["reminder_count"],
            next_reminder_at=parse_iso(r["next_reminder_at"]),
            password_confirmed_at=parse_iso(r["password_confirmed_at"]),
            requester_text=r.get("requester_text") or "", outage_id=r.get("outage_id"),
            onboarding=r.get("onboarding") or "", bimtek=r.get("bimtek") or "",
        )

    def to_json(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in d.items():
            if isinstance(v, dt.datetime):
                d[k] = iso(v)
        return d


class DocCacheReader:
    """The extraction cache, read-only: all a worker process sees of the database.

    Workers never write: what they extract travels back in the Analysis and the writer stores it.
    A cache that cannot be read is a cache miss (the analysis must not depend on it).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        """Connected on first use: a worker may start before the daemon created the database."""
        if self.conn is None and self.path.exists():
            try:
                self.conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5,
                                            check_same_thread=False)
            except (sqlite3.Error, ValueError):
                self.conn = None
        return self.conn

    def get(self, sha256: str) -> DocumentText | None:
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT data FROM doc_cache WHERE sha256 = ?", (sha256,)).fetchone()
        except sqlite3.Error:
            return None
        return DocumentText.from_json(json.loads(row[0])) if row else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class Store:
    """One connection; use one Store per thread (SQLite in WAL mode serialises writers)."""

    def __init__(self, path: str | Path, clock: Clock = utcnow):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.clock = clock
        self._depth = 0
        self._lock = threading.RLock()
        self.migrate()

    def close(self) -> None:
        self.conn.close()

    # -- transactions and migrations --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """BEGIN IMMEDIATE ... COMMIT; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                # Re-check under the write lock: the daemon's threads open the database at once,
                # and a second thread must not replay a migration the first just committed.
                if self.conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    continue
                for stmt in (s.strip() for s in sql.split(";")):
                    if stmt:
                        self.conn.execute(stmt)
                self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, iso(self.clock())))
            applied.append(name)
        return applied

    def now(self) -> dt.datetime:
        return self.clock()

    # Plain SQL for the writes every mail makes: sqlite-utils' insert()/update() introspect the
    # table on each call (about 100 statements a mail in a backlog); these are one each.

    def insert(self, table: str, row: dict[str, Any], replace: bool = False) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        cur = self.conn.execute(f"{verb} INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))
        return int(cur.lastrowid or 0)

    def update(self, table: str, pk: Any, values: dict[str, Any], pk_column: str = "id") -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE {pk_column} = ?", (*values.values(), pk))

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        # Not sqlite-utils' query(): it wraps every SELECT in a SAVEPOINT, two extra statements.
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- the mail ledger (sources.Ledger) ----------------------------------------------------

    def mails_since(self, outcomes: tuple[str, ...], since: dt.datetime) -> list[dict[str, Any]]:
        """Ledger rows with one of ``outcomes`` processed since ``since``, oldest first."""
        marks = ", ".join("?" * len(outcomes))
        return self.query(f"SELECT * FROM messages WHERE outcome IN ({marks}) AND processed_at >= ? "
                          "ORDER BY processed_at", (*outcomes, iso(since)))

    def outcome_of(self, mailbox: str, key: str) -> str | None:
        """The recorded outcome of one source key ("quarantined" may be retried), or None."""
        row = self.one("SELECT outcome FROM messages WHERE mailbox = ? AND key = ?", (mailbox, key))
        return row["outcome"] if row else None

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

    # -- tickets ------------------------------------------------------------------------------

    def current_assignee(self, ticket_id: str) -> str:
        """Who the last ``assigned`` event names ("" when nobody or unassigned)."""
        row = self.one("SELECT json_extract(detail, '$.assignee') AS who FROM events WHERE ticket_id = ? "
                       "AND kind = 'assigned' ORDER BY id DESC LIMIT 1", (ticket_id,))
        return (row["who"] or "") if row else ""

    def reminders_due(self, now: dt.datetime) -> list[str]:
        """Done tickets whose password reminder is due and not yet confirmed, oldest first."""
        rows = self.query("SELECT id FROM tickets WHERE status = 'selesai' AND password_confirmed_at IS NULL "
                          "AND next_reminder_at IS NOT NULL AND next_reminder_at <= ? ORDER BY next_reminder_at",
                          (iso(now),))
        return [r["id"] for r in rows]

    def overdue_unrecorded(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Open tickets past their due time with no ``overdue`` event for that due time yet."""
        return self.query(
            "SELECT id, due_at FROM tickets WHERE status IN ('baru', 'antre', 'diproses') AND due_at IS NOT NULL "
            "AND due_at <= ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = tickets.id "
            "AND e.kind = 'overdue' AND json_extract(e.detail, '$.due_at') = tickets.due_at)", (iso(now),))

    def next_ticket_id(self, prefix: str, when: dt.datetime) -> tuple[str, int, int]:
        year = when.year
        row = self.one("SELECT MAX(seq) AS s FROM tickets WHERE year = ?", (year,))
        seq = int(row["s"] or 0) + 1 if row else 1
        return f"{prefix}-{year}-{seq:05d}", year, seq

    def create_ticket(self, prefix: str, **values: Any) -> str:
        now = self.now()
        ticket_id, year, seq = self.next_ticket_id(prefix, now)
        row = {"id": ticket_id, "year": year, "seq": seq, "created_at": iso(now), "updated_at": iso(now)}
        row.update(_encode(values))
        self.insert("tickets", row)
        return ticket_id

    def update_ticket(self, ticket_id: str, **values: Any) -> None:
        values["updated_at"] = self.now()
        self.update("tickets", ticket_id, _encode(values))

    def ticket(self, ticket_id: str) -> Ticket | None:
        row = self.one("SELECT * FROM tickets WHERE id = ?", (ticket_id.upper(),))
        return Ticket.from_row(row) if row else None

    def tickets(self, where: str = "1", params: tuple[Any, ...] = (), order: str = "urgent DESC, created_at") -> list[Ticket]:
        return [Ticket.from_row(r) for r in self.query(f"SELECT * FROM tickets WHERE {where} ORDER BY {order}", params)]

    def link_message_id(self, message_id: str, ticket_id: str) -> None:
        if message_id:
            self.insert("thread_ids", {"message_id": message_id, "ticket_id": ticket_id}, replace=True)

    def ticket_for_message_ids(self, ids: list[str]) -> str | None:
        ids = [i for i in ids if i]
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        rows = self.query(f"SELECT message_id, ticket_id FROM thread_ids WHERE message_id IN ({marks})", tuple(ids))
        found = {r["message_id"]: r["ticket_id"] for r in rows}
        # The nearest ancestor wins: a thread can pass through several tickets.
        return next((found[i] for i in ids if i in found), None)

    def add_event(self, ticket_id: str | None, kind: str, actor: str = "system", **detail: Any) -> None:
        """Record an event; every text in it passes through ``redact`` (staff read events)."""
        from .redact import redact_texts

        self.insert("events", {"ticket_id": ticket_id, "at": iso(self.now()), "kind": kind, "actor": actor,
                                  "detail": json.dumps(redact_texts(detail), ensure_ascii=False, default=str)})

    def events_since(self, kinds: tuple[str, ...], since: dt.datetime) -> list[dict[str, Any]]:
        """Events of the given kinds (any ticket or none) since ``since``, in order."""
        marks = ", ".join("?" * len(kinds))
        return self.query(f"SELECT * FROM events WHERE kind IN ({marks}) AND at >= ? ORDER BY id", (*kinds, iso(since)))

    def events(self, ticket_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,))

    # -- outbox -------------------------------------------------------------------------------

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

    def release_outbox(self, outbox_id: int, now: dt.datetime) -> None:
        """A deferred mail becomes pending now, and counts against the overall cap from now."""
        self.conn.execute("UPDATE outbox SET status = 'pending', created_at = ?, next_attempt_at = ? "
                          "WHERE id = ? AND status = 'deferred'", (iso(now), iso(now), outbox_id))

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

    def mark_copied(self, outbox_ids: list[int]) -> None:
        self.conn.executemany("UPDATE outbox SET sent_copy = 1 WHERE id = ?", [(i,) for i in outbox_ids])

    def undelivered_outbox(self) -> list[dict[str, Any]]:
        """Replies that failed or wait for the hourly cap (the digest lists them)."""
        return self.query("SELECT id, ticket_id, kind, recipients, last_error, created_at, status FROM outbox "
                          "WHERE status IN ('failed', 'deferred') ORDER BY id")

    def due_outbox(self, now: dt.datetime | None = None, limit: int = 100, ignore_backoff: bool = False) -> list[dict[str, Any]]:
        if ignore_backoff:
            return self.query("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,))
        return self.query("SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                          (iso(now or self.now()), limit))

    def automatic_replies_since(self, since: dt.datetime, recipient: str | None = None) -> int:
        if recipient:
            row = self.one("SELECT COUNT(*) AS n FROM outbox_recipients WHERE address = ? AND created_at >= ?",
                           (mailbox_key(recipient), iso(since)))
        else:
            row = self.one("SELECT COUNT(*) AS n FROM outbox WHERE automatic = 1 AND created_at >= ? "
                           "AND status != 'deferred'", (iso(since),))
        return int(row["n"]) if row else 0

    # -- quarantine ---------------------------------------------------------------------------

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

    # -- extraction cache (documents.DocumentCache) ---------------------------------------------

    def get(self, sha256: str) -> DocumentText | None:
        row = self.one("SELECT data FROM doc_cache WHERE sha256 = ?", (sha256,))
        return DocumentText.from_json(json.loads(row["data"])) if row else None

    def put(self, doc: DocumentText) -> None:
        with self.transaction():
            self.insert("doc_cache", {"sha256": doc.sha256, "data": json.dumps(doc.to_json(), ensure_ascii=False),
                                      "created_at": iso(self.now())}, replace=True)

    # -- state --------------------------------------------------------------------------------

    def open_quarantine(self) -> list[dict[str, Any]]:
        """Open quarantine entries without their raw bytes, oldest first."""
        return self.query("SELECT id, mailbox, sender, subject, reason, created_at FROM quarantine "
                          "WHERE status = 'open' ORDER BY created_at")

    # -- outages --------------------------------------------------------------------------------

    def current_outage(self) -> dict[str, Any] | None:
        """The outage staff declared and have not ended (the latest), as a row."""
        return self.one("SELECT * FROM outages WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1")

    def open_outage_reports(self, outage_id: int) -> list[str]:
        """Ids of the tickets linked to an outage that are still open."""
        return [r["id"] for r in self.query("SELECT id FROM tickets WHERE outage_id = ? AND status NOT IN "
                                            "('selesai', 'ditolak') ORDER BY urgent DESC, created_at", (outage_id,))]

    def get_state(self, name: str) -> str | None:
        row = self.one("SELECT value FROM state WHERE name = ?", (name,))
        return row["value"] if row else None

    def set_state(self, name: str, value: str) -> None:
        self.insert("state", {"name": name, "value": value}, replace=True)


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        if isinstance(v, (list, dict, tuple)):
            out[k] = json.dumps(v, ensure_ascii=False)
        elif isinstance(v, dt.datetime):
            out[k] = iso(v)
        elif isinstance(v, bool):
            out[k] = int(v)
        else:
            out[k] = v
    return out


def open_store(config: Config, clock: Clock | None = None) -> Store:
    """The configured database (``[storage] database``, relative to the config file)."""
    path = config.resolve(config.storage.database)
    return Store(path, clock=clock) if clock else Store(path)


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

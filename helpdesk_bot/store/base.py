"""The connection every area of the store shares: pragmas, transactions, the migration run and
four small statement helpers the area modules (and tests) build on.

Code outside ``helpdesk_bot.store`` never calls ``query``/``one``/``insert``/``update`` or
``conn``: it calls the named methods of the areas (tests/test_store_owns_sql.py checks it).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from .records import Clock, iso, utcnow
from .schema import apply_migrations


def _enter_wal(conn: sqlite3.Connection, patience: float = 30.0) -> None:
    """PRAGMA journal_mode=WAL, retried: on a fresh file, while another connection is switching
    it, SQLite answers "database is locked" at once, without calling the busy handler (seen when
    the daemon's threads open a new database together: 1 start in ~15)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


#: One lock per database file, shared by every connection of this process to it (os.path.realpath).
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _forget_write_locks() -> None:
    """In a forked child: a lock another thread of the parent held would stay held for ever."""
    global _WRITE_LOCKS_GUARD
    _WRITE_LOCKS_GUARD = threading.Lock()
    _WRITE_LOCKS.clear()


os.register_at_fork(after_in_child=_forget_write_locks)


def _write_lock(path: str) -> threading.RLock | None:
    """The process-wide lock a transaction on ``path`` holds from BEGIN to COMMIT.

    Why: the daemon's writer, sender and clock threads each have their own connection, and
    SQLite makes a connection that finds the database locked *sleep* in its busy handler (1, 2,
    5, 10 ... ms) and poll again, so two threads writing in turn lost milliseconds per mail to
    sleeps (a 1,000-mail backlog with the sender running beside the writer: 5 -> 11 ms a mail).
    Waiting on this lock wakes a thread the moment the other commits. Other processes (a CLI
    command, a second daemon) still meet SQLite's own lock and busy handler.
    """
    if path == ":memory:":
        return None
    key = os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(key)
        if lock is None:
            lock = _WRITE_LOCKS[key] = threading.RLock()
        return lock


class StoreBase:
    """One connection; use one Store per thread (SQLite in WAL mode serialises writers)."""

    def __init__(self, path: str | Path, clock: Clock = utcnow):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        _enter_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.clock = clock
        self._depth = 0
        self._lock = threading.RLock()
        self._write_lock = _write_lock(self.path)
        self.migrate()

    def close(self) -> None:
        self.conn.close()

    # -- transactions and migrations --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE ... COMMIT; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            lock = self._write_lock
            if lock is not None:
                self._acquire_write_lock(lock)
            try:
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
            finally:
                if lock is not None:
                    lock.release()

    def _acquire_write_lock(self, lock: threading.RLock) -> None:
        """Wait for this process's other writers as long as SQLite would (the connection's
        busy_timeout), then fail the way SQLite does, so callers treat it as a locked database."""
        if lock.acquire(blocking=False):
            return
        row = self.conn.execute("PRAGMA busy_timeout").fetchone()
        if not lock.acquire(timeout=max(int(row[0]) if row else 0, 1) / 1000):
            raise sqlite3.OperationalError("database is locked (another thread of this process is writing)")

    @contextmanager
    def savepoint(self, name: str = "decision") -> Iterator[Any]:
        """A part of the current transaction that an error undoes alone (SAVEPOINT ... RELEASE).

        The writer decides a mail under one; when the decision fails, what it wrote is rolled
        back and the quarantine entry is written in the same transaction instead.
        """
        if not self._depth:
            raise RuntimeError("a savepoint lives inside store.transaction()")
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")

    def migrate(self) -> list[str]:
        return apply_migrations(self.conn, self.transaction, lambda: iso(self.clock()))

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

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """The integer ``n`` a ``SELECT COUNT(*) AS n`` returns (0 without a row)."""
        row = self.one(sql, params)
        return int(row["n"] or 0) if row else 0

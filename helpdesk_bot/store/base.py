"""The connection every area of the store shares: pragmas, transactions, the migration run and
four small statement helpers the area modules (and tests) build on.

Code outside ``helpdesk_bot.store`` never calls ``query``/``one``/``insert``/``update`` or
``conn``: it calls the named methods of the areas (tests/test_store_owns_sql.py checks it).
"""

from __future__ import annotations

import datetime as dt
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

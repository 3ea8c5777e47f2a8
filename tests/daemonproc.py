"""The daemon as a real process, and reading its database from outside, for the real-server
tests and benchmarks (kill -9, restarts, outages)."""

from __future__ import annotations

import collections
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: ``helpdesk-bot`` without relying on the console script being on PATH.
BOT = [sys.executable, "-c", "import sys; from helpdesk_bot.cli import main; sys.exit(main())"]


def start_daemon(config: Path, log: str = "daemon.log") -> subprocess.Popen:
    """``helpdesk-bot --config CONFIG run`` in its own process group, output appended to LOG."""
    with open(config.parent / log, "ab") as f:
        return subprocess.Popen([*BOT, "--config", str(config), "run"], stdout=f, stderr=subprocess.STDOUT,
                                cwd=config.parent, start_new_session=True)


def stop_daemon(proc: subprocess.Popen) -> None:
    """SIGTERM, as systemd stops it; SIGKILL if it has not stopped within 15 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kill_daemon(proc: subprocess.Popen) -> None:
    """kill -9 of the whole process group: no cleanup of any kind."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def db_rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from the daemon's database, read-only; [] before it exists or is migrated."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()


def db_count(db: Path, sql: str, params: tuple = ()) -> int:
    rows = db_rows(db, sql, params)
    return int(rows[0][0]) if rows else 0


def wait_for(cond: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> object:
    """Poll ``cond`` until it is truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def replies_per_ticket(raws: list[bytes]) -> collections.Counter:
    """How many accepted replies each ticket got (their X-Helpdesk-Ticket header)."""
    return collections.Counter(email.message_from_bytes(raw, policy=email.policy.default)["X-Helpdesk-Ticket"]
                               for raw in raws)

"""Delivers what the outbox table holds: over SMTP (aiosmtplib) or into a directory of .eml files.

A reply is in the outbox from the same commit as its ticket, so a crash never loses one. An
entry is marked sent only after the server accepted it; a crash in between can send that one
mail twice (with the same Message-ID), never zero times. Temporary failures (connection refused,
timeouts, 4xx) retry with exponential backoff; a permanent refusal (5xx) or too many attempts
mark it failed and shown to staff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib
import structlog

from .config import Config, SmtpConfig
from .store import Store, iso

log = structlog.get_logger("helpdesk_bot.outbox")

MAX_BACKOFF = 3600.0


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class PermanentError(Exception):
    pass


def _tls_context(cfg: SmtpConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cfg.ca_file or None)
    if not cfg.tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class DirectoryTransport:
    """The embedded default: each mail becomes an .eml file, written atomically."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    async def __aenter__(self) -> DirectoryTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, row: dict[str, Any]) -> None:
        name = f"{row['id']:06d}-{(row['ticket_id'] or 'mail')}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(row["raw"])
        os.replace(tmp, self.path / name)


class SmtpTransport:
    """One SMTP connection for a batch of mails."""

    def __init__(self, cfg: SmtpConfig):
        self.cfg = cfg
        self.client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> SmtpTransport:
        c = self.cfg
        client = aiosmtplib.SMTP(
            hostname=c.host, port=c.port, timeout=c.timeout,
            use_tls=c.security == "ssl", start_tls=True if c.security == "starttls" else False,
            tls_context=_tls_context(c) if c.security != "none" else None,
        )
        await client.connect()
        if c.username:
            await client.login(c.username, c.secret())
        self.client = client
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                await self.client.quit()
            except Exception:
                self.client.close()

    async def send(self, row: dict[str, Any]) -> None:
        assert self.client is not None
        recipients = json.loads(row["recipients"])
        try:
            errors, _ = await self.client.sendmail(row["mail_from"], recipients, row["raw"])
        except aiosmtplib.SMTPRecipientsRefused as e:
            raise PermanentError(str(e)) from e
        except aiosmtplib.SMTPResponseException as e:
            if 500 <= e.code < 600:
                raise PermanentError(f"{e.code} {e.message}") from e
            raise


def make_transport(config: Config) -> DirectoryTransport | SmtpTransport:
    if config.smtp.kind == "directory":
        return DirectoryTransport(config.resolve(config.smtp.path))
    return SmtpTransport(config.smtp)


class Sender:
    """Sends due outbox entries; safe to call from any thread with its own Store."""

    def __init__(self, config: Config, store: Store, on_sent: Callable[[list[dict[str, Any]]], None] | None = None):
        self.config = config
        self.store = store
        self.on_sent = on_sent
        self._copies_paused_until = 0.0
        self._copy_pause = 0.0

    def backoff(self, attempts: int) -> float:
        return min(self.config.smtp.retry_base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)

    def flush(self, ignore_backoff: bool = False, seen: set[int] | None = None) -> DeliveryResult:
        return asyncio.run(self.flush_async(ignore_backoff, seen))

    async def flush_async(self, ignore_backoff: bool = False, seen: set[int] | None = None) -> DeliveryResult:
        """Send what is due; ``seen`` (outbox ids) is shared by the flushes of one ``run --once``
        so that none of them tries a row twice in the same run."""
        result = DeliveryResult()
        seen = set() if seen is None else seen
        self.retry_copies()
        after = 0  # pages through the outbox by id: rows tried already never hide the ones after them
        while True:
            page = self.store.due_outbox(limit=200, ignore_backoff=ignore_backoff, after_id=after)
            if not page:
                return result
            after = page[-1]["id"]
            rows = [r for r in page if r["id"] not in seen]
            if not rows:
                continue
            try:
                async with make_transport(self.config) as transport:
                    for row in rows:
                        seen.add(row["id"])  # before the attempt: a row is tried once per run
                        await self._send_one(transport, row, result)
            except (OSError, asyncio.TimeoutError, aiosmtplib.SMTPException) as e:
                # Connection-level failure: every remaining row of this batch waits for a retry.
                seen.update(r["id"] for r in rows)
                for row in rows:
                    if self.store.outbox_status(row["id"]) == "pending":
                        self._retry(row, f"{type(e).__name__}: {e}", result)
                self.retry_copies()
                return result
            self.retry_copies()

    async def _send_one(self, transport: DirectoryTransport | SmtpTransport, row: dict[str, Any], result: DeliveryResult) -> None:
        try:
            await transport.send(row)
        except PermanentError as e:
            self._fail(row, str(e), result)
            return
        except aiosmtplib.SMTPResponseException as e:
            self._retry(row, f"{e.code} {e.message}", result)
            return
        with self.store.transaction():
            self.store.mark_sent(row["id"], attempts=row["attempts"] + 1)
            self.store.add_event(row["ticket_id"], "mail_sent", mail_kind=row["kind"], message_id=row["message_id"],
                                 to=json.loads(row["recipients"]))
        result.sent += 1
        log.info("mail_sent", ticket=row["ticket_id"], kind=row["kind"], outbox_id=row["id"])

    def retry_copies(self, limit: int = 200) -> int:
        """Append Sent-folder copies of what was sent and not yet copied, a batch at a time.

        Called after every batch of sends and at the start of each flush, so copies that failed
        (IMAP server down or restarting) are appended later. Only mail sent in the last day is
        tried, so a folder that cannot take copies costs a bounded number of attempts; after a
        failure copying pauses (2 s doubling to a minute) so that it never holds up replies.
        """
        if not self.on_sent or time.monotonic() < self._copies_paused_until:
            return 0
        self._copies_paused_until = 0.0
        since = self.store.now() - dt.timedelta(days=1)
        done = 0
        while True:
            rows = self.store.sent_without_copy(since, limit)
            if not rows:
                return done
            try:
                self.on_sent(rows)
            except Exception as e:  # a Sent-folder copy must never undo a delivery
                # Pause 2 s, 4 s, ... up to a minute: a restarting server is back in seconds,
                # a dead one must not hold up replies.
                self._copy_pause = min(max(self._copy_pause * 2, 2.0), 60.0)
                self._copies_paused_until = time.monotonic() + self._copy_pause
                log.warning("sent_copy_failed", count=len(rows), error=str(e), retry_in=self._copy_pause)
                return done
            self._copy_pause = 0.0
            with self.store.transaction():
                self.store.mark_copied([r["id"] for r in rows])
            done += len(rows)

    def _retry(self, row: dict[str, Any], error: str, result: DeliveryResult) -> None:
        attempts = row["attempts"] + 1
        if attempts >= self.config.smtp.max_attempts:
            self._fail(row, f"gave up after {attempts} attempts: {error}", result)
            return
        when = self.store.now() + dt.timedelta(seconds=self.backoff(attempts))
        with self.store.transaction():
            self.store.schedule_retry(row["id"], attempts, when, error)
        result.retried += 1
        log.warning("mail_retry", ticket=row["ticket_id"], outbox_id=row["id"], attempts=attempts,
                    next_attempt_at=iso(when), error=error[:200])

    def _fail(self, row: dict[str, Any], error: str, result: DeliveryResult) -> None:
        with self.store.transaction():
            self.store.mark_failed(row["id"], row["attempts"] + 1, error)
            self.store.add_event(row["ticket_id"], "mail_failed", error=error[:500], mail_kind=row["kind"])
        result.failed += 1
        log.error("mail_failed", ticket=row["ticket_id"], outbox_id=row["id"], error=error[:200])

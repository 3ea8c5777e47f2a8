"""IMAP source: reads a mailbox without disturbing the staff who read it too.

Mail is fetched with ``BODY.PEEK[]`` so it stays unread in the staff's clients, and "done" is a
private keyword (``$HelpdeskDone``) rather than ``\\Seen``, which belongs to the humans. Which
messages are new is decided by the ledger (UIDVALIDITY + UID in SQLite), not by flags, so a crash
between the database commit and the ack neither loses nor doubles a message.

Every method raises :class:`ImapConnectionLost` (an ``OSError``) when the connection dies; the
daemon loop then calls :meth:`ImapSource.ensure_connected`, which reconnects with backoff.
"""

from __future__ import annotations

import imaplib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import SocketTimeout

from .base import Source, SourceMessage

#: How far below the ledger's highest done UID unfinished mail is looked for: a crash can leave
#: committed mail unacknowledged (the daemon acks in batches, with decisions still outstanding)
#: and a slow mail unfinished while later ones were done. daemon.py bounds both
#: (ACK_BATCH + MAX_DECIDING + MAX_AHEAD = 300 mails); tests/test_imap_source.py checks the sum.
ACK_WINDOW = 1000
DONE_KEYWORD = "$HelpdeskDone"
QUARANTINE_KEYWORD = "$HelpdeskQuarantine"
SEEN = b"\\Seen"
DELETED = b"\\Deleted"

#: Longest blocking slice while waiting, so a stop request is honoured within about a second.
WAIT_SLICE = 0.5
#: Reconnect backoff: first delay, and the cap it doubles up to.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
#: Socket timeouts: connecting, and one read during a normal command (not during IDLE).
CONNECT_TIMEOUT = 30.0
READ_TIMEOUT = 120.0

T = TypeVar("T")


class ImapConnectionLost(ConnectionError):
    """The IMAP connection is gone; call ``ensure_connected()`` and try again."""


def is_connection_error(exc: BaseException) -> bool:
    """True for errors that mean the connection is dead (retry after reconnect), not a bad request."""
    return isinstance(exc, (OSError, EOFError, imaplib.IMAP4.abort, ssl.SSLError))


def ssl_context(verify: bool, ca_file: str = "") -> ssl.SSLContext:
    """The client TLS context; ``verify=False`` is for test servers only."""
    ctx = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def parse_key(key: str) -> tuple[int, int]:
    """``"UIDVALIDITY:UID"`` -> (uidvalidity, uid)."""
    validity, _, uid = key.partition(":")
    return int(validity), int(uid)


def interruptible_sleep(seconds: float, stop: threading.Event) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set (returns at once then)."""
    return stop.wait(max(0.0, seconds))


class ImapSource(Source):
    """One IMAP folder as a source of mail for the helpdesk.

    Not thread-safe: one IMAP connection has one command in flight (and none during IDLE), so
    every method must be called from the thread that runs this mailbox's loop.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._folders: set[str] = set()
        #: (UIDVALIDITY, UIDNEXT) at the last fetch_new: what "new" means for wait().
        self._checked: tuple[int, int | None] | None = None
        self.log = structlog.get_logger().bind(mailbox=self.mb.name)

    # -- connection ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def uidvalidity(self) -> int | None:
        """UIDVALIDITY of the folder at the last SELECT."""
        return self._uidvalidity

    def connect(self) -> None:
        """Connect, log in and select the folder; raises on any failure (nothing half-open)."""
        self.close()
        mb = self.mb
        self.log.info("imap.connect", host=mb.host, port=mb.port, security=mb.security, username=mb.username)
        client = self._open()
        try:
            client.login(mb.username, mb.secret())
            self._client = client
            self._select()
        except BaseException:
            self._client = None
            _quiet(client.shutdown)
            raise
        self.log.info("imap.connected", host=mb.host, uidvalidity=self._uidvalidity,
                      idle=self._idle_supported())

    def _open(self) -> IMAPClient:
        """The TCP (and TLS) connection, before login."""
        mb = self.mb
        ctx = ssl_context(mb.tls_verify, mb.ca_file) if mb.security in ("ssl", "starttls") else None
        client = IMAPClient(
            mb.host, port=mb.port, ssl=mb.security == "ssl", ssl_context=ctx,
            timeout=SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        )
        if mb.security == "starttls":
            try:
                client.starttls(ctx)
            except BaseException:
                _quiet(client.shutdown)
                raise
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        self._folders.clear()
        self._checked = None
        if client is not None:
            _quiet(client.logout)
            _quiet(client.shutdown)

    def _drop(self, exc: BaseException) -> ImapConnectionLost:
        """Forget a dead connection and say so; the caller raises the result."""
        client, self._client = self._client, None
        self._folders.clear()
        self._checked = None
        if client is not None:
            _quiet(client.shutdown)
        self.log.warning("imap.connection_lost", error=f"{type(exc).__name__}: {exc}")
        return ImapConnectionLost(f"{self.mb.name}: IMAP connection lost: {exc}")

    def _call(self, fn: Callable[[IMAPClient], T]) -> T:
        """Run one client operation, turning a dead connection into ImapConnectionLost."""
        if self._client is None:
            raise ImapConnectionLost(f"{self.mb.name}: not connected")
        try:
            return fn(self._client)
        except ImapConnectionLost:
            raise
        except Exception as exc:
            if is_connection_error(exc):
                raise self._drop(exc) from exc
            raise

    def ensure_connected(self, stop: threading.Event | None = None, probe: bool = True) -> bool:
        """Make sure there is a live connection, reconnecting with exponential backoff.

        Returns True when connected, False when ``stop`` was set first. With ``probe`` an
        existing connection is checked with NOOP, because a server restart is only noticed
        when the socket is used.
        """
        stop = stop or threading.Event()
        lost = False
        if self._client is not None:
            if not probe:
                return True
            try:
                self._call(lambda c: c.noop())
                return True
            except ImapConnectionLost:
                lost = True
        delay, attempt = BACKOFF_FIRST, 0
        while not stop.is_set():
            attempt += 1
            try:
                self.connect()
                if lost or attempt > 1:
                    self.log.info("imap.reconnected", attempts=attempt)
                return True
            except Exception as exc:
                self.log.warning("imap.reconnect", attempt=attempt, retry_in=delay,
                                 error=f"{type(exc).__name__}: {exc}")
            if interruptible_sleep(delay, stop):
                break
            delay = min(delay * 2, BACKOFF_MAX)
        return False

    def _select(self) -> tuple[int, int | None]:
        """(Re)select the folder; returns (UIDVALIDITY, UIDNEXT or None if not sent).

        SELECT is also what makes Dovecot look at the folder again: SEARCH alone does not
        show messages delivered since the last sync.
        """
        info = self._call(lambda c: c.select_folder(self.mb.folder))
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = info.get(b"UIDNEXT")
        return self._uidvalidity, int(uidnext) if uidnext is not None else None

    # -- reading ---------------------------------------------------------------------------

    def fetch_new(self, batch: int = 50) -> Iterator[SourceMessage]:
        """Messages after the ledger's last UID that are neither done nor acked, oldest first.

        Re-selecting first notices a UIDVALIDITY change; the ledger then answers 0 and the
        whole folder is rescanned, with done keys (and acked keywords) skipped.
        """
        validity, uidnext = self._select()
        self._checked = (validity, uidnext)
        last = self.ledger.last_uid(self.name, validity)
        # Acks go out in batches after their commits, so a crash can leave the last batch done
        # in the ledger but without the keyword: look back that far, and _skip_done finishes them.
        first = max(last - ACK_WINDOW, 1)
        uids = [u for u in self._search_candidates(first - 1) if u >= first]
        pending = self._skip_done(validity, uids)
        for start in range(0, len(pending), max(1, batch)):
            chunk = pending[start:start + batch]
            data = self._call(lambda c: c.fetch(chunk, ["BODY.PEEK[]"]))
            for uid in chunk:
                raw = data.get(uid, {}).get(b"BODY[]")
                if raw is None:  # expunged between SEARCH and FETCH
                    continue
                yield SourceMessage(mailbox=self.name, key=f"{validity}:{uid}", raw=bytes(raw))

    def _has_unchecked_mail(self) -> bool:
        """True if mail may have arrived since the last fetch_new (or none has run yet).

        Needed because Dovecot's IDLE only reports changes made after IDLE started: a message
        delivered between fetch_new's SELECT and our IDLE, or announced in the reply to an ack's
        STORE, would otherwise wait for the next IDLE renewal. Re-selecting syncs the folder and
        tells UIDNEXT; the window left is one round trip, closed at the latest by the IDLE
        renewal (``idle_timeout``) or the caller's timeout.
        """
        if self._checked is None:
            return True
        validity, uidnext = self._select()
        if uidnext is None:  # server without UIDNEXT: rely on IDLE alone rather than spin
            return validity != self._checked[0]
        return (validity, uidnext) != self._checked

    def _search_candidates(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid`` without our done/quarantine keywords.

        Excluding acked messages by keyword as well protects against doubling when the ledger
        cannot help, e.g. after a UIDVALIDITY change (keywords survive, UID keys do not).
        """
        criteria = ["UID", f"{last_uid + 1}:*", "NOT", "KEYWORD", DONE_KEYWORD,
                    "NOT", "KEYWORD", QUARANTINE_KEYWORD]
        return sorted(self._call(lambda c: c.search(criteria)))

    def _skip_done(self, validity: int, uids: list[int]) -> list[int]:
        """Drop ledger-done UIDs, finishing their ack (a crash came between commit and ack)."""
        done = [u for u in uids if self.ledger.is_done(self.name, f"{validity}:{u}")]
        if done:
            self.log.info("imap.complete_ack", count=len(done))
            self._call(lambda c: c.add_flags(done, [DONE_KEYWORD], silent=True))
        done_set = set(done)
        return [u for u in uids if u not in done_set]

    # -- writing ---------------------------------------------------------------------------

    def _uid_of(self, msg: SourceMessage) -> int | None:
        """The message's UID in the selected folder, or None if UIDVALIDITY has changed since."""
        validity, uid = parse_key(msg.key)
        if self._client is None:
            raise ImapConnectionLost(f"{self.mb.name}: not connected")
        if validity != self._uidvalidity:
            self.log.warning("imap.stale_key", key=msg.key, uidvalidity=self._uidvalidity)
            return None
        return uid

    def ack(self, msg: SourceMessage) -> None:
        """Set ``$HelpdeskDone``; ``\\Seen`` is left to the staff."""
        uid = self._uid_of(msg)
        if uid is not None:
            self._call(lambda c: c.add_flags([uid], [DONE_KEYWORD], silent=True))

    def ack_many(self, msgs: list[SourceMessage]) -> None:
        """One STORE for a batch: a backlog is acknowledged in round trips of 50, not one each."""
        uids = [u for u in (self._uid_of(m) for m in msgs) if u is not None]
        if uids:
            self._call(lambda c: c.add_flags(uids, [DONE_KEYWORD], silent=True))

    def quarantine(self, msg: SourceMessage) -> None:
        """Move to the quarantine folder if configured, else mark with ``$HelpdeskQuarantine``."""
        uid = self._uid_of(msg)
        if uid is None:
            return
        folder = self.mb.quarantine_folder
        if not folder:
            self._call(lambda c: c.add_flags([uid], [QUARANTINE_KEYWORD], silent=True))
            return
        self._ensure_folder(folder)
        self._call(lambda c: self._move(c, uid, folder))
        self.log.info("imap.quarantined", key=msg.key, folder=folder)

    @staticmethod
    def _move(client: IMAPClient, uid: int, folder: str) -> None:
        """MOVE where offered, else COPY + \\Deleted + UID EXPUNGE (or EXPUNGE)."""
        if client.has_capability("MOVE"):
            client.move([uid], folder)
            return
        client.copy([uid], folder)
        client.add_flags([uid], [DELETED], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()

    def append_sent(self, raw: bytes) -> None:
        """Keep a copy of what the daemon sent, read, so staff see the whole conversation."""
        folder = self.mb.sent_folder
        if not folder:
            return
        self._ensure_folder(folder)
        self._call(lambda c: c.append(folder, raw, flags=[SEEN]))

    def append_sent_many(self, raws: list[bytes]) -> None:
        """MULTIAPPEND (RFC 3502) where the server offers it: one round trip for a batch."""
        folder = self.mb.sent_folder
        if not folder or not raws:
            return
        if len(raws) == 1 or not self._call(lambda c: c.has_capability("MULTIAPPEND")):
            for raw in raws:
                self.append_sent(raw)
            return
        self._ensure_folder(folder)
        self._call(lambda c: c.multiappend(folder, [{"msg": raw, "flags": [SEEN]} for raw in raws]))

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._folders:
            return
        if not self._call(lambda c: c.folder_exists(folder)):
            try:
                self._call(lambda c: c.create_folder(folder))
                self.log.info("imap.folder_created", folder=folder)
            except IMAPClientError:
                if not self._call(lambda c: c.folder_exists(folder)):  # lost a creation race?
                    raise
        self._folders.add(folder)

    # -- waiting ---------------------------------------------------------------------------

    def _idle_supported(self) -> bool:
        return bool(self.mb.idle and self._client is not None and self._client.has_capability("IDLE"))

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Block until new mail may be there: IDLE if possible, else sleep one poll interval."""
        if self._client is None:
            raise ImapConnectionLost(f"{self.mb.name}: not connected")
        if self._idle_supported():
            if self._has_unchecked_mail():
                return
            self._idle_wait(timeout, stop)
        else:
            interruptible_sleep(min(timeout, self.mb.poll_interval), stop)

    def _idle_wait(self, timeout: float, stop: threading.Event) -> None:
        """IDLE until EXISTS/RECENT, timeout or stop; IDLE is renewed every ``idle_timeout``."""
        deadline = time.monotonic() + max(0.0, timeout)
        while not stop.is_set() and time.monotonic() < deadline:
            until = min(deadline, time.monotonic() + max(1.0, self.mb.idle_timeout))
            if self._idle_once(until, stop):
                return

    def _idle_once(self, until: float, stop: threading.Event) -> bool:
        """One IDLE command, always ended with DONE; True if new mail was announced."""
        self._call(lambda c: c.idle())
        self.log.debug("imap.idle", seconds=round(until - time.monotonic(), 1))
        try:
            news = self._idle_check_until(until, stop)
        except BaseException:
            if self._client is not None:
                try:
                    self._client.idle_done()
                except Exception:
                    pass
            raise
        self._call(lambda c: c.idle_done())
        if news:
            self.log.debug("imap.idle_news")
        return news

    def _idle_check_until(self, until: float, stop: threading.Event) -> bool:
        """Poll IDLE responses in short slices; raise ImapConnectionLost on BYE or EOF."""
        while not stop.is_set():
            remaining = until - time.monotonic()
            if remaining <= 0:
                return False
            responses = self._call(lambda c: c.idle_check(timeout=min(WAIT_SLICE, remaining)))
            if not responses:
                self._raise_if_eof()
            for resp in responses:
                if len(resp) > 1 and resp[1] in (b"EXISTS", b"RECENT"):
                    return True
                if resp and resp[0] == b"BYE":
                    raise self._drop(EOFError(f"server said BYE: {resp[1:]!r}"))
        return False

    def _raise_if_eof(self) -> None:
        """imapclient's idle_check swallows EOF and returns []; look at the socket ourselves.

        The raw (below TLS) socket is peeked without blocking: ``b""`` means the peer closed.
        """
        client = self._client
        if client is None:
            return
        sock = client.socket()
        try:
            readable, _w, _x = select.select([sock], [], [], 0)
            if not readable:
                return
            data = socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            raise self._drop(exc) from exc
        if data == b"":
            raise self._drop(EOFError("server closed the connection"))


def _quiet(fn: Callable[[], object]) -> None:
    """Call and ignore errors: used only while tearing a connection down."""
    try:
        fn()
    except Exception:
        pass

"""Real mail servers for the tests: a private Dovecot (IMAP + LMTP) and an aiosmtpd relay.

The IMAP and SMTP boundaries are tested against real servers because fakes of imapclient or
smtplib would only repeat our own assumptions back to us (see /work/shared/TESTING.md, which
measured every choice made here: banner polling, killpg, first_valid_uid, a 0755 /tmp dir).

Everything here is plain code so that benchmark scripts can reuse it outside pytest.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

USERS: tuple[str, ...] = ("helpdesk", "info", "warga", "staf")
PASSWORD = "secret"
#: Domain used when a bare user name is given as a recipient (Dovecot strips it: %n).
DOMAIN = "example.test"

_DOVECOT_CONF = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
disable_plaintext_auth = no
first_valid_uid = 1
mail_location = maildir:~/Maildir
{ssl_settings}
{nonroot_settings}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={d}/home/%n
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    port = {imap_port}
  }}
  {imaps_listener}
}}
service anvil {{
  {anvil_chroot}
}}
service lmtp {{
  inet_listener lmtp {{
    port = {lmtp_port}
  }}
}}
"""


def free_port() -> int:
    """A port that is free now; the server binds it a few ms later (fine on a test machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_banner(port: int, prefix: bytes, proc: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    """Wait until a server greets on ``port``; fail fast if its process already died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited rc={proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(prefix):
                    return
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"no {prefix!r} banner on port {port} within {timeout} s")


def wait_listening(port: int, proc: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    """Wait until ``port`` accepts connections (a TLS port sends no banner before a handshake)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited rc={proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on port {port} within {timeout} s")


def _make_cert(directory: str) -> tuple[str, str] | None:
    """A self-signed localhost certificate, so the daemon's TLS paths can be tested too."""
    if not shutil.which("openssl"):
        return None
    cert, key = f"{directory}/cert.pem", f"{directory}/key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )
    os.chmod(key, 0o644)  # read by dovecot's config parser running as root; test-only key
    return cert, key


class DovecotServer:
    """A private Dovecot instance whose ports and mail survive ``restart()``.

    Plain IMAP (with STARTTLS when a certificate could be made) on ``imap_port``, implicit TLS
    on ``imaps_port`` (0 without a certificate) and LMTP on ``lmtp_port``.
    """

    def __init__(self, users: Iterable[str] = USERS, password: str = PASSWORD):
        self.host = "127.0.0.1"
        self.password = password
        self.users = tuple(users)
        self.dir = tempfile.mkdtemp(prefix="dc-", dir="/tmp")  # not tmp_path: 0700 blocks dovecot
        os.chmod(self.dir, 0o755)
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.imaps_port = 0
        self.cert_file: str | None = None
        self._proc: subprocess.Popen | None = None
        #: start/stop may be called from a timer thread in a test; never overlap them.
        self._lock = threading.RLock()
        self._write_config()

    # -- setup ---------------------------------------------------------------------------

    def _write_config(self) -> None:
        d = self.dir
        for sub in ("run", "state", "home"):
            os.makedirs(f"{d}/{sub}", exist_ok=True)
        root = os.geteuid() == 0
        mail_user = "dovecot" if root else getpass.getuser()
        if root:
            shutil.chown(f"{d}/home", mail_user, mail_user)
        with open(f"{d}/users", "w") as f:
            f.writelines(f"{u}:{{PLAIN}}{self.password}\n" for u in self.users)
        cert = _make_cert(d)
        ssl_settings, imaps_listener = "ssl = no", ""
        if cert:
            self.cert_file = cert[0]
            self.imaps_port = free_port()
            ssl_settings = f"ssl = yes\nssl_cert = <{cert[0]}\nssl_key = <{cert[1]}"
            imaps_listener = f"inet_listener imaps {{\n    port = {self.imaps_port}\n    ssl = yes\n  }}"
        nonroot = "" if root else (
            f"default_internal_user = {mail_user}\ndefault_internal_group = {mail_user}\n"
            f"default_login_user = {mail_user}"
        )
        chroot = "" if root else "chroot ="
        with open(f"{d}/dovecot.conf", "w") as f:
            f.write(_DOVECOT_CONF.format(
                d=d, mail_user=mail_user, mail_group=mail_user, imap_port=self.imap_port,
                lmtp_port=self.lmtp_port, ssl_settings=ssl_settings, imaps_listener=imaps_listener,
                nonroot_settings=nonroot, login_chroot=chroot, anvil_chroot=chroot,
            ))

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start (no-op when running) and wait until IMAP and LMTP greet."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self.running:
            return
        self._proc = subprocess.Popen(
            ["dovecot", "-F", "-c", f"{self.dir}/dovecot.conf"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_banner(self.imap_port, b"* OK", self._proc)
            wait_banner(self.lmtp_port, b"220", self._proc)
            if self.imaps_port:
                wait_listening(self.imaps_port, self._proc)
        except Exception as exc:
            raise RuntimeError(f"dovecot did not start: {exc}\n{self.log_text()[-3000:]}") from exc

    def stop(self) -> None:
        """Stop the whole process group: 4 ms, nothing left behind (SIGTERM to the master: 1 s)."""
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                except ProcessLookupError:
                    proc.wait()
            self._proc = None

    def kill(self) -> None:
        """SIGKILL the whole group: a crash, no BYE to the clients, sockets just close."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def restart(self) -> None:
        """Stop and start again on the same ports; mail on disk is kept."""
        with self._lock:
            self.stop()
            self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self) -> str:
        try:
            with open(f"{self.dir}/dovecot.log", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- helpers ---------------------------------------------------------------------------

    def address(self, user: str) -> str:
        return user if "@" in user else f"{user}@{DOMAIN}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting the instance's self-signed certificate."""
        ctx = ssl.create_default_context(cafile=self.cert_file)
        ctx.check_hostname = False
        return ctx

    def mailbox_config(self, user: str = "helpdesk", **overrides: Any) -> Any:
        """A MailboxConfig pointing at this instance (plain IMAP unless overridden)."""
        from helpdesk_bot.config import MailboxConfig

        values: dict[str, Any] = dict(
            name=user, address=self.address(user), kind="imap", host=self.host,
            port=self.imap_port, security="none", username=user, password=self.password,
        )
        values.update(overrides)
        return MailboxConfig(**values)

    def __getitem__(self, key: str) -> Any:
        """Dict-style access, as in the TESTING.md fixture (``dovecot["imap_port"]``)."""
        return getattr(self, key)


@contextmanager
def imap_login(dovecot: DovecotServer, user: str = "helpdesk") -> Iterator[IMAPClient]:
    """A logged-in plain IMAP client (imapclient defaults to ssl=True, hence ssl=False)."""
    client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
    try:
        client.login(user, dovecot.password)
        yield client
    finally:
        try:
            client.logout()
        except Exception:
            pass


def deliver(dovecot: DovecotServer, raw: bytes, to: str | Iterable[str] = "helpdesk",
            mail_from: str = "sender@example.test") -> None:
    """Deliver like the MTA does, over LMTP: Dovecot adds Return-Path/Delivered-To/Received."""
    rcpts = [to] if isinstance(to, str) else list(to)
    lmtp_send(dovecot, mail_from, [dovecot.address(r) for r in rcpts], raw)


def lmtp_send(dovecot: DovecotServer, mail_from: str, rcpts: list[str], raw: bytes) -> None:
    """One LMTP transaction per recipient.

    smtplib.LMTP reads a single reply after DATA, but LMTP sends one per recipient; with
    several recipients the extra replies would desynchronise the session (seen: QUIT -> 250).
    Raises SMTPRecipientsRefused listing the refused ones, after delivering to the others.
    """
    refused: dict[str, tuple[int, bytes]] = {}
    with smtplib.LMTP(dovecot.host, dovecot.lmtp_port) as lmtp:
        for rcpt in rcpts:
            try:
                lmtp.sendmail(mail_from, [rcpt], raw)
            except smtplib.SMTPRecipientsRefused as exc:
                refused.update(exc.recipients)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def read_folder(dovecot: DovecotServer, user: str = "helpdesk", folder: str = "INBOX") -> list[bytes]:
    """Every message in a folder, in UID order, without setting \\Seen (BODY.PEEK[])."""
    with imap_login(dovecot, user) as c:
        if not c.folder_exists(folder):
            return []
        c.select_folder(folder, readonly=True)
        uids = sorted(c.search(["ALL"]))
        if not uids:
            return []
        data = c.fetch(uids, ["BODY.PEEK[]"])
        return [data[u][b"BODY[]"] for u in uids if u in data]


def read_inbox(dovecot: DovecotServer, user: str = "helpdesk") -> list[bytes]:
    return read_folder(dovecot, user, "INBOX")


def folder_flags(dovecot: DovecotServer, user: str = "helpdesk", folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    """UID -> flags and keywords (e.g. ``b"$HelpdeskDone"``, ``b"\\Seen"``) of a folder."""
    with imap_login(dovecot, user) as c:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        if not uids:
            return {}
        return {u: tuple(v[b"FLAGS"]) for u, v in c.fetch(uids, ["FLAGS"]).items()}


def empty_mailboxes(dovecot: DovecotServer) -> None:
    """Empty every user's INBOX and delete every other folder (deepest first)."""
    for user in dovecot.users:
        with imap_login(dovecot, user) as c:
            names = [name for _flags, _sep, name in c.list_folders() if name.upper() != "INBOX"]
            for name in sorted(names, key=len, reverse=True):
                c.delete_folder(name)
            c.select_folder("INBOX")
            uids = c.search(["ALL"])
            if uids:
                c.delete_messages(uids)
                c.expunge()


# --------------------------------------------------------------------------------------------
# SMTP


class RelayHandler:
    """aiosmtpd handler: records every envelope, then delivers it into Dovecot over LMTP.

    Recipients that are not Dovecot users are recorded only, so a test can send a reply to any
    address. ``refuse = True`` answers MAIL FROM with ``refuse_reply`` (a temporary 451 unless
    changed), to test retries.
    """

    def __init__(self, dovecot: DovecotServer | None):
        self.dovecot = dovecot
        self.envelopes: list[Any] = []
        self.refuse = False
        self.refuse_reply = "451 4.3.0 try later"
        self.refused = 0
        #: When set, the relay acts as the receiving MX (MxStamp): it writes Received and
        #: Authentication-Results on what it delivers, as the helpdesk's border server does.
        self.stamp: MxStamp | None = None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]) -> str:
        if self.refuse:
            self.refused += 1
            return self.refuse_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        envelope.peer, envelope.helo = session.peer, session.host_name or ""
        self.envelopes.append(envelope)
        rcpts = self._local_recipients(envelope.rcpt_tos)
        if not rcpts or self.dovecot is None:
            return "250 OK"
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._deliver, envelope, rcpts)
        except smtplib.SMTPRecipientsRefused as exc:
            return "550 5.1.1 " + str(exc)[:200]
        return "250 OK"

    def _local_recipients(self, rcpts: list[str]) -> list[str]:
        if self.dovecot is None:
            return []
        users = set(self.dovecot.users)
        return [r for r in rcpts if r.split("@", 1)[0].lower() in users]

    def _deliver(self, envelope: Any, rcpts: list[str]) -> None:
        assert self.dovecot is not None
        content = envelope.original_content
        if self.stamp is not None:
            content = self.stamp(envelope.mail_from or "", content, getattr(envelope, "peer", ("", 0)),
                                 getattr(envelope, "helo", ""))
        # Like an MTA's queue: Dovecot answering 421 or refusing connections while it restarts is
        # retried for a while, not passed on as a permanent 5xx (aiosmtpd turns a handler's
        # exception into "500"), which made the daemon give a real reply up mid-restart.
        for attempt in range(40):
            try:
                lmtp_send(self.dovecot, envelope.mail_from or "", rcpts, content)
                return
            except smtplib.SMTPRecipientsRefused:
                raise
            except (smtplib.SMTPDataError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as e:
                code = getattr(e, "smtp_code", 421)
                if not 400 <= code < 500 or attempt == 39:
                    raise
                time.sleep(0.25)


class MxStamp:
    """What a conforming receiving MX does to incoming mail (RFC 8601 5, RFC 5321 4.4).

    It deletes any Authentication-Results carrying its own authserv-id (the sender's forgeries),
    then prepends its own verdict (``results``: what its SPF/DKIM/DMARC checks said, set by the
    test for the next mail) and a Received field naming the peer it really saw (IP of the TCP
    connection) and the HELO name the client claimed.
    """

    def __init__(self, authserv_id: str):
        self.authserv_id = authserv_id
        self.results = "none"

    def __call__(self, mail_from: str, content: bytes, peer: tuple, helo: str) -> bytes:
        import email.utils

        head, sep, body = content.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = content.partition(b"\n\n")
        kept: list[bytes] = []
        dropping = False
        for line in head.splitlines(keepends=True):
            if line[:1] in (b" ", b"\t"):
                if not dropping:
                    kept.append(line)
                continue
            name, _, value = line.partition(b":")
            dropping = (name.strip().lower() == b"authentication-results"
                        and value.strip().lower().startswith(self.authserv_id.lower().encode()))
            if not dropping:
                kept.append(line)
        ip = peer[0] if peer else "unknown"
        rdns = "localhost" if ip == "127.0.0.1" else "unknown"
        stamp = (f"Authentication-Results: {self.authserv_id}; {self.results}\r\n"
                 f"Received: from {helo or 'unknown'} ({rdns} [{ip}])\r\n\tby {self.authserv_id} (aiosmtpd) with ESMTP;"
                 f" {email.utils.formatdate()}\r\n").encode()
        return stamp + b"".join(kept) + sep + body


class SmtpServer:
    """An aiosmtpd server in a thread; ``stop()``/``start()`` keep the same port."""

    def __init__(self, dovecot: DovecotServer | None):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RelayHandler(dovecot)
        self._controller: Any = None

    @property
    def envelopes(self) -> list[Any]:
        return self.handler.envelopes

    @property
    def refuse(self) -> bool:
        return self.handler.refuse

    @refuse.setter
    def refuse(self, value: bool) -> None:
        self.handler.refuse = value

    @property
    def refuse_reply(self) -> str:
        return self.handler.refuse_reply

    @refuse_reply.setter
    def refuse_reply(self, value: str) -> None:
        self.handler.refuse_reply = value

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            return
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def reset(self) -> None:
        """Back to a clean, accepting, running server (between tests)."""
        self.handler.envelopes.clear()
        self.handler.refuse = False
        self.handler.refuse_reply = "451 4.3.0 try later"
        self.handler.refused = 0
        self.handler.stamp = None
        self.start()

    def messages(self) -> list[bytes]:
        """The raw content of every recorded envelope."""
        return [e.original_content for e in self.handler.envelopes]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


# --------------------------------------------------------------------------------------------
# A daemon configuration pointing at these servers


OPEN_SCREENING_TOML = "per_sender_per_hour = 100000\nper_sender_per_day = 100000\noverall_per_hour = 1000000"


def daemon_config_toml(directory: Path, dovecot: DovecotServer, smtp: SmtpServer, *,
                       users: tuple[str, ...] = ("helpdesk", "info"), mailbox_extra: str = "",
                       database: str = "var/helpdesk.db", screening: str = OPEN_SCREENING_TOML,
                       smtp_extra: str = "retry_base = 0.2\ntimeout = 5.0", log_level: str = "info",
                       extra: str = "") -> Path:
    """``config.toml`` for ``helpdesk-bot --config``: one IMAP mailbox per Dovecot user (plain
    port), replies over the relay. Rate limits are opened wide by default, since tests and
    benchmarks send many requests from one address; pass ``screening`` to test them."""
    mailboxes = "".join(f"""
[[mailbox]]
name = "{user}"
address = "{user}@example.test"
kind = "imap"
host = "{dovecot.host}"
port = {dovecot.imap_port}
security = "none"
username = "{user}"
password = "{dovecot.password}"
{mailbox_extra}
""" for user in users)
    path = Path(directory) / "config.toml"
    path.write_text(f"""
[storage]
database = "{database}"
attachments = "var/attachments"
{mailboxes}
[smtp]
kind = "smtp"
host = "{smtp.host}"
port = {smtp.port}
security = "none"
from_address = "helpdesk@example.test"
{smtp_extra}

[screening]
{screening}

[logging]
level = "{log_level}"
format = "json"
{extra}
""")
    return path

"""ImapSource against a real Dovecot: fetch once, stay unread, ack, IDLE, reconnect, folders."""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage

import pytest

from helpdesk_bot.config import Config
from helpdesk_bot.sources.imap import DONE_KEYWORD, QUARANTINE_KEYWORD, ImapConnectionLost, ImapSource
from servers import DovecotServer, deliver, folder_flags, imap_login, read_folder, read_inbox

pytestmark = [pytest.mark.mailserver, pytest.mark.timeout(60)]


class DictLedger:
    """The Ledger protocol over a dict: our own interface, standing in for the tickets DB."""

    def __init__(self, track_last_uid: bool = True) -> None:
        self.done: dict[tuple[str, str], bool] = {}
        self.track_last_uid = track_last_uid

    def mark(self, mailbox: str, key: str) -> None:
        self.done[(mailbox, key)] = True

    def is_done(self, mailbox: str, key: str) -> bool:
        return (mailbox, key) in self.done

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        if not self.track_last_uid:
            return 0
        uids = [int(k.split(":")[1]) for (m, k) in self.done
                if m == mailbox and int(k.split(":")[0]) == uidvalidity]
        return max(uids, default=0)


def make_mail(subject: str, body: str = "Mohon bantuan.") -> bytes:
    msg = EmailMessage()
    msg["From"] = "pokja@example.test"
    msg["To"] = "helpdesk@example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@example.test>"
    msg.set_content(body)
    return msg.as_bytes()


def uid(key: str) -> int:
    return int(key.split(":")[1])


def subjects(raws: list[bytes]) -> list[str]:
    from email import message_from_bytes

    return [str(message_from_bytes(r)["Subject"]) for r in raws]


@pytest.fixture
def ledger() -> DictLedger:
    return DictLedger()


@pytest.fixture
def make_source(mailbox: DovecotServer, ledger: DictLedger):
    """Build connected ImapSources for helpdesk; closed after the test."""
    sources: list[ImapSource] = []

    def make(**overrides) -> ImapSource:
        mb = mailbox.mailbox_config("helpdesk", **overrides)
        src = ImapSource(mb, Config(mailbox=(mb,)), ledger)
        src.connect()
        sources.append(src)
        return src

    yield make
    for src in sources:
        src.close()


def test_fetch_once_unseen_and_ack_sets_keyword(mailbox, make_source, ledger):
    for i in range(3):
        deliver(mailbox, make_mail(f"Permohonan {i}"))
    src = make_source()

    got = list(src.fetch_new(batch=2))  # two batches
    assert subjects([m.raw for m in got]) == ["Permohonan 0", "Permohonan 1", "Permohonan 2"]
    assert all(m.mailbox == "helpdesk" for m in got)
    validity = src.uidvalidity
    assert all(m.key.startswith(f"{validity}:") for m in got)
    uids = [uid(m.key) for m in got]
    assert uids == sorted(uids) and len(set(uids)) == 3
    for flags in folder_flags(mailbox).values():
        assert b"\\Seen" not in flags  # staff still see it as unread

    ledger.mark("helpdesk", got[0].key)
    src.ack(got[0])
    flags = folder_flags(mailbox)
    assert DONE_KEYWORD.encode() in flags[uids[0]] and b"\\Seen" not in flags[uids[0]]
    assert DONE_KEYWORD.encode() not in flags[uids[1]]

    # Not yet acked nor done: fetched again; done ones never.
    again = list(src.fetch_new())
    assert [m.key for m in again] == [got[1].key, got[2].key]


def test_ledger_done_keys_are_skipped_and_their_ack_completed(mailbox, make_source, ledger):
    ledger.track_last_uid = False  # as after a UIDVALIDITY change: only is_done can tell
    for i in range(3):
        deliver(mailbox, make_mail(f"Mail {i}"))
    src = make_source()
    first = list(src.fetch_new())
    # A crash after the commit of mails 0 and 1, before their ack: the ledger knows, the mailbox not.
    ledger.mark("helpdesk", first[1].key)
    ledger.mark("helpdesk", first[0].key)
    again = list(src.fetch_new())
    assert [m.key for m in again] == [first[2].key]
    flags = folder_flags(mailbox)
    assert DONE_KEYWORD.encode() in flags[uid(first[0].key)]  # the interrupted ack completed
    assert DONE_KEYWORD.encode() not in flags[uid(first[2].key)]


def test_unacked_mail_just_below_last_uid_is_finished_not_lost(mailbox, make_source, ledger):
    """Acks follow commits in batches: a crash can leave done-but-unacked mail below the ledger's
    last UID. Within the ack window, done ones get their keyword, unknown ones are processed."""
    for i in range(4):
        deliver(mailbox, make_mail(f"Mail {i}"))
    src = make_source()
    uids = sorted(folder_flags(mailbox))
    ledger.mark("helpdesk", f"{src.uidvalidity}:{uids[1]}")
    ledger.mark("helpdesk", f"{src.uidvalidity}:{uids[2]}")
    assert subjects([m.raw for m in src.fetch_new()]) == ["Mail 0", "Mail 3"]
    flags = folder_flags(mailbox)
    assert b"$HelpdeskDone" in flags[uids[1]] and b"$HelpdeskDone" in flags[uids[2]]
    assert b"$HelpdeskDone" not in flags[uids[0]]


def test_the_look_back_covers_every_mail_the_daemon_can_leave_unfinished_below_the_last_done_uid():
    """A crash can leave, below the ledger's highest done UID, committed mail not yet
    acknowledged (ACK_BATCH waiting, MAX_DECIDING with the writer) and mail still being
    analysed that later mail overtook (MAX_AHEAD): all of it must be looked at again."""
    from helpdesk_bot import daemon
    from helpdesk_bot.sources import imap

    assert imap.ACK_WINDOW >= daemon.ACK_BATCH + daemon.MAX_DECIDING + daemon.MAX_AHEAD


def test_uidvalidity_change_rescans_but_skips_acked(mailbox, make_source, ledger):
    deliver(mailbox, make_mail("Lama"))
    src = make_source()
    (old,) = list(src.fetch_new())
    ledger.mark("helpdesk", old.key)
    src.ack(old)
    src.close()
    # Simulate a server-side rebuild: move everything to a new folder, same keywords, new UIDVALIDITY.
    with imap_login(mailbox) as c:
        c.create_folder("Baru")
        c.select_folder("INBOX")
        c.copy(c.search(["ALL"]), "Baru")
    deliver(mailbox, make_mail("Baru"))  # goes to INBOX; the source now reads "Baru"
    with imap_login(mailbox) as c:
        c.select_folder("INBOX")
        c.copy(c.search(["SUBJECT", "Baru"]), "Baru")
    src2 = make_source(folder="Baru")
    assert src2.uidvalidity != old.key.split(":")[0]
    assert subjects([m.raw for m in src2.fetch_new()]) == ["Baru"]


def test_idle_wait_returns_after_lmtp_delivery(mailbox, make_source):
    src = make_source(idle=True)
    assert list(src.fetch_new()) == []
    timer = threading.Timer(0.3, deliver, args=(mailbox, make_mail("Baru masuk")))
    timer.start()
    started = time.monotonic()
    src.wait(timeout=20, stop=threading.Event())
    elapsed = time.monotonic() - started
    timer.join()
    assert elapsed < 15, "wait() should return on EXISTS, long before its timeout"
    assert subjects([m.raw for m in src.fetch_new()]) == ["Baru masuk"]


def test_mail_arriving_between_fetch_and_idle_is_not_missed(mailbox, make_source):
    src = make_source(idle=True)
    assert list(src.fetch_new()) == []
    deliver(mailbox, make_mail("Di sela"))
    started = time.monotonic()
    src.wait(timeout=10, stop=threading.Event())
    assert time.monotonic() - started < 8
    assert subjects([m.raw for m in src.fetch_new()]) == ["Di sela"]


def test_wait_before_any_fetch_returns_at_once(mailbox, make_source):
    src = make_source(idle=True)
    started = time.monotonic()
    src.wait(timeout=30, stop=threading.Event())
    assert time.monotonic() - started < 3


def test_mail_announced_during_ack_is_not_missed(mailbox, make_source, ledger):
    deliver(mailbox, make_mail("Pertama"))
    src = make_source(idle=True)
    (first,) = list(src.fetch_new())
    deliver(mailbox, make_mail("Kedua"))  # EXISTS arrives in the reply to the ack's STORE
    ledger.mark("helpdesk", first.key)
    src.ack(first)
    started = time.monotonic()
    src.wait(timeout=10, stop=threading.Event())
    assert time.monotonic() - started < 8
    assert subjects([m.raw for m in src.fetch_new()]) == ["Kedua"]


def test_unacked_mail_does_not_make_wait_spin(mailbox, make_source):
    deliver(mailbox, make_mail("Gagal diproses"))
    src = make_source(idle=True)
    assert len(list(src.fetch_new())) == 1  # not acked: processing failed
    started = time.monotonic()
    src.wait(timeout=1.5, stop=threading.Event())
    assert time.monotonic() - started >= 1.4


def test_wait_honours_stop_and_polls_without_idle(mailbox, make_source):
    for idle in (True, False):
        src = make_source(idle=idle, poll_interval=30.0)
        assert list(src.fetch_new()) == []
        stop = threading.Event()
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        src.wait(timeout=30, stop=stop)
        assert time.monotonic() - started < 3
        assert list(src.fetch_new()) == []  # IDLE was ended: the connection still works


def test_poll_wait_is_bounded_by_poll_interval(mailbox, make_source):
    src = make_source(idle=False, poll_interval=0.2)
    started = time.monotonic()
    src.wait(timeout=30, stop=threading.Event())
    assert time.monotonic() - started < 3


def test_idle_is_renewed_after_idle_timeout(mailbox, make_source):
    src = make_source(idle=True, idle_timeout=0.5)
    assert list(src.fetch_new()) == []
    started = time.monotonic()
    src.wait(timeout=1.6, stop=threading.Event())
    assert 1.5 <= time.monotonic() - started < 5
    assert list(src.fetch_new()) == []


def test_restart_reconnect_and_fetch_continues(mailbox, make_source, ledger):
    deliver(mailbox, make_mail("Sebelum"))
    src = make_source()
    (before,) = list(src.fetch_new())
    ledger.mark("helpdesk", before.key)
    src.ack(before)

    mailbox.restart()
    deliver(mailbox, make_mail("Sesudah"))
    with pytest.raises(ImapConnectionLost):
        list(src.fetch_new())
    assert not src.connected
    assert src.ensure_connected(threading.Event())
    assert subjects([m.raw for m in src.fetch_new()]) == ["Sesudah"]


def test_ensure_connected_probes_a_dead_connection(mailbox, make_source):
    src = make_source()
    mailbox.restart()
    assert src.ensure_connected(threading.Event())
    assert list(src.fetch_new()) == []


def test_idle_notices_server_shutdown(mailbox, make_source):
    src = make_source(idle=True)
    assert list(src.fetch_new()) == []
    threading.Timer(0.3, mailbox.stop).start()
    with pytest.raises(ImapConnectionLost):
        src.wait(timeout=20, stop=threading.Event())
    assert not src.connected
    mailbox.start()


@pytest.mark.parametrize("security", ["none", "ssl"])
def test_idle_notices_server_crash(mailbox, make_source, security):
    if security == "ssl" and not mailbox.cert_file:
        pytest.skip("no openssl: no certificate")
    port = mailbox.imaps_port if security == "ssl" else mailbox.imap_port
    src = make_source(idle=True, security=security, port=port, ca_file=mailbox.cert_file or "")
    assert list(src.fetch_new()) == []
    threading.Timer(0.3, mailbox.kill).start()
    started = time.monotonic()
    try:
        with pytest.raises(ImapConnectionLost):
            src.wait(timeout=20, stop=threading.Event())
        assert time.monotonic() - started < 10
    finally:
        mailbox.start()
    assert src.ensure_connected(threading.Event())


def test_ensure_connected_backs_off_until_server_returns(mailbox, make_source):
    src = make_source()
    mailbox.stop()
    threading.Timer(1.5, mailbox.start).start()
    started = time.monotonic()
    assert src.ensure_connected(threading.Event())
    assert time.monotonic() - started < 15
    assert list(src.fetch_new()) == []


def test_ensure_connected_gives_up_when_stopped(mailbox, make_source):
    src = make_source()
    mailbox.stop()
    try:
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        assert src.ensure_connected(stop) is False
        assert time.monotonic() - started < 3
    finally:
        mailbox.start()


def test_append_sent_creates_folder_and_marks_seen(mailbox, make_source):
    src = make_source(sent_folder="Sent")
    src.append_sent(make_mail("Balasan 1"))
    src.append_sent(make_mail("Balasan 2"))
    assert subjects(read_folder(mailbox, "helpdesk", "Sent")) == ["Balasan 1", "Balasan 2"]
    assert all(b"\\Seen" in f for f in folder_flags(mailbox, "helpdesk", "Sent").values())


def test_append_sent_disabled(mailbox, make_source):
    src = make_source(sent_folder="")
    src.append_sent(make_mail("Balasan"))
    with imap_login(mailbox) as c:
        assert [name for _f, _d, name in c.list_folders()] == ["INBOX"]


def test_quarantine_moves_to_folder(mailbox, make_source):
    deliver(mailbox, make_mail("Rusak"))
    deliver(mailbox, make_mail("Baik"))
    src = make_source(quarantine_folder="Karantina")
    bad, good = list(src.fetch_new())
    src.quarantine(bad)
    assert subjects(read_folder(mailbox, "helpdesk", "Karantina")) == ["Rusak"]
    assert subjects(read_folder(mailbox)) == ["Baik"]
    assert [m.key for m in src.fetch_new()] == [good.key]


def test_quarantine_without_folder_sets_keyword(mailbox, make_source):
    deliver(mailbox, make_mail("Rusak"))
    src = make_source(quarantine_folder="")
    (bad,) = list(src.fetch_new())
    src.quarantine(bad)
    assert QUARANTINE_KEYWORD.encode() in folder_flags(mailbox)[uid(bad.key)]
    assert list(src.fetch_new()) == []  # a quarantined mail does not block the rest


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls(mailbox, make_source, security):
    if not mailbox.cert_file:
        pytest.skip("no openssl: no certificate")
    port = mailbox.imaps_port if security == "ssl" else mailbox.imap_port
    deliver(mailbox, make_mail("Lewat TLS"))
    src = make_source(security=security, port=port, host="localhost", ca_file=mailbox.cert_file)
    assert subjects([m.raw for m in src.fetch_new()]) == ["Lewat TLS"]


def test_tls_rejects_untrusted_certificate(mailbox):
    if not mailbox.cert_file:
        pytest.skip("no openssl: no certificate")
    mb = mailbox.mailbox_config(security="ssl", port=mailbox.imaps_port, host="localhost")
    src = ImapSource(mb, Config(mailbox=(mb,)), DictLedger())
    with pytest.raises(OSError):  # ssl.SSLCertVerificationError
        src.connect()
    assert not src.connected


def test_password_is_never_logged(mailbox, ledger):
    import structlog.testing

    mb = mailbox.mailbox_config(password="", password_env="HB_TEST_PW")
    import os

    os.environ["HB_TEST_PW"] = mailbox.password
    try:
        with structlog.testing.capture_logs() as logs:
            src = ImapSource(mb, Config(mailbox=(mb,)), ledger)
            src.connect()
            mailbox.restart()
            src.ensure_connected(threading.Event())
            src.close()
    finally:
        del os.environ["HB_TEST_PW"]
    events = [e["event"] for e in logs]
    assert "imap.connect" in events and "imap.connection_lost" in events
    assert mailbox.password not in repr(logs)


# --------------------------------------------------------------------------------------------
# The shared server fixtures themselves (conftest.py / servers.py), so other tests can rely on them.


def test_smtp_server_relays_records_refuses_and_restarts(mailbox, smtp_server):
    import aiosmtplib
    import asyncio

    async def send(subject: str, to: list[str]) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "helpdesk@example.test", ", ".join(to), subject
        msg.set_content("Tiket Anda telah kami terima.")
        await aiosmtplib.send(msg, hostname=smtp_server.host, port=smtp_server.port,
                              start_tls=False, use_tls=False, timeout=10)

    asyncio.run(send("Balasan", ["warga@example.test", "orang@luar.test"]))
    assert subjects(read_inbox(mailbox, "warga")) == ["Balasan"]
    (env,) = smtp_server.envelopes
    assert env.rcpt_tos == ["warga@example.test", "orang@luar.test"]

    smtp_server.refuse = True
    with pytest.raises(aiosmtplib.SMTPResponseException) as err:
        asyncio.run(send("Ditolak", ["warga@example.test"]))
    assert err.value.code == 451
    smtp_server.refuse = False

    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises((aiosmtplib.SMTPConnectError, OSError)):
        asyncio.run(send("Mati", ["warga@example.test"]))
    smtp_server.start()
    assert smtp_server.port == port
    asyncio.run(send("Hidup lagi", ["warga@example.test"]))
    assert subjects(read_inbox(mailbox, "warga")) == ["Balasan", "Hidup lagi"]
    assert len(smtp_server.messages()) == 2


def test_deliver_and_mailbox_cleanup_cover_every_user(mailbox):
    deliver(mailbox, make_mail("Untuk semua"), to=["helpdesk", "info", "staf@example.test"])
    for user in ("helpdesk", "info", "staf"):
        assert subjects(read_inbox(mailbox, user)) == ["Untuk semua"]
    assert read_inbox(mailbox, "warga") == []
    assert mailbox["imap_port"] == mailbox.imap_port  # dict-style access as in TESTING.md

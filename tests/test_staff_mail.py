"""Issue 4 acceptance against real servers: Dovecot (IMAP + LMTP) and an aiosmtpd relay.

Mail travels as in production: the requester's and the staff's mail arrive over SMTP -> LMTP
into the helpdesk INBOX, the daemon's mailbox loop (Daemon.drain) reads it over IMAP, replies
leave through the outbox over SMTP into the requester's own Dovecot INBOX, and a copy of each
lands in the helpdesk Sent folder. Only the clock is fake (Store's injected clock), so Friday
17:00 and "eight working hours later" happen in milliseconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from docgen import text_pdf
from helpdesk_bot import digest
from helpdesk_bot.config import Config, DigestConfig, ScreeningConfig, SmtpConfig, StaffConfig, embedded_default
from helpdesk_bot.daemon import Daemon
from helpdesk_bot.office_hours import format_datetime_id
from helpdesk_bot.outbox import Sender
from helpdesk_bot.pipeline import Pipeline
from helpdesk_bot.scheduler import Jobs
from helpdesk_bot.sources import open_source
from helpdesk_bot.store import Store
from helpdesk_bot.workflow import thread_hooks
from mails import request_mail
from servers import DovecotServer, SmtpServer, read_folder, read_inbox
from test_workflow import UBAH_JADWAL_FIELDS, FakeClock, wib

pytestmark = [pytest.mark.mailserver, pytest.mark.timeout(120)]

HELPDESK = "helpdesk@example.test"
POKJA = "warga@example.test"
STAFF = "staf@example.test"
MX = "mx.example.test"
AUTH_PASS = f"{MX}; spf=pass smtp.mailfrom={STAFF}; dkim=pass header.d=example.test; dmarc=pass header.from=example.test"
AUTH_FAIL = f"{MX}; spf=fail smtp.mailfrom={STAFF}; dkim=none; dmarc=fail header.from=example.test"


class Desk:
    """The daemon's parts on a fake clock: IMAP source, pipeline with hooks, sender, scheduler."""

    def __init__(self, config: Config, clock: FakeClock):
        self.config = config
        self.clock = clock
        self.daemon = Daemon(config)
        self.store = Store(config.resolve(config.storage.database), clock=clock)
        self.pipeline = Pipeline(config, self.store, self.daemon.rules.get, self.daemon.calendar, hooks=thread_hooks())
        self.jobs = Jobs(config, self.store, self.daemon.rules.get, self.daemon.calendar)
        self.source = open_source(config.mailbox[0], config, self.store)
        self.source.connect()

    def run(self) -> None:
        """One pass of the mailbox loop, then the sender (with Sent-folder copies)."""
        self.daemon.drain(self.source, self.pipeline)
        Sender(self.config, self.store, self.daemon._on_sent).flush(ignore_backoff=True)

    def tick(self) -> None:
        self.jobs.tick()
        Sender(self.config, self.store, self.daemon._on_sent).flush(ignore_backoff=True)

    def close(self) -> None:
        self.source.close()
        self.daemon._close_sent_copies()
        self.store.close()


@pytest.fixture
def make_desk(mailbox: DovecotServer, smtp_server: SmtpServer, tmp_path: Path) -> Iterator:
    desks: list[Desk] = []

    def make(now: dt.datetime) -> Desk:
        base = embedded_default(tmp_path)
        config = dataclasses.replace(
            base,
            mailbox=(mailbox.mailbox_config("helpdesk"),),
            smtp=SmtpConfig(kind="smtp", host=smtp_server.host, port=smtp_server.port, security="none",
                            from_address=HELPDESK, retry_base=0.01),
            staff=StaffConfig(addresses=(STAFF,)),
            screening=dataclasses.replace(ScreeningConfig(), trusted_authserv_ids=(MX,)),
            digest=DigestConfig(recipients=(STAFF,), time=""),
        )
        desk = Desk(config, FakeClock(now))
        desks.append(desk)
        return desk

    yield make
    for d in desks:
        d.close()


def send_smtp(smtp_server: SmtpServer, msg: EmailMessage, rcpt: str = HELPDESK) -> None:
    """Submit like a mail client: SMTP to the relay, which delivers over LMTP into Dovecot."""
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as s:
        s.send_message(msg, to_addrs=[rcpt])


def mails(raws: list[bytes]) -> list[EmailMessage]:
    return [email.message_from_bytes(r, policy=email.policy.default) for r in raws]


def text_of(msg: EmailMessage) -> str:
    return " ".join(msg.get_body(("plain",)).get_content().split())


def ubah_jadwal(**fields: str) -> EmailMessage:
    pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", {**UBAH_JADWAL_FIELDS, **fields})
    return request_mail(subject="Permohonan ubah jadwal tender 48658064", sender=f"Pokja Pemilihan 12 <{POKJA}>",
                        to=HELPDESK, attachments=[("ubah_jadwal.pdf", pdf)])


def staff_reply(ticket_mail: EmailMessage, body: str, auth: str) -> EmailMessage:
    """A staff member answering in the ticket's thread from an ordinary mail client."""
    return request_mail(subject=f"Re: {ticket_mail['Subject']}", body=body, sender=f"Staf Helpdesk <{STAFF}>",
                        to=HELPDESK, in_reply_to=str(ticket_mail["Message-ID"]),
                        headers={"Authentication-Results": auth})


@pytest.mark.parametrize("received, opening", [
    (wib(2026, 11, 27, 17, 0), "Senin, 30 November 2026 pukul 07.30 WIB"),     # Friday after hours
    (wib(2026, 12, 23, 17, 0), "Senin, 28 Desember 2026 pukul 07.30 WIB"),     # cuti bersama, Christmas, weekend
])
def test_after_hours_request_is_acknowledged_with_next_opening(make_desk, smtp_server: SmtpServer,
                                                              mailbox: DovecotServer, received, opening) -> None:
    desk = make_desk(received)
    send_smtp(smtp_server, ubah_jadwal())
    desk.run()
    (ack,) = mails(read_inbox(mailbox, "warga"))
    assert opening in text_of(ack)
    assert format_datetime_id(desk.daemon.calendar.next_opening(received)) == opening
    sent = mails(read_folder(mailbox, "helpdesk", "Sent"))
    assert [m["Message-ID"] for m in sent] == [ack["Message-ID"]]


def test_staff_selesai_notice_reminders_until_sudah(make_desk, smtp_server: SmtpServer, mailbox: DovecotServer) -> None:
    desk = make_desk(wib(2026, 11, 24, 9, 0))  # Tuesday, office open
    send_smtp(smtp_server, ubah_jadwal())
    desk.run()
    (ack,) = mails(read_inbox(mailbox, "warga"))
    ticket_id = str(ack["X-Helpdesk-Ticket"])

    desk.clock.advance(hours=1)
    send_smtp(smtp_server, staff_reply(ack, "#selesai\nJadwal telah kami ubah sesuai permohonan.", AUTH_PASS))
    desk.run()
    ticket = desk.store.ticket(ticket_id)
    assert ticket.status == "selesai" and ticket.next_reminder_at is not None
    notice = mails(read_inbox(mailbox, "warga"))[-1]
    body = text_of(notice)
    assert "telah selesai kami proses" in body and "Jadwal telah kami ubah sesuai permohonan." in body
    assert "SEGERA mengganti password" in body
    assert read_inbox(mailbox, "staf") == []  # the staff get no copy in their inbox; the Sent folder has it

    desk.clock.now = ticket.next_reminder_at
    desk.tick()
    reminder = mails(read_inbox(mailbox, "warga"))[-1]
    assert "pengingat ke-1" in text_of(reminder)
    assert desk.store.ticket(ticket_id).reminder_count == 1

    desk.clock.advance(minutes=30)
    send_smtp(smtp_server, request_mail(subject=f"Re: {reminder['Subject']}", body="Sudah diganti, terima kasih.",
                                        sender=f"Pokja Pemilihan 12 <{POKJA}>", to=HELPDESK,
                                        in_reply_to=str(reminder["Message-ID"])))
    desk.run()
    assert desk.store.ticket(ticket_id).password_confirmed_at == desk.clock.now

    for _ in range(5):  # a week of ticks: nothing more goes to the Pokja
        desk.clock.advance(days=1)
        desk.tick()
    inbox = mails(read_inbox(mailbox, "warga"))
    assert [str(m["X-Helpdesk-Ticket"]) for m in inbox] == [ticket_id] * 3  # ack, notice, one reminder
    sent = {str(m["Message-ID"]) for m in mails(read_folder(mailbox, "helpdesk", "Sent"))}
    assert {str(m["Message-ID"]) for m in inbox} <= sent
    kinds = [e["kind"] for e in desk.store.events(ticket_id)]
    assert kinds.count("password_reminder_sent") == 1 and "password_confirmed" in kinds


def test_forged_staff_command_changes_nothing_and_is_recorded(make_desk, smtp_server: SmtpServer,
                                                              mailbox: DovecotServer) -> None:
    desk = make_desk(wib(2026, 11, 24, 9, 0))
    send_smtp(smtp_server, ubah_jadwal())
    desk.run()
    (ack,) = mails(read_inbox(mailbox, "warga"))
    ticket_id = str(ack["X-Helpdesk-Ticket"])
    before = desk.store.ticket(ticket_id)
    envelopes = len(smtp_server.envelopes)

    send_smtp(smtp_server, staff_reply(ack, "#selesai\nSudah beres.", AUTH_FAIL))
    desk.run()

    assert desk.store.ticket(ticket_id) == before
    assert len(smtp_server.envelopes) == envelopes + 1  # only the forged mail itself; nothing went out
    assert len(read_inbox(mailbox, "warga")) == 1 and read_inbox(mailbox, "staf") == []
    rejected = [e for e in desk.store.events(ticket_id) if e["kind"] == "command_rejected"]
    assert len(rejected) == 1 and "dmarc=fail" in rejected[0]["detail"]
    outcome = desk.store.query("SELECT outcome FROM messages ORDER BY processed_at DESC LIMIT 1")[0]["outcome"]
    assert outcome == "command_rejected"
    text, _html = digest.render(desk.pipeline.replies, digest.collect(desk.store, desk.pipeline.replies))
    assert "#selesai ditolak" in text  # shown to staff, not silently dropped


def test_digest_send_reaches_staff_with_html_alternative(make_desk, smtp_server: SmtpServer,
                                                         mailbox: DovecotServer) -> None:
    desk = make_desk(wib(2026, 11, 24, 9, 0))
    send_smtp(smtp_server, ubah_jadwal())
    desk.run()
    desk.clock.advance(minutes=5)
    digest.send(desk.store, desk.pipeline.replies)
    Sender(desk.config, desk.store, desk.daemon._on_sent).flush(ignore_backoff=True)
    (mail,) = mails(read_inbox(mailbox, "staf"))
    assert str(mail["Subject"]) == "[Ringkasan Helpdesk] 24/11/2026: 0 terlambat, 1 baru, 0 antre"  # overdue first; each ticket once
    assert mail.get_body(("html",)) is not None and "Permintaan Ubah Jadwal" in text_of(mail)

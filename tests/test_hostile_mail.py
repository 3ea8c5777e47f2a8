"""Issue 9 acceptance: hostile mail against the real Dovecot + SMTP servers.

The aiosmtpd relay plays the receiving MX (servers.MxStamp): it deletes Authentication-Results
carrying its own authserv-id, writes its own verdict (what its SPF/DKIM/DMARC checks said for
this mail, set by each test) and a Received field with the peer IP it really saw, then delivers
over LMTP into Dovecot, which adds its own Received. The daemon's mailbox loop reads the
helpdesk INBOX over IMAP; replies go out over SMTP into the recipients' Dovecot inboxes, where
the tests read what each party really received. Only the clock is fake.

Each trick of the issue is tried, and the controls: a genuine aligned staff command works, the
requester's own follow-up and "sudah" work, a trusted relay works.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from docgen import text_pdf
from helpdesk_bot import digest
from helpdesk_bot.config import Config, DigestConfig, HelpdeskConfig, ScreeningConfig, SmtpConfig, StaffConfig, embedded_default
from mails import request_mail
from servers import DovecotServer, MxStamp, SmtpServer, read_inbox
from test_staff_mail import Desk, mails, text_of, ubah_jadwal
from test_workflow import FakeClock, wib

pytestmark = [pytest.mark.mailserver, pytest.mark.timeout(180)]

HELPDESK = "helpdesk@example.test"
POKJA = "warga@example.test"        # the requester
STRANGER = "info@example.test"      # another real inbox, so we can read what a stranger gets
STAFF = "staf@example.test"
MX = "mx.example.test"
PASS_OURS = "spf=pass smtp.mailfrom=example.test; dkim=pass header.d=example.test; dmarc=pass header.from=example.test"
PASS_EVIL = "spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"
NIP = "198501012010012001"


@pytest.fixture
def make_desk(mailbox: DovecotServer, smtp_server: SmtpServer, tmp_path: Path) -> Iterator:
    desks: list[Desk] = []
    smtp_server.handler.stamp = MxStamp(MX)

    def make(screening: dict | None = None, staff: dict | None = None, helpdesk: dict | None = None) -> Desk:
        base = embedded_default(tmp_path / f"d{len(desks)}")
        config: Config = dataclasses.replace(
            base,
            mailbox=(mailbox.mailbox_config("helpdesk"),),
            smtp=SmtpConfig(kind="smtp", host=smtp_server.host, port=smtp_server.port, security="none",
                            from_address=HELPDESK, retry_base=0.01),
            staff=StaffConfig(**{"addresses": (STAFF,), **(staff or {})}),
            screening=dataclasses.replace(ScreeningConfig(), **{"trusted_authserv_ids": (MX,), **(screening or {})}),
            helpdesk=dataclasses.replace(HelpdeskConfig(), **(helpdesk or {})),
            digest=DigestConfig(recipients=(STAFF,), time=""),
        )
        desk = Desk(config, FakeClock(wib(2026, 11, 24, 9, 0)))
        desks.append(desk)
        return desk

    yield make
    for d in desks:
        d.close()


def send(smtp_server: SmtpServer, msg: EmailMessage | bytes, results: str = "none", source: str = "127.0.0.1",
         helo: str = "client.example") -> None:
    """Submit to the MX from ``source`` (a real TCP peer), which records ``results`` as its verdict."""
    smtp_server.handler.stamp.results = results
    with smtplib.SMTP(smtp_server.host, smtp_server.port, local_hostname=helo, source_address=(source, 0)) as s:
        if isinstance(msg, bytes):
            s.sendmail("sender@example.test", [HELPDESK], msg)
        else:
            s.send_message(msg, to_addrs=[HELPDESK])


def inbox(mailbox: DovecotServer, user: str) -> list[EmailMessage]:
    return mails(read_inbox(mailbox, user))


def staff_command(ack: EmailMessage, body: str, sender: str = f"Staf Helpdesk <{STAFF}>") -> EmailMessage:
    return request_mail(subject=f"Re: {ack['Subject']}", body=body, sender=sender, to=HELPDESK,
                        in_reply_to=str(ack["Message-ID"]))


def opened(desk: Desk, smtp_server: SmtpServer, mailbox: DovecotServer) -> tuple[str, EmailMessage]:
    send(smtp_server, ubah_jadwal(), "dmarc=pass header.from=example.test")
    desk.run()
    (ack,) = inbox(mailbox, "warga")
    return str(ack["X-Helpdesk-Ticket"]), ack


def assert_untouched(desk: Desk, mailbox: DovecotServer, ticket_id: str, before: object, warga_mails: int = 1) -> None:
    assert desk.store.ticket(ticket_id) == before
    assert len(inbox(mailbox, "warga")) == warga_mails


# -- staff commands -------------------------------------------------------------------------------


@pytest.mark.parametrize("from_header", [
    f'"{STAFF}" <"john doe"@evil.example>',                           # staff address only in the display name
    "=?utf-8?q?staf=40example.test=2C?= <attacker@evil.example>",     # ... or in an encoded word
])
def test_staff_address_in_a_display_name_is_not_staff(make_desk, smtp_server, mailbox, from_header) -> None:
    desk = make_desk()
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    msg = staff_command(ack, "#tolak Isi ulang di http://evil.example/form", sender="attacker@evil.example")
    msg.add_attachment(text_pdf("FORMULIR", {"Tautan": "http://evil.example/form"}), maintype="application",
                       subtype="pdf", filename="formulir_baru.pdf")
    # Raw bytes: the standard library would re-encode the forged From on the way out.
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")).replace(b"From: attacker@evil.example", b"From: " + from_header.encode(), 1)
    assert from_header.encode() in raw
    send(smtp_server, raw, PASS_EVIL)  # the attacker's own domain genuinely passes
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)
    (event,) = [e for e in desk.store.events(ticket_id) if e["kind"] == "command_rejected"]
    assert "evil.example" in event["actor"] and "not a staff address" in event["detail"]


def test_staff_from_with_dmarc_pass_for_another_domain_is_rejected(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    send(smtp_server, staff_command(ack, "#selesai"), PASS_EVIL)
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)
    (event,) = [e for e in desk.store.events(ticket_id) if e["kind"] == "command_rejected"]
    assert "evil.example ignored" in event["detail"]


def test_forged_authentication_results_in_the_mail_count_for_nothing(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    msg = staff_command(ack, "#selesai")
    msg["Authentication-Results"] = f"{MX}; {PASS_OURS}"          # the sender's forgery, with our id
    send(smtp_server, msg, "spf=fail smtp.mailfrom=example.test; dmarc=fail header.from=example.test")
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)


def test_without_trusted_authserv_ids_no_header_counts(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk(screening={"trusted_authserv_ids": ()})
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    msg = staff_command(ack, "#selesai")
    msg["Authentication-Results"] = f"forged.example; {PASS_OURS}"  # topmost where the MX writes none
    send(smtp_server, msg, PASS_OURS)
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)


def test_listing_our_own_mx_as_relay_trusts_nobody(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk(staff={"trusted_relays": (MX,)})
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    send(smtp_server, staff_command(ack, "#selesai"), "none", helo=MX)
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)


def test_trusted_relay_is_the_peer_our_mx_saw(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk(staff={"trusted_relays": ("127.0.0.2",)})
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    before = desk.store.ticket(ticket_id)
    # From 127.0.0.1, claiming the relay's name and address in HELO: not the relay.
    send(smtp_server, staff_command(ack, "#proses"), "none", helo="[127.0.0.2]")
    desk.run()
    assert_untouched(desk, mailbox, ticket_id, before)
    # Control: the relay itself (a real connection from 127.0.0.2), no authentication results.
    send(smtp_server, staff_command(ack, "#proses"), "none", source="127.0.0.2")
    desk.run()
    assert desk.store.ticket(ticket_id).status == "diproses"


def test_control_genuine_aligned_staff_command_works(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    send(smtp_server, staff_command(ack, "#selesai\nJadwal telah kami ubah."), PASS_OURS)
    desk.run()
    assert desk.store.ticket(ticket_id).status == "selesai"
    notice = inbox(mailbox, "warga")[-1]
    assert "Jadwal telah kami ubah." in text_of(notice)


def test_from_with_two_addresses_has_no_identity_and_gets_nothing(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    msg = ubah_jadwal()
    del msg["From"]
    msg["From"] = f"{POKJA}, {STRANGER}"
    send(smtp_server, msg, PASS_OURS)
    desk.run()
    assert inbox(mailbox, "warga") == [] and inbox(mailbox, "info") == []
    (ticket,) = desk.store.tickets()
    assert ticket.requester == "" and "2 addresses in From" in ticket.needs_staff


# -- ticket access --------------------------------------------------------------------------------


def reset_request() -> EmailMessage:
    pdf = text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY",
                   {"Nama Lengkap": "Siti Rahmawati", "NIP": NIP, "No. Telepon/HP": "081234567890", "Alamat Email": POKJA})
    return request_mail(subject="Permohonan reset password admin agency", sender=f"Siti <{POKJA}>", to=HELPDESK,
                        attachments=[("surat_reset.pdf", pdf)])


def sk(sender: str, subject: str, in_reply_to: str = "") -> EmailMessage:
    pdf = text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", {"Nama": "Orang Lain", "NIP": "196001011990011001"})
    return request_mail(subject=subject, sender=sender, to=HELPDESK, in_reply_to=in_reply_to,
                        attachments=[("sk_admin.pdf", pdf)])


def test_stranger_naming_a_ticket_moves_nothing_and_sees_nothing(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    send(smtp_server, reset_request(), "dmarc=pass header.from=example.test")
    desk.run()
    (ack,) = inbox(mailbox, "warga")
    ticket_id = str(ack["X-Helpdesk-Ticket"])
    before = desk.store.ticket(ticket_id)
    assert before.status == "menunggu_kelengkapan" and before.fields.get("nip")
    send(smtp_server, sk(f"Orang <{STRANGER}>", f"Re: [{ticket_id}] SK"), "dmarc=pass header.from=example.test")
    desk.run()
    assert desk.store.ticket(ticket_id) == before
    (theirs,) = inbox(mailbox, "info")  # the stranger's own new ticket, nothing of Siti's
    assert str(theirs["X-Helpdesk-Ticket"]) != ticket_id
    assert NIP not in text_of(theirs) and "Siti" not in text_of(theirs) and "081234567890" not in text_of(theirs)
    assert "foreign_message" in [e["kind"] for e in desk.store.events(ticket_id)]
    # Control: the requester's own follow-up completes her ticket and only she hears of it.
    send(smtp_server, sk(f"Siti <{POKJA}>", f"Re: {ack['Subject']}", str(ack["Message-ID"])),
         "dmarc=pass header.from=example.test")
    desk.run()
    assert desk.store.ticket(ticket_id).status == "antre"
    assert len(inbox(mailbox, "warga")) == 2 and len(inbox(mailbox, "info")) == 1


def test_stranger_cannot_confirm_the_password_change(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    ticket_id, ack = opened(desk, smtp_server, mailbox)
    send(smtp_server, staff_command(ack, "#selesai"), PASS_OURS)
    desk.run()
    notice = inbox(mailbox, "warga")[-1]
    reply = request_mail(subject=f"Re: {notice['Subject']}", body="Sudah diganti", sender=STRANGER, to=HELPDESK,
                         in_reply_to=str(notice["Message-ID"]))
    send(smtp_server, reply, "dmarc=pass header.from=example.test")
    desk.run()
    ticket = desk.store.ticket(ticket_id)
    assert ticket.password_confirmed_at is None and ticket.next_reminder_at is not None
    assert inbox(mailbox, "info") == []
    # Control: the requester's own "sudah".
    reply = request_mail(subject=f"Re: {notice['Subject']}", body="Sudah diganti", sender=POKJA, to=HELPDESK,
                         in_reply_to=str(notice["Message-ID"]))
    send(smtp_server, reply, "dmarc=pass header.from=example.test")
    desk.run()
    assert desk.store.ticket(ticket_id).password_confirmed_at is not None


def test_reply_to_does_not_redirect_a_tickets_data(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    msg = reset_request()
    msg["Reply-To"] = STRANGER
    send(smtp_server, msg, "dmarc=pass header.from=example.test")
    desk.run()
    assert inbox(mailbox, "info") == [] and len(inbox(mailbox, "warga")) == 1


# -- Message-ID reuse -----------------------------------------------------------------------------


def test_message_id_reuse_is_a_new_mail_and_a_real_duplicate_is_listed(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    first = ubah_jadwal()
    first.replace_header("Message-ID", "<scan0001@scanner.example>")
    send(smtp_server, first, "dmarc=pass header.from=example.test")
    other = reset_request()
    del other["From"]
    other["From"] = STRANGER
    other.replace_header("Message-ID", "<scan0001@scanner.example>")
    send(smtp_server, other, "dmarc=pass header.from=example.test")
    send(smtp_server, first, "dmarc=pass header.from=example.test")  # the very same mail again
    desk.run()
    assert len(desk.store.tickets()) == 2
    assert len(inbox(mailbox, "warga")) == 1 and len(inbox(mailbox, "info")) == 1
    outcomes = [r["outcome"] for r in desk.store.query("SELECT outcome FROM messages ORDER BY processed_at, key")]
    assert sorted(outcomes) == ["duplicate", "ticket", "ticket"]
    text, _html = digest.render(desk.pipeline.replies, digest.collect(desk.store, desk.pipeline.replies))
    assert "same Message-ID, sender and content" in text


# -- limits and secrets ---------------------------------------------------------------------------


def test_plus_addressing_does_not_multiply_the_sender_limit(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    for i in range(7):
        send(smtp_server, request_mail(subject=f"Pertanyaan {i}", sender=f"target+{i}@bandungkab.go.id", to=HELPDESK))
    desk.run()
    to_target = [e for e in smtp_server.envelopes if any("target" in r for r in e.rcpt_tos)]
    assert len(to_target) == desk.config.screening.per_sender_per_hour == 5


def test_over_the_overall_cap_replies_are_deferred_then_delivered(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk(screening={"overall_per_hour": 1})
    send(smtp_server, ubah_jadwal())
    send(smtp_server, request_mail(subject="Pertanyaan", sender=f"Info <{STRANGER}>", to=HELPDESK))
    desk.run()
    assert len(inbox(mailbox, "warga")) + len(inbox(mailbox, "info")) == 1
    text, _html = digest.render(desk.pipeline.replies, digest.collect(desk.store, desk.pipeline.replies))
    assert "ditunda" in text
    desk.clock.advance(minutes=61)
    desk.tick()
    assert len(inbox(mailbox, "warga")) == 1 and len(inbox(mailbox, "info")) == 1


def test_password_in_subject_file_name_and_body_is_kept_nowhere(make_desk, smtp_server, mailbox) -> None:
    desk = make_desk()
    secret = "Rahasia123"
    msg = request_mail(subject=f"ubah jadwal pass: {secret}", body=f"Mohon dibantu.\nKata Sandi (baru): {secret}\n",
                       sender=POKJA, to=HELPDESK,
                       attachments=[(f"form password={secret}.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL",
                                                                             {"Kode Tender": "48658064"}))])
    send(smtp_server, msg, "dmarc=pass header.from=example.test")
    desk.run()
    dump = "\n".join(str(dict(r)) for t in ("tickets", "events", "messages", "doc_cache")
                     for r in desk.store.query(f"SELECT * FROM {t}"))
    assert secret not in dump
    (ack,) = inbox(mailbox, "warga")
    assert secret not in ack.as_string()
    assert "tidak pernah mengirimkan kata sandi melalui email" in text_of(ack)
    sent_out = b"".join(smtp_server.messages()[1:])  # everything after the requester's own mail
    assert secret.encode() not in sent_out

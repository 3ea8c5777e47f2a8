"""Ticket access: only the requester changes a ticket or receives its data; Message-ID reuse.

Real Pipeline on a Store with a fake clock (the real-server versions are in
test_hostile_mail.py); text PDFs from docgen.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from docgen import text_pdf
from helpdesk_bot import digest
from helpdesk_bot.config import HelpdeskConfig
from mails import request_mail
from test_workflow import World, make_world, staff_mail, ubah_jadwal_request, wib

REQUESTER = "siti@bandungkab.go.id"
STRANGER = "mallory@evil.example"
RESET_FIELDS = {"Nama Lengkap": "Siti Rahmawati", "NIP": "198501012010012001",
                "No. Telepon/HP": "081234567890", "Alamat Email": REQUESTER}


def reset_request(sender: str = f"Siti <{REQUESTER}>") -> object:
    pdf = text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", RESET_FIELDS)
    return request_mail(subject="Permohonan reset password admin agency", sender=sender,
                        attachments=[("surat_reset.pdf", pdf)])


def sk_mail(ticket_id: str, sender: str, in_reply_to: str = "") -> object:
    sk = text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", {"Nama": "Orang Lain", "NIP": "196001011990011001"})
    return request_mail(subject=f"Re: [{ticket_id}] SK", sender=sender, in_reply_to=in_reply_to,
                        attachments=[("sk_admin.pdf", sk)])


def world(tmp_path: Path, **helpdesk: object) -> World:
    w = make_world(tmp_path, wib(2026, 11, 24, 9, 0))
    if helpdesk:
        w.config = dataclasses.replace(w.config, helpdesk=dataclasses.replace(HelpdeskConfig(), **helpdesk))
        w.pipeline.config = w.config
    return w


def bodies_to(w: World, address: str) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in w.outbox() if address in str(m["To"])]


def test_stranger_naming_a_ticket_gets_its_own_ticket_and_none_of_the_data(tmp_path: Path) -> None:
    w = world(tmp_path)
    t = w.deliver(reset_request()).ticket_id
    before = w.store.ticket(t)
    assert before.status == "menunggu_kelengkapan"
    out = w.deliver(sk_mail(t, f"Mallory <{STRANGER}>"))
    assert out.kind == "ticket" and out.ticket_id != t
    assert w.store.ticket(t) == before  # unchanged: status, documents, fields
    texts = bodies_to(w, STRANGER)
    assert len(texts) == 1 and t not in texts[0]
    assert not any(v in texts[0] for v in ("198501012010012001", "Siti Rahmawati", "081234567890"))
    note = [e for e in w.store.events(t) if e["kind"] == "foreign_message"]
    assert len(note) == 1 and STRANGER in note[0]["actor"]


def test_stranger_reply_in_thread_is_a_note_without_answer(tmp_path: Path) -> None:
    w = world(tmp_path)
    t = w.deliver(reset_request()).ticket_id
    before, n_out = w.store.ticket(t), len(w.outbox())
    out = w.deliver(request_mail(subject=f"Re: [{t}]", body="Mohon kirim ulang data pemohon", sender=STRANGER,
                                 in_reply_to=before.message_id))
    assert out.kind == "foreign_note" and out.ticket_id == t
    assert w.store.ticket(t) == before and len(w.outbox()) == n_out
    rows = digest.collect(w.store, w.replies).suppressed
    assert [r.sender for r in rows] == [STRANGER]


def test_stranger_cannot_confirm_a_password_change(tmp_path: Path) -> None:
    w = world(tmp_path)
    t = w.deliver(ubah_jadwal_request()).ticket_id
    w.deliver(staff_mail(w, t, "#selesai\nJadwal sudah diubah."))
    ticket = w.store.ticket(t)
    assert ticket.next_reminder_at is not None
    out = w.deliver(request_mail(subject=f"Re: [{t}]", body="Sudah diganti", sender=STRANGER, in_reply_to=ticket.message_id))
    assert out.kind == "foreign_note"
    after = w.store.ticket(t)
    assert after.password_confirmed_at is None and after.next_reminder_at == ticket.next_reminder_at
    # Control: the requester's own "sudah" still stops the reminders.
    out = w.deliver(request_mail(subject=f"Re: [{t}]", body="Sudah diganti", sender=ticket.requester,
                                 in_reply_to=ticket.message_id))
    assert out.kind == "password_confirmed" and w.store.ticket(t).next_reminder_at is None


def test_requester_follow_up_still_completes_the_ticket(tmp_path: Path) -> None:
    w = world(tmp_path)
    t = w.deliver(reset_request()).ticket_id
    out = w.deliver(sk_mail(t, f"Siti <{REQUESTER.upper()}>", in_reply_to=w.store.ticket(t).message_id))
    assert (out.kind, out.ticket_id) == ("followup", t)
    assert w.store.ticket(t).status == "antre"
    assert len(bodies_to(w, REQUESTER)) == 2


def test_alias_of_the_requester_may_follow_up_and_answers_go_to_the_requester(tmp_path: Path) -> None:
    alias = "lpse@bandungkab.go.id"
    w = world(tmp_path, requester_aliases=((REQUESTER, alias),))
    t = w.deliver(reset_request()).ticket_id
    out = w.deliver(sk_mail(t, alias))
    assert (out.kind, out.ticket_id) == ("followup", t) and w.store.ticket(t).status == "antre"
    assert bodies_to(w, alias) == [] and len(bodies_to(w, REQUESTER)) == 2


def test_reply_to_never_receives_anything(tmp_path: Path) -> None:
    w = world(tmp_path)
    msg = reset_request()
    msg["Reply-To"] = STRANGER
    w.deliver(msg)
    assert bodies_to(w, STRANGER) == [] and len(bodies_to(w, REQUESTER)) == 1


def test_message_id_reuse_by_another_sender_is_a_new_mail(tmp_path: Path) -> None:
    w = world(tmp_path)
    first = request_mail(subject="Permohonan ubah jadwal", message_id="<scan0001@scanner>", sender="a@bandungkab.go.id",
                         attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", {"Kode Tender": "1"}))])
    a = w.deliver(first)
    second = reset_request()
    del second["Message-ID"]
    second["Message-ID"] = "<scan0001@scanner>"
    b = w.deliver(second)
    assert a.kind == b.kind == "ticket" and a.ticket_id != b.ticket_id
    # Same content from the same sender with another Message-ID reuse by the same scanner: new too.
    third = request_mail(subject="Permohonan ubah jadwal", message_id="<scan0001@scanner>", sender="a@bandungkab.go.id",
                         attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", {"Kode Tender": "2"}))])
    assert w.deliver(third).kind == "ticket"
    # The very same mail again (another mailbox): a duplicate, listed in the digest.
    dup = w.deliver(first, mailbox="info")
    assert (dup.kind, dup.ticket_id) == ("duplicate", a.ticket_id)
    rows = digest.collect(w.store, w.replies).suppressed
    assert len(rows) == 1 and "same Message-ID, sender and content" in rows[0].reason

"""The pipeline end to end on the embedded default: Maildir in, SQLite, replies as .eml files.

The same code runs against real IMAP/SMTP servers in test_mailserver_*.py; here the outcome
rules are checked quickly: one mail one ticket, follow-ups complete tickets, nothing is
processed twice, bad mail is quarantined and the loop goes on.
"""

from __future__ import annotations

import json
import sqlite3

from docgen import SAMPLE_FIELDS, text_pdf
from helpers import body, drop, maildir_config, outbox_mails
from mails import request_mail

from helpdesk_bot.daemon import Daemon, open_store

UBAH = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))
ADMIN = {"Nama Lengkap": "Siti Aminah", "NIP": "19800415 200501 2 003", "No. Telepon/HP": "081222334455",
         "Alamat Email": "siti@garutkab.go.id"}
RESET = ("surat.pdf", text_pdf("SURAT PERMOHONAN RESET PASSWORD ADMINISTRATOR AGENCY", ADMIN))
SK = ("sk.pdf", text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", ADMIN))


def run(cfg):
    return Daemon(cfg).run_once()


def tickets(cfg):
    store = open_store(cfg)
    try:
        return store.tickets()
    finally:
        store.close()


def test_request_gives_one_ticket_and_one_threaded_reply(tmp_path):
    cfg = maildir_config(tmp_path)
    req = request_mail("Mohon ubah jadwal", attachments=[UBAH])
    drop(cfg, req)
    summary = run(cfg)
    assert summary.counts == {"ticket": 1} and summary.sent == 1
    [t] = tickets(cfg)
    assert (t.request_type, t.status, t.missing) == ("ubah_jadwal", "antre", [])
    assert t.fields["kode_tender"] == "48658064"
    [reply] = outbox_mails(cfg)
    assert reply["Subject"] == f"[{t.id}] Re: Mohon ubah jadwal"
    assert reply["In-Reply-To"] == req["Message-ID"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["To"] == "pokja12@bandungkab.go.id"
    text = body(reply)
    assert "Yth. Bapak/Ibu di lingkungan Pemerintah Kabupaten Bandung," in text and "Formulir Permintaan Ubah Jadwal" in text
    assert t.id in text


def test_same_mail_to_both_mailboxes_is_one_ticket(tmp_path):
    cfg = maildir_config(tmp_path)
    req = request_mail("Mohon ubah jadwal", attachments=[UBAH], cc="info@lpse.jabarprov.go.id")
    drop(cfg, req, "helpdesk")
    drop(cfg, req, "info")
    summary = run(cfg)
    assert summary.counts == {"ticket": 1, "duplicate": 1}
    assert len(tickets(cfg)) == 1 and len(outbox_mails(cfg)) == 1


def test_missing_document_sent_later_completes_the_ticket(tmp_path):
    cfg = maildir_config(tmp_path)
    first = request_mail("Permohonan reset password admin agency", attachments=[RESET])
    drop(cfg, first)
    run(cfg)
    [t] = tickets(cfg)
    assert t.status == "menunggu_kelengkapan" and t.missing == ["sk_admin_agency"]
    ack = outbox_mails(cfg)[0]
    assert "Surat Keputusan Penunjukan/Pengangkatan Administrator Agency" in body(ack)
    follow = request_mail(f"Re: {ack['Subject']}", body="Terlampir SK.", attachments=[SK],
                          in_reply_to=ack["Message-ID"])
    drop(cfg, follow)
    assert run(cfg).counts == {"followup": 1}
    [t] = tickets(cfg)
    assert t.status == "antre" and t.missing == [] and set(t.documents) == {"surat_permohonan_reset_password", "sk_admin_agency"}
    update = outbox_mails(cfg)[1]
    assert update["Subject"] == ack["Subject"]
    assert "kelengkapan" in body(update) and "telah lengkap" in body(update)


def test_ticket_id_in_subject_threads_without_headers(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("reset password", attachments=[RESET]))
    run(cfg)
    [t] = tickets(cfg)
    drop(cfg, request_mail(f"SK untuk tiket [{t.id}]", attachments=[SK]))
    assert run(cfg).counts == {"followup": 1}
    assert tickets(cfg)[0].missing == []


def test_restarted_daemon_reprocesses_nothing(tmp_path):
    cfg = maildir_config(tmp_path)
    for i in range(3):
        drop(cfg, request_mail(f"Permintaan {i}", attachments=[UBAH]))
    assert run(cfg).counts == {"ticket": 3}
    again = run(cfg)
    assert again.counts == {} and again.sent == 0
    assert len(tickets(cfg)) == 3 and len(outbox_mails(cfg)) == 3


def test_unparseable_mail_is_quarantined_and_the_loop_goes_on(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, b"\r\n\r\n")
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    summary = run(cfg)
    assert summary.counts == {"quarantined": 1, "ticket": 1}
    db = sqlite3.connect(cfg.resolve(cfg.storage.database))
    reason, status = db.execute("SELECT reason, status FROM quarantine").fetchone()
    assert "empty message" in reason and status == "open"
    assert run(cfg).counts == {}  # recorded, not retried forever


def test_auto_reply_is_recorded_not_answered(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Automatic reply: Permohonan", headers={"Auto-Submitted": "auto-replied"}))
    assert run(cfg).counts == {"suppressed": 1}
    assert outbox_mails(cfg) == [] and tickets(cfg) == []
    db = sqlite3.connect(cfg.resolve(cfg.storage.database))
    assert db.execute("SELECT outcome, rule FROM messages").fetchone() == ("suppressed", "auto_submitted")


def test_mail_from_own_address_is_never_answered(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH], sender="helpdesk@lpse.jabarprov.go.id"))
    assert run(cfg).counts == {"suppressed": 1}
    assert outbox_mails(cfg) == []


def test_sub_agency_is_refused_citing_the_sla(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Pendaftaran sub agency", body="Mohon didaftarkan sub agency."))
    run(cfg)
    [t] = tickets(cfg)
    assert (t.request_type, t.status) == ("sub_agency", "ditolak")
    assert "III.b.7" in body(outbox_mails(cfg)[0])


def test_events_are_the_audit_trail(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    run(cfg)
    store = open_store(cfg)
    [t] = store.tickets()
    kinds = [e["kind"] for e in store.events(t.id)]
    assert kinds == ["created", "attachments_stored", "mail_sent"]
    created = json.loads(store.events(t.id)[0]["detail"])
    assert created["request_type"] == "ubah_jadwal"


def test_missing_form_reply_carries_the_blank_form(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Mohon ubah jadwal tender 48658064", body="Mohon perubahan jadwal."))
    run(cfg)
    [t] = tickets(cfg)
    assert t.missing == ["formulir_ubah_jadwal"]
    [reply] = outbox_mails(cfg)
    [att] = list(reply.iter_attachments())
    assert att.get_filename() == "formulir_ubah_jadwal.pdf" and att.get_content().startswith(b"%PDF")
    assert "Formulir kosong kami lampirkan" in body(reply)


def test_maildir_is_read_in_arrival_order_not_string_order():
    from helpdesk_bot.sources.maildir import _arrival

    names = ["1795684763.M780362P1Q1.vm", "1795684763.M98123P1Q2.vm", "1795684762.M999999P1Q9.vm"]
    # 98123 microseconds come before 780362 in the same second, though "M9" > "M7" as text.
    assert sorted(names, key=_arrival) == [names[2], names[1], names[0]]


def test_sla_data_settled_by_any_document_of_the_ticket(tmp_path):
    """The letter carries all four SLA data; the SK sent later lacks the email: nothing lacks."""
    cfg = maildir_config(tmp_path)
    first = request_mail("Permohonan reset password admin agency", attachments=[RESET])
    drop(cfg, first)
    run(cfg)
    assert tickets(cfg)[0].lacking == []
    sk = {k: v for k, v in ADMIN.items() if k != "Alamat Email"}
    drop(cfg, request_mail("Re: SK", attachments=[("sk.pdf", text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", sk))],
                           in_reply_to=first["Message-ID"]))
    run(cfg)
    [t] = tickets(cfg)
    assert (t.status, t.missing, t.lacking) == ("antre", [], [])


def test_invalid_nip_is_named_then_settled_by_a_later_document(tmp_path):
    cfg = maildir_config(tmp_path)
    bad = dict(ADMIN, NIP="19801345 200501 2 003")
    first = request_mail("Permohonan admin agency tambahan",
                         attachments=[("sk.pdf", text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", bad))])
    drop(cfg, first)
    run(cfg)
    [t] = tickets(cfg)
    assert t.status == "menunggu_kelengkapan" and t.lacking == ["NIP (tanggal lahir pada NIP tidak valid)"]
    assert "tanggal lahir pada NIP tidak valid" in body(outbox_mails(cfg)[0])
    drop(cfg, request_mail("Re: SK perbaikan", attachments=[SK], in_reply_to=first["Message-ID"]))
    run(cfg)
    [t] = tickets(cfg)
    assert (t.status, t.lacking, t.fields["nip"]) == ("antre", [], "198004152005012003")


def test_unrelated_documents_in_an_open_tickets_thread_are_a_new_request(tmp_path):
    cfg = maildir_config(tmp_path)
    first = request_mail("Mohon ubah jadwal", attachments=[UBAH])
    drop(cfg, first)
    run(cfg)
    drop(cfg, request_mail("Re: Mohon ubah jadwal", body="Sekalian reset password admin.", attachments=[RESET],
                           in_reply_to=first["Message-ID"]))
    assert run(cfg).counts == {"ticket": 1}
    old, new = tickets(cfg)
    assert (old.request_type, old.documents) == ("ubah_jadwal", ["formulir_ubah_jadwal"])
    assert (new.request_type, new.missing) == ("reset_password", ["sk_admin_agency"])

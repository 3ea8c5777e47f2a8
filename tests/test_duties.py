"""Duties of the SLA: outages announced (II.b.9), onboarding through bimtek to the User ID
(III.b.1.4, III.b.5.3, II.b.4), and the requester's own text kept with the ticket."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from docgen import text_pdf
from helpdesk_bot import outages
from mails import request_mail
from test_workflow import AUTH_FAIL, make_world, staff_mail, wib

ADMIN = {"Nama Lengkap": "Siti Aminah", "NIP": "19800415 200501 2 003", "No. Telepon/HP": "081222334455",
         "Alamat Email": "siti@garutkab.go.id"}


def body(msg) -> str:
    return " ".join(msg.get_body(("plain",)).get_content().split())


def outage_mail(world, text: str, auth=None):
    from test_workflow import AUTH_PASS
    return request_mail(subject="Pengumuman gangguan", body=text, sender="Andi <andi@lpse.jabarprov.go.id>",
                        headers={"Authentication-Results": auth or AUTH_PASS})


def test_outage_declared_by_mail_answers_reports_and_every_ack(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    out = w.deliver(outage_mail(w, "#gangguan SPSE tidak dapat diakses sejak pukul 08.30 WIB karena pemeliharaan server."))
    assert out.kind == "command" and outages.current(w.store) is not None
    assert w.outbox() == []  # declaring answers nobody
    report = w.deliver(request_mail("SPSE down", body="SPSE tidak bisa diakses, error 502.", sender="ulp@garutkab.go.id"))
    ticket = w.store.ticket(report.ticket_id)
    assert ticket.request_type == "gangguan" and ticket.outage_id == outages.current(w.store).id
    ack = body(w.outbox()[-1])
    assert "telah kami ketahui" in ack and "pemeliharaan server" in ack
    other = w.deliver(request_mail("Pertanyaan", body="Bagaimana cara mendaftar akun penyedia?"))
    assert "PENGUMUMAN GANGGUAN LAYANAN SPSE" in body(w.outbox()[-1])
    # Ended: the linked report is answered and closed; later acks carry no announcement.
    w.clock.advance(hours=2)
    done = w.deliver(outage_mail(w, "#gangguan selesai"))
    assert done.kind == "command" and outages.current(w.store) is None
    assert w.store.ticket(report.ticket_id).status == "selesai"
    assert w.store.ticket(other.ticket_id).status != "selesai"
    assert "kembali normal" in body(w.outbox()[-1])
    w.deliver(request_mail("Pertanyaan lagi", body="Apakah ada jadwal pelatihan penyedia?"))
    assert "PENGUMUMAN GANGGUAN" not in body(w.outbox()[-1])


def test_outage_without_declaration_goes_to_staff(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    report = w.deliver(request_mail("Gangguan SPSE", body="Server LPSE down sejak pagi."))
    t = w.store.ticket(report.ticket_id)
    assert t.request_type == "gangguan" and t.outage_id is None and t.status == "antre"
    assert "akan memeriksa laporan tersebut" in body(w.outbox()[-1])


def test_outage_from_a_forged_staff_address_changes_nothing(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    out = w.deliver(outage_mail(w, "#gangguan SPSE mati", auth=AUTH_FAIL))
    assert out.kind == "command_rejected" and outages.current(w.store) is None


def test_outage_cli(tmp_path: Path) -> None:
    from helpdesk_bot.cli import main

    cfg = tmp_path / "config.toml"
    cfg.write_text('[storage]\ndatabase = "h.db"\n\n[[mailbox]]\nname = "helpdesk"\n'
                   'address = "helpdesk@lpse.jabarprov.go.id"\nkind = "maildir"\npath = "md"\n\n'
                   '[smtp]\nkind = "directory"\npath = "out"\n')
    from helpdesk_bot.config import load
    from helpdesk_bot.daemon import open_store
    open_store(load(str(cfg))).close()
    r = CliRunner().invoke(main, ["--config", str(cfg), "gangguan", "start", "SPSE", "lambat", "diakses"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["--config", str(cfg), "gangguan", "status"])
    assert "SPSE lambat diakses" in r.output
    r = CliRunner().invoke(main, ["--config", str(cfg), "gangguan", "stop"])
    assert r.exit_code == 0 and "ended" in r.output
    assert CliRunner().invoke(main, ["--config", str(cfg), "gangguan", "stop"]).exit_code != 0


def test_onboarding_lifecycle_tells_the_requester_each_step(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    docs = [("surat.pdf", text_pdf("SURAT PERMOHONAN PENGGANTIAN PERSONIL ADMINISTRATOR AGENCY", ADMIN)),
            ("sk.pdf", text_pdf("SURAT KEPUTUSAN PENUNJUKAN ADMINISTRATOR AGENCY", ADMIN))]
    out = w.deliver(request_mail("Penggantian admin agency", attachments=docs, sender="setda@garutkab.go.id"))
    tid = out.ticket_id
    t = w.store.ticket(tid)
    assert t.request_type == "penggantian_admin" and t.onboarding == "menunggu_bimtek"
    ack = body(w.outbox()[-1])
    assert "Administrator Agency dan Pokja Pemilihan/ULP wajib mengikuti bimbingan teknis" in ack
    # Access before bimtek is refused.
    refused = w.deliver(staff_mail(w, tid, "#akses"))
    assert refused.kind == "command_failed"
    w.deliver(staff_mail(w, tid, "#bimtek Selasa, 8 Desember 2026 pukul 09.00 WIB di Ruang Pelatihan LPSE"))
    t = w.store.ticket(tid)
    assert (t.onboarding, t.status) == ("bimtek_dijadwalkan", "diproses") and "8 Desember 2026" in t.bimtek
    notice = body(w.outbox()[-1])
    assert "Ruang Pelatihan LPSE" in notice and "Pokja Pemilihan/ULP" in notice
    w.deliver(staff_mail(w, tid, "#hadir"))
    assert w.store.ticket(tid).onboarding == "bimtek_selesai"
    assert "penyerahan User ID" in body(w.outbox()[-1])
    w.deliver(staff_mail(w, tid, "#akses"))
    t = w.store.ticket(tid)
    assert (t.onboarding, t.status) == ("akses_diserahkan", "selesai")
    assert "User ID Administrator Agency" in body(w.outbox()[-1])


def test_incomplete_onboarding_waits_for_documents_first(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    docs = [("surat.pdf", text_pdf("SURAT PERMOHONAN BERGABUNG DENGAN LPSE PROVINSI JAWA BARAT", {}))]
    out = w.deliver(request_mail("Permohonan bergabung", attachments=docs))
    assert w.store.ticket(out.ticket_id).onboarding == ""


def test_requester_text_is_kept_redacted(tmp_path: Path) -> None:
    w = make_world(tmp_path, wib(2026, 11, 30, 9, 0))
    out = w.deliver(request_mail("Pertanyaan", body="Bagaimana cara login?\nPassword: rahasia123\n\n> kutipan lama"))
    t = w.store.ticket(out.ticket_id)
    assert "Bagaimana cara login?" in t.requester_text
    assert "rahasia123" not in t.requester_text and "kutipan lama" not in t.requester_text

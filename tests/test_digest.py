"""The daily digest: every section from a database with tickets in every state; no password."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_bot import digest
from helpdesk_bot.cli import main
from helpdesk_bot.config import DigestConfig
from helpdesk_bot.digest import age_text
from helpdesk_bot.sources.base import SourceMessage
from helpdesk_bot.store import iso
from helpdesk_bot.workflow import act
from mails import request_mail
from test_workflow import cli_config, AUTH_FAIL, World, make_world, staff_mail, ubah_jadwal_request, wib

SECRET = "Rahasia#2026"

#: Headings of every section, as staff read them (plain text upper case, HTML as written).
SECTIONS = ("Melewati batas waktu", "Perlu perhatian petugas", "Tiket baru sejak ringkasan terakhir",
            "Menunggu kelengkapan dokumen", "Dalam antrean, menurut batas waktu",
            "Selesai atau ditolak sejak ringkasan terakhir", "Penggantian password belum dikonfirmasi",
            "Email yang tidak dijawab otomatis", "Email dalam karantina", "Perintah petugas yang ditolak atau gagal",
            "Email yang gagal terkirim")


def populate(w: World) -> dict[str, str]:
    """Tickets in every status plus suppressed, quarantined, rejected and undelivered mail."""
    ids: dict[str, str] = {}
    w.clock.now = wib(2026, 11, 23, 9, 0)  # Monday
    ids["overdue"] = w.deliver(ubah_jadwal_request(**{"Kode Tender": "10158661000"})).ticket_id
    w.clock.now = wib(2026, 11, 24, 8, 0)
    ids["antre"] = w.deliver(ubah_jadwal_request()).ticket_id
    ids["urgent"] = w.deliver(ubah_jadwal_request(**{"Jadwal Semula": "24 November 2026 pukul 10.00"})).ticket_id
    ids["waiting"] = w.deliver(request_mail(subject="Permohonan uji forensik, password: " + SECRET,
                                            body="Mohon uji forensik.")).ticket_id
    ids["baru"] = w.deliver(request_mail(subject="Tanya <script>alert(1)</script> jadwal bimtek",
                                         body="Kapan jadwal bimtek?")).ticket_id
    ids["diproses"] = w.deliver(ubah_jadwal_request()).ticket_id
    ids["selesai"] = w.deliver(ubah_jadwal_request()).ticket_id
    ids["ditolak"] = w.deliver(ubah_jadwal_request()).ticket_id
    with w.store.transaction():
        act(w.store, w.replies, ids["diproses"], "proses", "cli:andi")
        act(w.store, w.replies, ids["selesai"], "selesai", "cli:andi", f"password: {SECRET}")
        act(w.store, w.replies, ids["ditolak"], "tolak", "cli:andi", "Formulir belum ditandatangani")
        w.store.update_ticket(ids["baru"], needs_staff="DMARC gagal untuk domain pengirim")
    w.deliver(request_mail(subject="Out of office: Permohonan", headers={"Auto-Submitted": "auto-replied"}))
    w.deliver(staff_mail(w, ids["antre"], "#selesai", auth=AUTH_FAIL))
    w.pipeline.quarantine(SourceMessage("helpdesk", "q1", b"garbage"), None, "ParseError: broken mail", "tb")
    with w.store.transaction():
        w.store.db["outbox"].update(1, {"status": "failed", "last_error": "550 5.1.1 user unknown"})
    w.clock.now = wib(2026, 11, 25, 7, 0)
    return ids


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path, wib(2026, 11, 23, 9, 0))
    w.ids = populate(w)  # type: ignore[attr-defined]
    return w


def test_every_section_is_filled(world: World) -> None:
    """Overdue first; each ticket once, in its most pressing section; the first digest of an
    install covers everything since the first mail."""
    ids = world.ids  # type: ignore[attr-defined]
    d = digest.collect(world.store, world.replies)
    assert d.overdue[0].id == ids["urgent"] and d.overdue[0].urgent  # urgent first everywhere
    assert {r.id for r in d.overdue} == {ids[k] for k in ("antre", "urgent", "diproses", "overdue")}
    assert [r.id for r in d.attention] == [ids["baru"]]
    assert [r.id for r in d.new] == [ids["waiting"]] and "Kurang" in d.new[0].note
    assert [r.id for r in d.unconfirmed] == [ids["selesai"]]
    assert [r.id for r in d.done] == [ids["ditolak"]]
    listed = [r.id for s in d.sections if s.kind == "ticket" for r in s.rows]
    assert sorted(listed) == sorted(set(listed)) and len(listed) == 8  # each ticket once
    assert len(d.suppressed) == 1 and len(d.quarantined) == 1 and len(d.rejected) == 1 and len(d.undelivered) == 1
    assert "ditolak" in d.rejected[0].subject
    # Requester with agency; ubah_jadwal with stage and dates.
    row = next(r for r in d.overdue if r.id == ids["antre"])
    assert "(Pemerintah Kabupaten Bandung)" in row.requester
    assert "Tahapan Upload Dokumen Penawaran" in row.detail and "semula" in row.detail and "diminta" in row.detail


def test_text_and_html_show_every_section_and_no_password(world: World) -> None:
    w = world
    d = digest.collect(w.store, w.replies, since=wib(2026, 11, 22, 0, 0))
    text, html = digest.render(w.replies, d)
    for heading in SECTIONS:
        assert heading.upper() in text, heading
        assert heading in html, heading
    assert SECRET not in text and SECRET not in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    # Each ticket once: a section emptied by an earlier one says so, nothing is listed twice.
    assert text.count("(tidak ada)") == sum(1 for s in d.sections if not s.rows)
    assert html.count("HD-2026-00002</b>") == 1
    assert "MENDESAK" in text and "MENDESAK" in html


def test_since_last_digest(world: World) -> None:
    w = world
    with_config = dataclasses.replace(w.config, digest=DigestConfig(recipients=("kepala@lpse.jabarprov.go.id",)))
    w.pipeline.config = with_config
    assert digest.send(w.store, w.replies) is not None
    assert digest.last_digest_at(w.store) == w.clock.now
    w.clock.advance(days=1)
    d = digest.collect(w.store, w.replies)
    assert d.new_count == 0 and d.done == [] and d.suppressed == [] and d.rejected == []
    assert d.quarantined and d.waiting and d.overdue  # standing lists stay until someone acts
    assert not d.news  # nothing happened: the scheduled digest is skipped
    w.clock.now = wib(2026, 11, 26, 7, 30)  # Thursday, past digest.time
    assert digest.send(w.store, w.replies, scheduled=True) is None
    assert [e for e in w.store.query("SELECT kind FROM events WHERE kind = 'digest_skipped'")]
    w.deliver(request_mail(subject="Pertanyaan baru", body="Apakah ada pelatihan?"))
    w.clock.now = wib(2026, 11, 27, 7, 30)
    assert digest.send(w.store, w.replies, scheduled=True) is not None
    mail = email.message_from_bytes(w.store.query("SELECT raw FROM outbox WHERE kind = 'digest'")[0]["raw"],
                                    policy=email.policy.default)
    assert str(mail["Subject"]) == "[Ringkasan Helpdesk] 25/11/2026: 4 terlambat, 1 baru, 0 antre"
    assert SECRET not in mail.as_string()


def test_sections_are_capped_and_closures_listed(world: World) -> None:
    w = world
    w.pipeline.config = dataclasses.replace(w.config, digest=DigestConfig(max_rows=2, closures_days=40))
    d = digest.collect(w.store, w.replies)
    overdue = d.sections[0]
    assert overdue.total == 4 and len(overdue.rows) == 2 and overdue.more == 2
    text, html = digest.render(w.replies, d)
    assert "dan 2 lainnya" in text and "dan 2 lainnya" in html
    # 25 November 2026 + 40 days: Christmas and its cuti bersama are ahead.
    assert any("Natal" in why for _day, why in d.closures)
    assert "KANTOR TUTUP DALAM WAKTU DEKAT" in text


def test_outage_and_onboarding_in_the_digest(world: World) -> None:
    from helpdesk_bot import outages

    w = world
    with w.store.transaction():
        outages.declare(w.store, "SPSE tidak dapat diakses sejak pukul 06.00 WIB.", "andi@lpse.jabarprov.go.id")
        tid = w.store.create_ticket("HD", request_type="bergabung", status="antre", requester="setda@garutkab.go.id",
                                    subject="Bergabung", onboarding="menunggu_bimtek")
    d = digest.collect(w.store, w.replies, since=w.clock.now + dt.timedelta(minutes=1))
    assert d.outage and "06.00" in d.outage["text"]
    [(label, rows)] = d.onboarding
    assert label == "Menunggu jadwal bimtek" and rows[0].id == tid and "Pemerintah Kabupaten Garut" in rows[0].requester
    text, _html = digest.render(w.replies, d)
    assert "GANGGUAN SPSE DIUMUMKAN" in text and "ONBOARDING: MENUNGGU JADWAL BIMTEK" in text


def test_age_text() -> None:
    import datetime as dt

    assert age_text(dt.timedelta(minutes=5)) == "kurang dari 1 jam"
    assert age_text(dt.timedelta(hours=5)) == "5 jam"
    assert age_text(dt.timedelta(days=3, hours=2)) == "3 hari 2 jam"
    assert age_text(dt.timedelta(days=2)) == "2 hari"


def _cli_config(w: World, tmp_path: Path) -> Path:
    return cli_config(w, tmp_path, f"""
[staff]
addresses = ["andi@lpse.jabarprov.go.id"]

[digest]
recipients = ["kepala@lpse.jabarprov.go.id"]
""")


def test_cli_digest_print_and_send(world: World, tmp_path: Path) -> None:
    cfg = _cli_config(world, tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["--config", str(cfg), "digest", "--print"])
    assert res.exit_code == 0, res.output
    for heading in SECTIONS:
        assert heading.upper() in res.output
    assert SECRET not in res.output
    res = runner.invoke(main, ["--config", str(cfg), "digest", "--print", "--html"])
    assert res.exit_code == 0 and res.output.lstrip().startswith("<!DOCTYPE html>")
    before = len(world.store.query("SELECT 1 FROM outbox WHERE kind = 'digest'"))
    res = runner.invoke(main, ["--config", str(cfg), "digest", "--send"])
    assert res.exit_code == 0, res.output
    assert len(world.store.query("SELECT 1 FROM outbox WHERE kind = 'digest'")) == before + 1


def test_cli_ticket_actions(world: World, tmp_path: Path) -> None:
    w, ids = world, world.ids  # type: ignore[attr-defined]
    cfg = _cli_config(w, tmp_path)
    runner = CliRunner()
    result = tmp_path / "hasil.pdf"
    result.write_bytes(b"%PDF-1.4 hasil")
    res = runner.invoke(main, ["--config", str(cfg), "ticket", "proses", ids["antre"], "--text", "Sedang kami kerjakan."])
    assert res.exit_code == 0, res.output
    assert w.store.ticket(ids["antre"]).status == "diproses"
    res = runner.invoke(main, ["--config", str(cfg), "ticket", "catatan", ids["antre"].lower(), "--text", "Info",
                               "--attach", str(result)])
    assert res.exit_code == 0, res.output
    row = w.store.query("SELECT raw FROM outbox WHERE kind = 'notice_catatan' ORDER BY id DESC LIMIT 1")[0]
    msg = email.message_from_bytes(row["raw"], policy=email.policy.default)
    assert [p.get_filename() for p in msg.iter_attachments()] == ["hasil.pdf"]
    res = runner.invoke(main, ["--config", str(cfg), "ticket", "tolak", ids["ditolak"], "--text", "x"])
    assert res.exit_code != 0 and "berstatus ditolak" in res.output
    res = runner.invoke(main, ["--config", str(cfg), "ticket", "selesai", ids["antre"]])
    assert res.exit_code == 0, res.output
    events = w.store.events(ids["antre"])
    assert [json.loads(e["detail"]).get("via") for e in events if e["kind"] == "status_changed"] == ["cli", "cli"]
    assert w.store.ticket(ids["antre"]).next_reminder_at is not None
    assert iso(w.store.ticket(ids["antre"]).closed_at)

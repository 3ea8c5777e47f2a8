"""The monthly report: figures in working hours from tickets with known times, and the monthly mail."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_bot import report
from helpdesk_bot.cli import main
from helpdesk_bot.config import ReportConfig
from helpdesk_bot.report import Month, agency_of
from helpdesk_bot.scheduler import Jobs
from helpdesk_bot.sources.base import SourceMessage
from helpdesk_bot.workflow import act
from mails import request_mail
from test_workflow import cli_config, World, make_world, ubah_jadwal_request, wib

RECIPIENT = "kepala@lpse.jabarprov.go.id"


def _act(w: World, ticket_id: str, action: str, when, text: str = "") -> None:  # type: ignore[no-untyped-def]
    w.clock.now = when
    with w.store.transaction():
        act(w.store, w.replies, ticket_id, action, "cli:andi", text)


def populate(w: World) -> dict[str, str]:
    """November 2026 (Mon-Thu 07.30-12.00 and 13.00-16.00, Fri 07.30-11.30 and 13.30-16.30).

    ubah_jadwal has a 4 working-hour resolution target (rules/ubah_jadwal.toml).
    """
    ids: dict[str, str] = {}
    # October: not in November's report.
    w.clock.now = wib(2026, 10, 30, 9, 0)
    ids["october"] = w.deliver(ubah_jadwal_request()).ticket_id
    # t1: Mon 2 Nov 09.00; proses 10.30 (1.5 h); selesai 14.00 (3 h + 1 h = 4.0 h: within 4).
    w.clock.now = wib(2026, 11, 2, 9, 0)
    ids["t1"] = w.deliver(ubah_jadwal_request()).ticket_id
    _act(w, ids["t1"], "proses", wib(2026, 11, 2, 10, 30))
    _act(w, ids["t1"], "selesai", wib(2026, 11, 2, 14, 0))
    # t2: Fri 6 Nov 15.00; proses Mon 9 Nov 08.00 (1.5 + 0.5 = 2.0 h);
    #     selesai Mon 13.30 (1.5 + 4.5 + 0.5 = 6.5 h: over 4).
    w.clock.now = wib(2026, 11, 6, 15, 0)
    ids["t2"] = w.deliver(ubah_jadwal_request()).ticket_id
    _act(w, ids["t2"], "proses", wib(2026, 11, 9, 8, 0))
    _act(w, ids["t2"], "selesai", wib(2026, 11, 9, 13, 30))
    # t3: Saturday 7 Nov 10.00 (closed: clock starts Mon 07.30); tolak Mon 09.30 (2.0 h, within).
    w.clock.now = wib(2026, 11, 7, 10, 0)
    ids["t3"] = w.deliver(ubah_jadwal_request()).ticket_id
    _act(w, ids["t3"], "tolak", wib(2026, 11, 9, 9, 30), "Formulir belum ditandatangani")
    # t5: Mon 23 Nov 09.00, never touched: past its 4 h by the report date (late, open).
    w.clock.now = wib(2026, 11, 23, 9, 0)
    ids["t5"] = w.deliver(ubah_jadwal_request()).ticket_id
    # t4: Mon 30 Nov 15.00, open; by Tue 1 Dec 10.00 only 1 + 2.5 = 3.5 h: pending, not late.
    w.clock.now = wib(2026, 11, 30, 15, 0)
    ids["t4"] = w.deliver(ubah_jadwal_request()).ticket_id
    # A question from Gmail naming its unit nowhere; a Sub Agency request refused on arrival.
    w.clock.now = wib(2026, 11, 10, 8, 0)
    ids["gmail"] = w.deliver(request_mail(subject="Tanya jadwal bimtek", body="Kapan jadwal bimtek?",
                                          sender="Budi <budi.pokja@gmail.com>")).ticket_id
    ids["sub"] = w.deliver(request_mail(subject="Pendaftaran sub agency", body="Mohon didaftarkan sub agency kami.",
                                        sender="Admin <admin@ukpbj.garutkab.go.id>")).ticket_id
    # An auto-reply (suppressed) and a broken mail (quarantined) in November.
    w.deliver(request_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    w.pipeline.quarantine(SourceMessage("helpdesk", "q1", b"garbage"), None, "ParseError: broken mail", "tb")
    w.clock.now = wib(2026, 12, 1, 10, 0)
    return ids


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path, wib(2026, 10, 30, 9, 0))
    w.ids = populate(w)  # type: ignore[attr-defined]
    return w


def _with_response_target(w: World, hours: float) -> None:
    rules = w.pipeline.rules
    types = dict(rules.types)
    types["ubah_jadwal"] = dataclasses.replace(types["ubah_jadwal"], response_hours=hours)
    changed = dataclasses.replace(rules, types=types)
    w.replies._rules = lambda: changed  # type: ignore[attr-defined]


def test_figures_in_working_hours(world: World) -> None:
    w = world
    r = report.for_service(w.replies, Month(2026, 11, "Asia/Jakarta"))
    assert r.total.created == 7  # October's ticket is not in November
    uj = next(t for t in r.types if t.type_id == "ubah_jadwal")
    assert (uj.created, uj.closed, uj.open) == (5, 3, 2)
    assert sorted(uj.resolution.hours) == pytest.approx([2.0, 4.0, 6.5])
    assert uj.resolution.median == pytest.approx(4.0)
    assert uj.resolution.target == 4.0
    # t1 and t3 within; t2 over; t5 open and already late; t4 still inside its time.
    assert (uj.resolution.within, uj.resolution.judged, uj.resolution.pending) == (2, 4, 1)
    assert uj.resolution.share == pytest.approx(0.5)
    # First staff notice: t1 1.5 h, t2 2.0 h (Friday afternoon + Monday morning), t3 2.0 h from Saturday.
    assert sorted(uj.response.hours) == pytest.approx([1.5, 2.0, 2.0])
    assert uj.response.share is None and uj.response.target == 0  # the rules set no response target
    assert "Permintaan Ubah Jadwal" in r.no_response_target
    sub = next(t for t in r.types if t.type_id == "sub_agency")
    assert sub.refused_on_arrival == 1 and sub.resolution.count == 0 and "Pendaftaran Sub Agency" not in r.no_resolution_target
    assert dict(r.agencies) == {"bandungkab.go.id": 5, "garutkab.go.id": 1, report.PERSONAL: 1}
    assert dict(r.per_day)[wib(2026, 11, 2, 0, 0).date()] == 1 and len(r.per_day) == 30
    assert r.suppressed == 1 and r.quarantined_in_month == 1 and r.quarantine_open == 1
    assert dict(r.outcomes)["Tiket baru"] == 7


def test_response_target_when_the_rules_set_one(world: World) -> None:
    w = world
    _with_response_target(w, 2.0)
    r = report.for_service(w.replies, Month(2026, 11, "Asia/Jakarta"))
    uj = next(t for t in r.types if t.type_id == "ubah_jadwal")
    # 1.5, 2.0, 2.0 within 2 h; t4 (3.5 h) and t5 unanswered and late.
    assert (uj.response.within, uj.response.judged) == (3, 5)
    assert "Permintaan Ubah Jadwal" not in r.no_response_target
    text = report.render_text(w.replies, r)
    assert "3 dari 5 (60%)" in text


def test_text_report_names_every_section(world: World) -> None:
    w = world
    text = report.render_text(w.replies, report.for_service(w.replies, Month(2026, 11, "Asia/Jakarta")))
    for heading in ("TIKET BARU PER JENIS PERMOHONAN", "TIKET BARU PER INSTANSI", "WAKTU TANGGAPAN PERTAMA",
                    "WAKTU PENYELESAIAN", "EMAIL YANG TIDAK DIJAWAB OTOMATIS", "KARANTINA", "Cara menghitung"):
        assert heading in text, heading
    assert "4,0 jam kerja" in text and "2 dari 4 (50%)" in text
    assert "Tanpa target tanggapan (response_hours belum diatur di rules/)" in text
    assert "Yth." not in text  # the terminal output is no letter


def test_html_has_charts_as_data_uris(world: World) -> None:
    w = world
    html = report.render_html(w.replies, report.for_service(w.replies, Month(2026, 11, "Asia/Jakarta")))
    assert html.count('src="data:image/png;base64,') == 4
    assert "bandungkab.go.id" in html and "Permintaan Ubah Jadwal" in html


def test_agency_rules() -> None:
    names = {"bandungkab.go.id": "Pemerintah Kabupaten Bandung"}
    assert agency_of("pokja@ukpbj.bandungkab.go.id", {}, names) == "Pemerintah Kabupaten Bandung"
    assert agency_of("a@rs.unpad.ac.id", {}) == "unpad.ac.id"
    assert agency_of("a@mail.example.com", {}) == "example.com"
    assert agency_of("x@GMAIL.com", {"satuan_kerja": "  Dinas  Pendidikan "}) == "Dinas Pendidikan"
    assert agency_of("x@yahoo.co.id", {}) == report.PERSONAL
    assert agency_of("", {}) == report.NO_ADDRESS


def test_month_parsing() -> None:
    m = Month.parse("2026-11", "Asia/Jakarta")
    assert (m.label, m.key, len(m.days())) == ("November 2026", "2026-11", 30)
    assert Month.previous(wib(2027, 1, 4, 8, 0), "Asia/Jakarta").key == "2026-12"
    with pytest.raises(ValueError, match="2026-11"):
        Month.parse("November", "Asia/Jakarta")


def _report_config(w: World, **kw: object) -> None:
    cfg = dataclasses.replace(w.config, report=ReportConfig(recipients=(RECIPIENT,), **kw))  # type: ignore[arg-type]
    w.config = cfg
    w.pipeline.config = cfg


def _jobs(w: World) -> Jobs:
    return Jobs(w.config, w.store, lambda: w.pipeline.rules, w.pipeline.calendar)


def _report_mails(w: World) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(r["raw"], policy=email.policy.default)
            for r in w.store.query("SELECT raw FROM outbox WHERE kind = 'report' ORDER BY id")]


def test_monthly_mail_once_on_the_first_working_day(world: World) -> None:
    w = world
    _report_config(w, day=1, time="07:00")
    jobs = _jobs(w)
    jobs.tick(wib(2026, 12, 1, 6, 59))
    assert _report_mails(w) == []  # before [report] time
    jobs.tick(wib(2026, 12, 1, 7, 0))
    jobs.tick(wib(2026, 12, 1, 7, 1))
    # A restart: a new Jobs over the same database sends nothing again.
    _jobs(w).tick(wib(2026, 12, 2, 9, 0))
    mails = _report_mails(w)
    assert len(mails) == 1
    mail = mails[0]
    assert str(mail["Subject"]) == "[Laporan Helpdesk] November 2026: 7 tiket, 40% selesai dalam target"
    assert mail["To"] == RECIPIENT
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Yth. Bapak/Ibu Pimpinan dan Petugas Helpdesk") and "Demikian kami sampaikan" in text
    html = mail.get_body(("html",)).get_content()
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 4 and all(p.get_content().startswith(b"\x89PNG") for p in images)
    for img in images:
        assert f'src="cid:{img["Content-ID"].strip("<>")}"' in html
    assert "data:image" not in html
    assert w.store.get_state(report.STATE_LAST_MONTH) == "2026-11"
    # A month later, December's report.
    jobs.tick(wib(2027, 1, 4, 7, 30))  # 1 January is a holiday, 2-3 a weekend: Monday 4th
    assert [str(m["Subject"]).split(":")[0] for m in _report_mails(w)] == [
        "[Laporan Helpdesk] November 2026", "[Laporan Helpdesk] Desember 2026"]


def test_monthly_mail_waits_for_a_working_day_and_day_of_month(world: World) -> None:
    w = world
    _report_config(w, day=5, time="07:00")
    jobs = _jobs(w)
    jobs.tick(wib(2026, 12, 4, 9, 0))  # Friday the 4th: before day 5
    jobs.tick(wib(2026, 12, 5, 9, 0))  # Saturday
    jobs.tick(wib(2026, 12, 6, 9, 0))  # Sunday
    assert _report_mails(w) == []
    jobs.tick(wib(2026, 12, 7, 9, 0))  # Monday
    assert len(_report_mails(w)) == 1


def test_no_recipients_no_mail(world: World) -> None:
    w = world
    _jobs(w).tick(wib(2026, 12, 1, 9, 0))
    assert _report_mails(w) == []


def _cli_config(w: World, tmp_path: Path) -> Path:
    return cli_config(w, tmp_path, f"""
[report]
recipients = ["{RECIPIENT}"]
agency_names = ["bandungkab.go.id = Pemerintah Kabupaten Bandung"]
""")


def test_cli_report_text_html_and_send(world: World, tmp_path: Path) -> None:
    cfg = _cli_config(world, tmp_path)
    out = tmp_path / "laporan.html"
    res = CliRunner().invoke(main, ["--config", str(cfg), "report", "--month", "2026-11", "--html", str(out)])
    assert res.exit_code == 0, res.output
    assert "Laporan Bulanan Helpdesk" in res.output and "Pemerintah Kabupaten Bandung" in res.output
    assert out.read_text(encoding="utf-8").count("data:image/png;base64,") == 4
    res = CliRunner().invoke(main, ["--config", str(cfg), "report", "--month", "2026-13"])
    assert res.exit_code == 2 and "expected a month like 2026-11" in res.output
    res = CliRunner().invoke(main, ["--config", str(cfg), "report", "--month", "2026-11", "--send"])
    assert res.exit_code == 0, res.output
    sent = [p for p in (tmp_path / "outbox").glob("*.eml") if b"[Laporan Helpdesk] November 2026" in p.read_bytes()]
    assert len(sent) == 1
    assert "report November 2026 mailed to kepala@lpse.jabarprov.go.id" in res.output


@pytest.mark.parametrize("table, key", [("day = 29", "report.day"), ('time = "7"', "report.time"),
                                        ('agency_names = ["bandungkab.go.id"]', "report.agency_names"),
                                        ('recipients = ["kepala"]', "report.recipients")])
def test_report_config_is_validated(tmp_path: Path, table: str, key: str) -> None:
    from helpdesk_bot.config import ConfigError, load

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[mailbox]]\nname = "h"\naddress = "h@x.go.id"\nkind = "maildir"\npath = "m"\n[report]\n{table}\n')
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load(cfg)

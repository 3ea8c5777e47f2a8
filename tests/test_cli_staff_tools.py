"""The command line staff and operators reach for (issue 13): --config anywhere, honest exit
codes, no database created by a read command, ticket show in WIB, list filters and CSV, internal
notes, assignment, reopening, quiet actions, history import, quarantine dismiss, and a progress
bar that log lines do not shred. Exit codes of ``run --once`` against real servers are at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import mailbox
import os
import pty
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from mails import request_mail
from test_cli_ops import cli, ops_config

from helpdesk_bot.cli import main
from helpdesk_bot.config import RESOURCE_NAMES, embedded_default, load, shipped
from helpdesk_bot.store import Store

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def _examples_db(tmp_path_factory) -> Path:
    """The README's first run, once: examples copied, processed, replies written."""
    base = tmp_path_factory.mktemp("examples")
    cfg = ops_config(base)
    assert cli(cfg, "examples").exit_code == 0
    res = cli(cfg, "run", "--once")
    assert res.exit_code == 0, res.output
    return base


@pytest.fixture
def desk(_examples_db, tmp_path) -> Path:
    """A private copy of the processed examples; returns its config.toml."""
    target = tmp_path / "desk"
    shutil.copytree(_examples_db, target)
    return target / "config.toml"


def rows(cfg: Path, sql: str, params=()) -> list[tuple]:
    c = load(cfg)
    con = sqlite3.connect(c.resolve(c.storage.database))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def ticket_ids(cfg: Path, *args: str) -> list[str]:
    res = cli(cfg, "tickets", "list", "--json", *args)
    assert res.exit_code == 0, res.output
    return [t["id"] for t in json.loads(res.output)]


def outbox_count(cfg: Path) -> int:
    return rows(cfg, "SELECT COUNT(*) FROM outbox")[0][0]


# ---------------------------------------------------------------------------------------------
# packaging: the shipped files are package data


def test_shipped_files_are_package_data_and_an_operator_copy_overrides_them(tmp_path):
    for name in RESOURCE_NAMES:
        d = shipped(name)
        assert d.is_dir() and d.parent.name == "helpdesk_bot", d
    assert len(list(shipped("forms").glob("blank/*.pdf"))) == 4
    assert len(list(shipped("examples").glob("*.eml"))) == 7
    cfg = embedded_default(tmp_path)
    assert cfg.resource_dir("rules") == shipped("rules")  # no copy beside the config: the shipped one
    (tmp_path / "rules").mkdir()
    assert cfg.resource_dir("rules") == tmp_path / "rules"  # the operator's copy wins
    # a path the operator named that does not exist is reported as theirs, not silently replaced
    assert cfg.resource_dir("my_rules") == tmp_path / "my_rules"


# ---------------------------------------------------------------------------------------------
# --config anywhere, HELPDESK_BOT_CONFIG, no accidental database


def test_config_is_accepted_before_or_after_any_command_and_from_the_environment(desk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.toml here: without --config nothing would be found
    runner = CliRunner()
    before = runner.invoke(main, ["--config", str(desk), "tickets", "list", "--json"])
    after = runner.invoke(main, ["tickets", "list", "--json", "--config", str(desk)])
    middle = runner.invoke(main, ["tickets", "--config", str(desk), "list", "--json"])
    env = runner.invoke(main, ["tickets", "list", "--json"], env={"HELPDESK_BOT_CONFIG": str(desk)})
    for res in (before, after, middle, env):
        assert res.exit_code == 0, res.output
        assert len(json.loads(res.output)) == 6
    # after the command name it wins over the environment, and a wrong path is named
    res = runner.invoke(main, ["ticket", "show", "HD-2026-00001", "--config", str(tmp_path / "nope.toml")],
                        env={"HELPDESK_BOT_CONFIG": str(desk)})
    assert res.exit_code == 1 and "nope.toml" in res.output and "cannot be read" in res.output


def test_read_commands_refuse_to_create_a_database_and_say_where_they_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "var" / "helpdesk.db"
    runner = CliRunner()
    for args in (["tickets", "list"], ["ticket", "show", "HD-2026-00001"], ["ticket", "note", "HD-2026-00001", "-t", "x"],
                 ["quarantine", "list"], ["digest", "--print"], ["purge", "--dry-run"]):
        res = runner.invoke(main, args)
        assert res.exit_code == 1, (args, res.output)
        assert f"no database at {expected}" in res.output and "embedded default" in res.output, res.output
    assert not expected.exists() and not (tmp_path / "var").exists()
    # run and examples may create it: that is how a new desk starts
    assert runner.invoke(main, ["examples"]).exit_code == 0


# ---------------------------------------------------------------------------------------------
# exit codes


def test_classify_missing_file_exits_1_and_still_classifies_the_others(tmp_path):
    good = tmp_path / "a.eml"
    good.write_bytes(request_mail("Pertanyaan", body="Kapan bimtek berikutnya?").as_bytes())
    res = CliRunner().invoke(main, ["classify", "--json", str(good), str(tmp_path / "nope.eml")])
    assert res.exit_code == 1
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [x["path"].rsplit("/", 1)[-1] for x in lines] == ["a.eml", "nope.eml"]
    assert lines[0]["request_type"] and not lines[0].get("error") and lines[1]["error"] == "file not found"
    assert "1 of 2 file(s) not found" in res.output


def test_unknown_status_type_and_ticket_id_exit_non_zero(desk):
    res = cli(desk, "tickets", "list", "--status", "done")
    assert res.exit_code == 2 and "unknown status 'done'" in res.output and "menunggu_kelengkapan" in res.output
    res = cli(desk, "tickets", "list", "--type", "ubah-jadwal")
    assert res.exit_code == 2 and "unknown request type 'ubah-jadwal'" in res.output
    for args in (("ticket", "show", "HD-2026-09999"), ("ticket", "proses", "HD-2026-09999"),
                 ("ticket", "note", "HD-2026-09999", "-t", "x"), ("ticket", "assign", "HD-2026-09999", "rina"),
                 ("ticket", "reopen", "HD-2026-09999"), ("quarantine", "dismiss", "99", "--reason", "x")):
        res = cli(desk, *args)
        assert res.exit_code == 1, (args, res.output)
        assert "9999" in res.output or "#99" in res.output


# ---------------------------------------------------------------------------------------------
# ticket show


def test_ticket_show_in_wib_with_fields_missing_attachments_and_audit_trail(desk):
    [(tid, created)] = rows(desk, "SELECT id, created_at FROM tickets WHERE request_type = 'reset_password'")
    assert cli(desk, "ticket", "note", tid, "-t", "Sudah ditelepon, SK menyusul.").exit_code == 0
    res = cli(desk, "ticket", "show", tid)
    assert res.exit_code == 0, res.output
    out = res.output
    local = dt.datetime.fromisoformat(created).astimezone(WIB)
    assert f"created             {local:%Y-%m-%d %H:%M} WIB" in out  # local time, not the stored UTC
    assert "missing documents:   sk_admin_agency" in out
    assert "documents received:  surat_permohonan_reset_password" in out
    assert "attachments:\n  " in out and ".pdf  (" in out
    assert "audit trail:" in out and "created" in out and "mail_sent" in out
    assert "requester's text (redacted):\n  | " in out and "reset password" in out.split("requester's text")[1].lower()
    assert "[internal] Sudah ditelepon, SK menyusul." in out
    data = json.loads(cli(desk, "ticket", "show", tid, "--json").output)
    assert data["ticket"]["created_at"] == created and data["attachments"][0]["size"] > 0


def test_ticket_show_prints_no_terminal_escape_a_mail_or_a_note_carried(desk):
    """ESC sequences (OSC 52 writes the clipboard, a title, clearing the screen), BEL and the
    one-character C1 CSI/OSC in a requester's text or a note reach staff's terminal as spaces."""
    from helpers import drop

    body = ("Dengan hormat, mohon ubah jadwal\x1b]52;c;cm0gLXJmIH4K\x07 tender kami.\x1b[2J\n"
            "Terima kasih\x9d0;judul palsu\x07 \x9b31m Pokja.")
    drop(load(desk), request_mail("Mohon ubah jadwal", body, sender="Pokja Iseng <iseng@garutkab.go.id>"))
    assert cli(desk, "run", "--once").exit_code == 0
    [(tid,)] = rows(desk, "SELECT id FROM tickets WHERE requester = 'iseng@garutkab.go.id'")
    assert cli(desk, "ticket", "note", tid, "-t", "cek\x1b]0;judul\x07 lagi").exit_code == 0
    out = cli(desk, "ticket", "show", tid).output
    assert "mohon ubah jadwal" in out and "tender kami" in out and "cek" in out
    controls = {c for c in out if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0}
    assert not controls, sorted(map(hex, map(ord, controls)))


# ---------------------------------------------------------------------------------------------
# tickets list filters and CSV


def test_list_filters_combine_and_match_what_staff_type(desk):
    everything = ticket_ids(desk)
    assert len(everything) == 6
    assert ticket_ids(desk, "--type", "ubah_jadwal") == [rows(desk, "SELECT id FROM tickets WHERE request_type = 'ubah_jadwal'")[0][0]]
    assert set(ticket_ids(desk, "--status", "open")) == {r[0] for r in rows(desk, "SELECT id FROM tickets WHERE closed_at IS NULL")}
    assert set(ticket_ids(desk, "--status", "closed")) == {r[0] for r in rows(desk, "SELECT id FROM tickets WHERE request_type = 'sub_agency'")}
    garut = ticket_ids(desk, "--requester", "GARUTKAB")
    assert garut and all(rows(desk, "SELECT requester FROM tickets WHERE id = ?", (t,))[0][0].endswith("garutkab.go.id") for t in garut)
    # agency: the form's Satuan Kerja, or the requester's domain
    assert ticket_ids(desk, "--agency", "dinas pendidikan") == ticket_ids(desk, "--type", "ubah_jadwal")
    assert ticket_ids(desk, "--agency", "bandungkab") == ticket_ids(desk, "--requester", "pokja12@bandungkab.go.id")
    assert set(ticket_ids(desk, "--tender", "48658064")) == {
        r[0] for r in rows(desk, "SELECT id FROM tickets WHERE json_extract(fields, '$.kode_tender') = '48658064'")}
    assert len(ticket_ids(desk, "--tender", "48658064")) == 2
    assert ticket_ids(desk, "--tender", "4865806") == []  # a tender code is matched whole
    assert ticket_ids(desk, "--type", "ubah_jadwal", "--type", "uji_forensik", "--requester", "bandungkab") == \
        ticket_ids(desk, "--search", "pokja12", "--type", "ubah_jadwal", "--type", "uji_forensik")
    # the requester's own words (kept redacted with the ticket) are searched too
    assert ticket_ids(desk, "--search", "jadwal bimbingan teknis") == ticket_ids(desk, "--requester", "budi.ppk")
    # a literal % or _ in a search is text, not a wildcard
    assert ticket_ids(desk, "--search", "%") == [] and ticket_ids(desk, "--search", "_") == []


def test_list_dates_are_days_in_wib(desk):
    con_rows = rows(desk, "SELECT id FROM tickets ORDER BY id")
    # put one ticket at 2026-11-30 23:30 WIB (16:30 UTC), one at 2026-12-01 00:30 WIB (2026-11-30 17:30 UTC)
    c = load(desk)
    con = sqlite3.connect(c.resolve(c.storage.database))
    con.execute("UPDATE tickets SET created_at = ? WHERE id = ?", ("2026-11-30T16:30:00+00:00", con_rows[0][0]))
    con.execute("UPDATE tickets SET created_at = ? WHERE id = ?", ("2026-11-30T17:30:00+00:00", con_rows[1][0]))
    con.commit()
    con.close()
    assert ticket_ids(desk, "--until", "2026-11-30") == [con_rows[0][0]]
    assert ticket_ids(desk, "--since", "2026-12-01", "--until", "2026-12-01") == [con_rows[1][0]]
    assert cli(desk, "tickets", "list", "--since", "30-11-2026").exit_code == 2


def test_csv_export_is_parseable_local_time_and_safe_for_spreadsheets(desk):
    first = ticket_ids(desk)[0]
    c = load(desk)
    con = sqlite3.connect(c.resolve(c.storage.database))
    con.execute("UPDATE tickets SET subject = ? WHERE id = ?", ('=HYPERLINK("http://evil.example","klik")', first))
    second = ticket_ids(desk)[1]  # a NUL stored before parse dropped them cuts most CSV readers short
    con.execute("UPDATE tickets SET requester_name = ? WHERE id = ?", ("Budi\x00 Santoso", second))
    con.commit()
    con.close()
    assert cli(desk, "ticket", "assign", first, "rina").exit_code == 0
    res = cli(desk, "tickets", "list", "--csv")
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.output)))
    assert len(table) == 6 and [r["id"] for r in table] == ticket_ids(desk)
    row = next(r for r in table if r["id"] == first)
    assert row["subject"].startswith("'=HYPERLINK")  # a formula is text in Excel/LibreOffice
    assert row["assignee"] == "rina" and row["created_at"].endswith(" WIB")
    assert "\x00" not in res.output and next(r for r in table if r["id"] == second)["requester_name"] == "Budi Santoso"
    assert cli(desk, "tickets", "list", "--csv", "--json").exit_code == 2


# ---------------------------------------------------------------------------------------------
# note, assign, --quiet, reopen


def test_internal_note_is_kept_searchable_and_never_mailed(desk):
    tid = ticket_ids(desk, "--type", "uji_forensik")[0]
    before = outbox_count(desk)
    res = cli(desk, "ticket", "note", tid, "-t", "Peserta menelepon: file penawaran rusak sejak awal.")
    assert res.exit_code == 0 and "nothing is sent" in res.output
    assert outbox_count(desk) == before
    assert rows(desk, "SELECT kind, actor FROM events WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", (tid,)) == \
        [("internal_note", f"cli:{os.environ.get('USER') or __import__('getpass').getuser()}")]
    assert ticket_ids(desk, "--search", "file penawaran rusak") == [tid]
    # run --once afterwards sends nothing new for it either
    assert cli(desk, "run", "--once").exit_code == 0
    assert rows(desk, "SELECT COUNT(*) FROM outbox WHERE ticket_id = ?", (tid,))[0][0] == 1  # the ack only
    assert cli(desk, "ticket", "note", tid, "-t", "  ").exit_code == 1


def test_assign_records_hand_overs(desk):
    tid = ticket_ids(desk)[0]
    assert cli(desk, "ticket", "assign", tid, "rina").exit_code == 0
    assert cli(desk, "ticket", "assign", tid, "dedi", "--actor", "rina").exit_code == 0
    out = cli(desk, "ticket", "show", tid).output
    assert "assigned to         dedi" in out and "-> dedi (was rina)" in out
    assert cli(desk, "ticket", "assign", tid).exit_code == 0  # unassign
    assert "assigned to" not in cli(desk, "ticket", "show", tid).output


def test_quiet_action_sends_nothing_and_reopen_notifies_with_a_fresh_due_time(desk):
    tid = ticket_ids(desk, "--type", "ubah_jadwal")[0]
    before = outbox_count(desk)
    res = cli(desk, "ticket", "selesai", tid, "--quiet")
    assert res.exit_code == 0 and "no notice to the requester" in res.output
    assert outbox_count(desk) == before
    assert rows(desk, "SELECT status FROM tickets WHERE id = ?", (tid,)) == [("selesai",)]
    assert rows(desk, "SELECT COUNT(*) FROM events WHERE ticket_id = ? AND kind = 'reply_withheld'", (tid,)) == [(1,)]
    assert cli(desk, "ticket", "catatan", tid, "-t", "x", "--quiet").exit_code == 2  # a message that is not sent: refused

    res = cli(desk, "ticket", "reopen", tid, "-t", "Mohon maaf, jadwal belum berubah; kami periksa kembali.")
    assert res.exit_code == 0 and "selesai -> diproses" in res.output, res.output
    status, closed, due, reminder = rows(desk, "SELECT status, closed_at, due_at, next_reminder_at FROM tickets WHERE id = ?", (tid,))[0]
    assert status == "diproses" and closed is None and reminder is None
    assert dt.datetime.fromisoformat(due) > dt.datetime.now(dt.timezone.utc)
    [(kind, recipients)] = rows(desk, "SELECT kind, recipients FROM outbox WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", (tid,))
    assert kind == "notice_proses" and json.loads(recipients) == ["pokja12@bandungkab.go.id"]
    assert outbox_count(desk) == before + 1
    # reopening an open ticket is refused; a quiet reopen sends nothing
    assert cli(desk, "ticket", "reopen", tid).exit_code == 1
    assert cli(desk, "ticket", "tolak", tid, "-t", "Tidak sesuai SLA", "-q").exit_code == 0
    assert cli(desk, "ticket", "reopen", tid, "--quiet").exit_code == 0
    assert outbox_count(desk) == before + 1


# ---------------------------------------------------------------------------------------------
# import --closed, quarantine dismiss


def test_import_closed_is_history_closed_never_overdue_never_announced(tmp_path):
    cfg = ops_config(tmp_path)
    box = mailbox.mbox(str(tmp_path / "arsip.mbox"))
    for i in range(3):
        m = request_mail(f"Pertanyaan lama {i}", body="Kapan jadwal bimtek?", sender=f"ppk{i}@bogorkab.go.id")
        m.replace_header("Date", f"Mon, 0{i + 3} Jun 2024 09:15:00 +0700")
        box.add(m)
    box.close()
    res = cli(cfg, "import", "--closed", str(tmp_path / "arsip.mbox"))
    assert res.exit_code == 0, res.output
    assert "3 new ticket(s) (closed as history)" in res.output
    got = rows(cfg, "SELECT status, closed_at = created_at, urgent, next_reminder_at FROM tickets")
    assert got == [("selesai", 1, 0, None)] * 3
    assert cli(cfg, "run", "--once").exit_code == 0  # the clock runs: overdue marks, reminders
    assert rows(cfg, "SELECT COUNT(*) FROM events WHERE kind = 'overdue'") == [(0,)]
    assert outbox_count(cfg) == 0
    assert ticket_ids(cfg, "--status", "open") == []
    # without --closed, the same archive elsewhere makes live tickets (the old behaviour)
    other = tmp_path / "live"
    other.mkdir()
    live = ops_config(other)
    assert cli(live, "import", str(tmp_path / "arsip.mbox")).exit_code == 0
    assert len(ticket_ids(live, "--status", "open")) == 3


def test_quarantine_dismiss_needs_a_reason_and_keeps_it(desk):
    c = load(desk)
    store = Store(c.resolve(c.storage.database))
    try:
        with store.transaction():
            qid = store.add_quarantine(mailbox="helpdesk", key="x:1", message_id="<junk@x>", sender="spam@x.test",
                                       subject="junk", reason="UnicodeError: ...", traceback="", raw=b"junk")
    finally:
        store.close()
    assert cli(desk, "quarantine", "dismiss", str(qid)).exit_code == 2  # --reason is required
    res = cli(desk, "quarantine", "dismiss", str(qid), "--reason", "spam, bukan permohonan", "--actor", "rina")
    assert res.exit_code == 0 and "dismissed" in res.output
    assert rows(desk, "SELECT status, raw FROM quarantine WHERE id = ?", (qid,)) == [("dismissed", None)]
    assert "no open quarantine entries" in cli(desk, "quarantine", "list").output
    shown = cli(desk, "quarantine", "show", str(qid), "--json")
    events = json.loads(shown.output)["events"]
    assert events[-1]["kind"] == "quarantine_dismissed" and events[-1]["actor"] == "rina"
    assert events[-1]["detail"]["reason"] == "spam, bukan permohonan"
    again = cli(desk, "quarantine", "dismiss", str(qid), "--reason", "x")
    assert again.exit_code == 1 and "dismissed, not open" in again.output
    assert cli(desk, "quarantine", "retry", str(qid)).exit_code == 1


# ---------------------------------------------------------------------------------------------
# the progress bar on a real terminal


def test_import_progress_bar_and_log_lines_share_a_terminal(tmp_path):
    cfg = ops_config(tmp_path, extra='[logging]\nformat = "console"\n')
    folder = tmp_path / "arsip"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.eml").write_bytes(request_mail(f"Pertanyaan {i}", body="Kapan bimtek?").as_bytes())
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), COLUMNS="200")
    proc = subprocess.Popen([sys.executable, "-m", "helpdesk_bot", "--config", str(cfg), "import", str(folder)],
                            stdin=follower, stdout=follower, stderr=follower, env=env, cwd=tmp_path)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, out.decode(errors="replace")
    text = out.decode(errors="replace")
    assert text.count("mail_imported") == 4
    # every log line starts on a cleared line, whole: no bar text glued in front of or into it
    for line in text.replace("\r\n", "\n").split("\n"):
        if "mail_imported" in line:
            visible = line.rsplit("\r", 1)[-1].replace("\x1b[K", "")
            assert "importing" not in visible and visible.lstrip().startswith("20"), repr(line)
    assert "importing" in text and "4/4" in text


# ---------------------------------------------------------------------------------------------
# run --once as the deployment check, against the real servers


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_run_once_exits_1_when_the_mailbox_refuses_us(tmp_path, mailbox, smtp_server):
    from servers import daemon_config_toml

    cfg = daemon_config_toml(tmp_path, mailbox, smtp_server, users=("helpdesk",))
    cfg.write_text(cfg.read_text().replace(f'password = "{mailbox.password}"', 'password = "salah"'))
    res = subprocess.run([sys.executable, "-m", "helpdesk_bot", "run", "--once", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "error: helpdesk:" in res.stderr


def test_run_once_exits_1_when_smtp_is_unreachable(tmp_path, mailbox, smtp_server):
    from servers import daemon_config_toml, deliver

    cfg = daemon_config_toml(tmp_path, mailbox, smtp_server, users=("helpdesk",))
    cfg.write_text(cfg.read_text().replace(f"port = {smtp_server.port}", f"port = {_closed_port()}"))
    deliver(mailbox, request_mail("Pertanyaan", body="Kapan bimtek?", to="helpdesk@example.test").as_bytes())
    res = subprocess.run([sys.executable, "-m", "helpdesk_bot", "run", "--once", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "ticket: 1" in res.stderr and "retrying: 1" in res.stderr
    assert "reply not delivered" in res.stderr and "pending after 1 attempt(s)" in res.stderr

"""Issue 5 on the embedded default: quarantine and retry, sender trust, attachments, retention,
and the planted-password acceptance test. Failures are injected by configuration (a template
that raises, a database trigger, a size limit, a lock held by another connection), never by
mocking a library.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import stat
import threading
import time

import pytest
from click.testing import CliRunner
from docgen import SAMPLE_FIELDS, text_pdf
from helpers import drop, maildir_config, outbox_mails
from mails import request_mail

from helpdesk_bot import attachments, logs
from helpdesk_bot.cli import main
from helpdesk_bot.config import LimitsConfig, PathsConfig, shipped
from helpdesk_bot.daemon import Daemon, open_store
from helpdesk_bot.quarantine import QuarantineError, is_transient, retry

UBAH = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))
SECRET = "Rahasia#2026"


def run(cfg):
    return Daemon(cfg).run_once()


def db(cfg) -> sqlite3.Connection:
    return sqlite3.connect(cfg.resolve(cfg.storage.database))


def broken_templates(cfg, tmp_path):
    """A copy of the shipped templates whose acknowledgement raises (an undefined variable)."""
    tpl = tmp_path / "templates"
    shutil.copytree(shipped("templates"), tpl)
    ack = tpl / "ack.txt.j2"
    ack.write_text(ack.read_text() + "\n{{ variabel_yang_tidak_ada }}\n")
    return dataclasses.replace(cfg, paths=PathsConfig(templates=str(tpl))), ack


def write_config(cfg, tmp_path) -> str:
    """The same setup as a TOML file, for the CLI."""
    text = f"""
[storage]
database = "{cfg.resolve(cfg.storage.database)}"
attachments = "{cfg.resolve(cfg.storage.attachments)}"
[paths]
templates = "{cfg.resource_dir(cfg.paths.templates)}"
[limits]
max_mail_bytes = {cfg.limits.max_mail_bytes}
[[mailbox]]
name = "helpdesk"
address = "helpdesk@lpse.jabarprov.go.id"
kind = "maildir"
path = "{cfg.resolve(cfg.mailbox[0].path)}"
[smtp]
kind = "directory"
path = "{cfg.resolve(cfg.smtp.path)}"
"""
    path = tmp_path / "config.toml"
    path.write_text(text)
    return str(path)


# -- quarantine ----------------------------------------------------------------------------------


def test_template_error_quarantines_then_retry_resolves(tmp_path):
    cfg, ack = broken_templates(maildir_config(tmp_path), tmp_path)
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    drop(cfg, request_mail("Mohon ubah jadwal lagi", attachments=[UBAH]))
    assert run(cfg).counts == {"quarantined": 2}  # each mail fails alone; the loop goes on
    con = db(cfg)
    assert con.execute("SELECT COUNT(*) FROM tickets").fetchone() == (0,)  # rolled back with the reply
    assert con.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
    rows = con.execute("SELECT id, status, retries, reason, traceback FROM quarantine ORDER BY id").fetchall()
    assert [r[1:3] for r in rows] == [("open", 0), ("open", 0)]
    assert "UndefinedError" in rows[0][3] and "variabel_yang_tidak_ada" in rows[0][4]
    assert not list((cfg.resolve(cfg.storage.attachments)).glob("*/*"))  # no files for a ticket never made

    conf = write_config(cfg, tmp_path)
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["--config", conf, "quarantine", "list", "--json"]).output)
    assert [e["status"] for e in listed] == ["open", "open"] and listed[0]["size"] > 1000
    shown = runner.invoke(main, ["--config", conf, "quarantine", "show", str(rows[0][0])])
    assert shown.exit_code == 0 and "UndefinedError" in shown.output and "ledger: quarantined" in shown.output

    # Still broken: retries + 1, new reason, still open, exit code 1.
    again = runner.invoke(main, ["--config", conf, "quarantine", "retry", str(rows[0][0])])
    assert again.exit_code == 1 and "failed again" in again.output
    assert con.execute("SELECT status, retries FROM quarantine WHERE id = ?", (rows[0][0],)).fetchone() == ("open", 1)

    # Fixed: resolved, the ledger row holds the ticket, the reply is queued and then sent.
    ack.write_text((shipped("templates") / "ack.txt.j2").read_text())
    fixed = runner.invoke(main, ["--config", conf, "quarantine", "retry", str(rows[0][0])])
    assert fixed.exit_code == 0, fixed.output
    assert "resolved: ticket HD-" in fixed.output
    status, raw = con.execute("SELECT status, raw FROM quarantine WHERE id = ?", (rows[0][0],)).fetchone()
    assert (status, raw) == ("resolved", None)
    outcome, ticket_id = con.execute("SELECT outcome, ticket_id FROM messages WHERE key = "
                                     "(SELECT key FROM quarantine WHERE id = ?)", (rows[0][0],)).fetchone()
    assert outcome == "ticket" and ticket_id
    assert con.execute("SELECT COUNT(*) FROM events WHERE kind = 'quarantine_resolved'").fetchone() == (1,)
    assert run(cfg).sent == 1 and len(outbox_mails(cfg)) == 1
    resolved_again = runner.invoke(main, ["--config", conf, "quarantine", "retry", str(rows[0][0])])
    assert resolved_again.exit_code == 1 and "resolved, not open" in resolved_again.output
    open_only = json.loads(runner.invoke(main, ["--config", conf, "quarantine", "list", "--json"]).output)
    assert [e["id"] for e in open_only] == [rows[1][0]]


def test_database_error_quarantines_and_retry_after_the_fix(tmp_path):
    cfg = maildir_config(tmp_path)
    store = open_store(cfg)
    store.conn.execute("CREATE TRIGGER injected BEFORE INSERT ON tickets BEGIN "
                       "SELECT RAISE(ABORT, 'injected failure'); END")
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    assert run(cfg).counts == {"quarantined": 1}
    qid, reason = store.one("SELECT id, reason FROM quarantine").values()
    assert "injected failure" in reason
    store.conn.execute("DROP TRIGGER injected")
    out = retry(Daemon(cfg).pipeline(store), qid)
    assert out.kind == "ticket" and store.one("SELECT status FROM quarantine")["status"] == "resolved"
    with pytest.raises(QuarantineError):
        retry(Daemon(cfg).pipeline(store), 999)
    store.close()


def test_oversized_mail_is_quarantined_and_retried_with_a_higher_limit(tmp_path):
    small = maildir_config(tmp_path, limits=LimitsConfig(max_mail_bytes=2000))
    drop(small, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    assert run(small).counts == {"quarantined": 1}
    store = open_store(small)
    qid = store.one("SELECT id FROM quarantine")["id"]
    assert retry(Daemon(small).pipeline(store), qid).kind == "quarantined"
    assert store.one("SELECT retries, reason FROM quarantine")["retries"] == 1
    out = retry(Daemon(maildir_config(tmp_path)).pipeline(store), qid)
    assert out.kind == "ticket"
    store.close()


def test_locked_database_is_not_a_quarantine_and_nothing_is_marked_done(tmp_path):
    cfg = maildir_config(tmp_path)
    run(cfg)  # create the database
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    holder = sqlite3.connect(cfg.resolve(cfg.storage.database), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store = open_store(cfg)
    store.conn.execute("PRAGMA busy_timeout=300")
    daemon = Daemon(cfg)
    from helpdesk_bot.sources import open_source

    source = open_source(cfg.mailbox[0], cfg, store)
    with pytest.raises(sqlite3.OperationalError) as err:
        daemon.drain(source, daemon.pipeline(store))
    assert is_transient(err.value)
    holder.execute("ROLLBACK")
    holder.close()
    assert store.one("SELECT COUNT(*) AS n FROM messages")["n"] == 0
    assert store.one("SELECT COUNT(*) AS n FROM quarantine")["n"] == 0
    assert list((cfg.resolve(cfg.mailbox[0].path) / "new").iterdir())  # not acknowledged
    store.close()
    assert run(cfg).counts == {"ticket": 1}


def test_lock_held_for_a_few_seconds_only_delays(tmp_path):
    cfg = maildir_config(tmp_path)
    run(cfg)
    for i in range(3):
        drop(cfg, request_mail(f"Mohon ubah jadwal {i}", attachments=[UBAH]))
    holder = sqlite3.connect(cfg.resolve(cfg.storage.database), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(2.0, lambda: (holder.execute("ROLLBACK"), holder.close())).start()
    t0 = time.monotonic()
    summary = run(cfg)
    assert summary.counts == {"ticket": 3} and summary.sent == 3 and not summary.errors
    assert time.monotonic() - t0 >= 1.5


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs: a real 'No space left on device' (needs root; skipped otherwise)."""
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(directory, keep: int = 0) -> None:
    """Fill the file system, leaving about ``keep`` bytes."""
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize - keep
    with open(directory / "filler", "wb") as f:
        try:
            f.write(b"\0" * max(free, 0))
        except OSError:
            pass


@pytest.mark.parametrize("what", ["database", "attachments"])
def test_disk_full_is_transient_and_nothing_is_lost(tmp_path, tiny_disk, what):
    """The database or the attachment store on a full disk: no ledger row, no ack; later, one ticket."""
    base = maildir_config(tmp_path)
    storage = dataclasses.replace(base.storage, **{what: str(tiny_disk / ("helpdesk.db" if what == "database" else "att"))})
    cfg = dataclasses.replace(base, storage=storage)
    run(cfg)  # creates the database
    big = ("lampiran.bin", os.urandom(300_000))
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH, big]))
    _fill(tiny_disk)
    try:
        summary = run(cfg)
        assert summary.counts == {} and summary.errors, summary
    except sqlite3.OperationalError as e:  # the database cannot even be opened: run --once exits 1
        assert is_transient(e)
    (tiny_disk / "filler").unlink()
    if what == "database":
        con = db(cfg)
        assert con.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)
        con.close()
    assert list((cfg.resolve(cfg.mailbox[0].path) / "new").iterdir())  # not acknowledged
    summary = run(cfg)
    assert summary.counts == {"ticket": 1} and summary.sent == 1, summary
    store = open_store(cfg)
    [t] = store.tickets()
    assert len(attachments.files(cfg, t.id)) == 2
    store.close()


# -- sender trust --------------------------------------------------------------------------------


def test_dmarc_fail_gives_a_flagged_ticket_and_no_reply(tmp_path):
    cfg = maildir_config(tmp_path)
    cfg = dataclasses.replace(cfg, screening=dataclasses.replace(cfg.screening, trusted_authserv_ids=("mx.jabarprov.go.id",)))
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH], headers={
        "Authentication-Results": "mx.jabarprov.go.id; spf=fail smtp.mailfrom=bandungkab.go.id; "
                                  "dmarc=fail header.from=bandungkab.go.id"}))
    summary = run(cfg)
    assert summary.counts == {"ticket": 1} and summary.sent == 0
    store = open_store(cfg)
    [t] = store.tickets()
    assert "DMARC" in t.needs_staff
    assert [e["kind"] for e in store.events(t.id)].count("reply_withheld") == 1
    assert store.one("SELECT COUNT(*) AS n FROM outbox")["n"] == 0
    store.close()
    assert outbox_mails(cfg) == []


# -- attachments and retention -------------------------------------------------------------------


def test_attachments_are_private_and_purged_after_retention(tmp_path):
    cfg = maildir_config(tmp_path)
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH, ("../../etc/passwd", b"x" * 10)]))
    run(cfg)
    store = open_store(cfg)
    [t] = store.tickets()
    root = cfg.resolve(cfg.storage.attachments)
    files = attachments.files(cfg, t.id)
    assert [f.name.split("-", 1)[1] for f in files] == ["formulir.pdf", "passwd"] or \
        sorted(f.name.split("-", 1)[1] for f in files) == ["formulir.pdf", "passwd"]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE((root / t.id).stat().st_mode) == 0o700 and stat.S_IMODE(root.stat().st_mode) == 0o700
    assert all(f.parent == root / t.id for f in files)
    assert store.one("SELECT COUNT(*) AS n FROM doc_cache")["n"] >= 1

    # Open ticket: nothing purged, however old.
    later = store.now() + dt.timedelta(days=400)
    assert attachments.purge(store, cfg, later)["tickets"] == 0
    closed = store.now() - dt.timedelta(days=91)
    store.update_ticket(t.id, status="selesai", closed_at=closed)
    assert attachments.purge(store, cfg, closed + dt.timedelta(days=89))["tickets"] == 0
    totals = attachments.purge(store, cfg)
    assert totals["tickets"] == 1 and totals["files"] == 2 and totals["doc_cache"] >= 1 and totals["replies"] == 1
    assert not (root / t.id).exists()
    assert store.one("SELECT COUNT(*) AS n FROM doc_cache")["n"] == 0
    kept = store.ticket(t.id)
    assert kept is not None and kept.fields == {"kode_tender": "48658064"} and kept.status == "selesai"
    assert store.one("SELECT length(raw) AS n FROM outbox")["n"] == 0
    kinds = [e["kind"] for e in store.events(t.id)]
    assert kinds[:2] == ["created", "attachments_stored"] and kinds[-1] == "retention_purged"
    assert attachments.purge(store, cfg)["tickets"] == 0  # idempotent
    store.close()


def test_an_attachments_folder_made_by_someone_else_is_made_private(tmp_path):
    cfg = maildir_config(tmp_path)
    root = cfg.resolve(cfg.storage.attachments)
    root.mkdir(parents=True)
    root.chmod(0o755)  # an older install, or an admin's mkdir
    attachments._PRIVATE_ROOTS.discard(root)
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    run(cfg)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_stale_files_of_a_crashed_attempt_are_cleared_for_a_new_ticket(tmp_path):
    cfg = maildir_config(tmp_path)
    stale = attachments.ticket_dir(cfg, f"HD-{dt.date.today().year}-00001")
    stale.mkdir(parents=True)
    (stale / "000000000000-orang-lain.pdf").write_bytes(b"not yours")
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[UBAH]))
    run(cfg)
    names = sorted(p.name for p in stale.iterdir())
    # the other ticket's file is gone; the new ticket's attachment and its kept request mail remain
    assert len(names) == 2 and names[0].endswith("-formulir.pdf") and names[1] == attachments.REQUEST_MAIL


def test_safe_name():
    assert attachments.safe_name("../../x/..\\evil.pdf") == "evil.pdf"
    assert attachments.safe_name("") == "lampiran"
    assert attachments.safe_name(".hidden") == "hidden"
    assert len(attachments.safe_name("a" * 300 + ".pdf")) <= 120


# -- secrets: the acceptance test ---------------------------------------------------------------


def _dump_database(path) -> dict[str, str]:
    """Every text and blob of every table, as text, keyed by table."""
    con = sqlite3.connect(path)
    out = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        parts = []
        for row in con.execute(f"SELECT * FROM \"{table}\""):
            for v in row:
                if isinstance(v, bytes):
                    parts.append(v.decode("utf-8", "replace"))
                elif v is not None:
                    parts.append(str(v))
        out[table] = "\n".join(parts)
    con.close()
    return out


def test_planted_password_never_leaks(tmp_path):
    cfg = maildir_config(tmp_path, digest=dataclasses.replace(maildir_config(tmp_path).digest,
                                                               recipients=("staf@lpse.jabarprov.go.id",)))
    form = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL",
                    {**SAMPLE_FIELDS, "User ID": "pokja12bdg", "Password": SECRET})
    body = ("Dengan hormat,\nMohon ubah jadwal tender kami.\nUser ID: pokja12bdg\nPassword: " + SECRET
            + "\n\nTerima kasih.")
    first = request_mail("Mohon ubah jadwal", body=body, attachments=[UBAH[:1] + (form,)])
    drop(cfg, first)
    # A follow-up in the thread carrying the secret again, and a mail that gets quarantined.
    drop(cfg, request_mail("Re: Mohon ubah jadwal", body=f"Kata sandi: {SECRET}", in_reply_to=first["Message-ID"],
                           attachments=[("lagi.pdf", form)]))
    # A third mail fails (a database trigger refuses its ticket) and is quarantined with the secret inside.
    store = open_store(cfg)
    store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON tickets WHEN NEW.subject LIKE '%uji karantina%' "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    store.close()
    drop(cfg, request_mail("Uji karantina", body=body))
    stream = io.StringIO()
    logs.configure("debug", "json", stream=stream)
    try:
        summary = run(cfg)
        from helpdesk_bot import digest

        store = open_store(cfg)
        replies = Daemon(cfg).pipeline(store).replies
        d = digest.collect(store, replies, store.now() + dt.timedelta(hours=1))
        text, html = digest.render(replies, d)
        assert digest.send(store, replies)
        store.close()
        run(cfg)
    finally:
        logs.configure("warning", "json")
    assert summary.counts == {"ticket": 1, "followup": 1, "quarantined": 1}, summary
    # The secret really was there to leak: in the mail and the stored attachment for staff.
    assert SECRET.encode() in first.as_bytes()
    assert stream.getvalue().count("\n") > 3
    assert SECRET not in stream.getvalue()
    assert SECRET not in text and SECRET not in html
    for mail in outbox_mails(cfg):
        assert SECRET not in mail.as_string()
    dump = _dump_database(cfg.resolve(cfg.storage.database))
    # Only an open quarantine entry keeps the original mail (for `quarantine retry`).
    assert {t for t, v in dump.items() if SECRET in v} == {"quarantine"}
    con = db(cfg)
    assert con.execute("SELECT COUNT(*) FROM quarantine WHERE instr(raw, ?) > 0", (SECRET.encode(),)).fetchone() == (1,)
    assert con.execute("SELECT COUNT(*) FROM quarantine WHERE instr(reason || traceback, ?) > 0",
                       (SECRET,)).fetchone() == (0,)
    con.execute("DROP TRIGGER refuse")
    con.close()
    store = open_store(cfg)
    qid = store.one("SELECT id FROM quarantine")["id"]
    assert retry(Daemon(cfg).pipeline(store), qid).kind == "ticket"
    store.close()
    dump = _dump_database(cfg.resolve(cfg.storage.database))
    assert not {t for t, v in dump.items() if SECRET in v}  # resolved: the original is dropped

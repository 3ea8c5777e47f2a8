"""``helpdesk-bot import PATH``: archives become tickets; no reply is sent; re-import skips."""

from __future__ import annotations

import mailbox
import sqlite3

from docgen import SAMPLE_FIELDS, text_pdf
from mails import request_mail
from test_cli_ops import cli, ops_config

from helpdesk_bot.config import load
from helpdesk_bot.daemon import Daemon, open_store

UBAH = ("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))


def archive_mails():
    a = request_mail("Mohon ubah jadwal", attachments=[UBAH])
    a.replace_header("Date", "Mon, 03 Jun 2024 09:15:00 +0700")
    b = request_mail("Reset password admin agency", body="Mohon reset password admin agency.")
    b.replace_header("Date", "Tue, 04 Jun 2024 10:00:00 +0700")
    c = request_mail("Automatic reply", headers={"Auto-Submitted": "auto-replied"})
    return [a, b, c]


def db_rows(cfg_path, sql):
    cfg = load(cfg_path)
    conn = sqlite3.connect(cfg.resolve(cfg.storage.database))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_import_mbox_makes_tickets_sends_nothing_and_is_idempotent(tmp_path):
    cfg = ops_config(tmp_path)
    mbox = mailbox.mbox(str(tmp_path / "arsip.mbox"))
    for m in archive_mails():
        mbox.add(m)
    mbox.close()
    res = cli(cfg, "import", str(tmp_path / "arsip.mbox"))
    assert res.exit_code == 0, res.output
    assert "imported 3 mail(s)" in res.output and "suppressed: 1, ticket: 2" in res.output
    assert "2 new ticket(s)" in res.output and "no reply sent" in res.output
    assert db_rows(cfg, "SELECT COUNT(*) FROM outbox") == [(0,)]
    withheld = db_rows(cfg, "SELECT COUNT(*) FROM events WHERE kind = 'reply_withheld'")
    assert withheld == [(2,)]
    # tickets are dated by the mail, ids by its year
    rows = db_rows(cfg, "SELECT id, request_type, created_at FROM tickets ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("HD-2024-00001", "ubah_jadwal"), ("HD-2024-00002", "reset_password")]
    assert rows[0][2] == "2024-06-03T02:15:00+00:00"
    again = cli(cfg, "import", str(tmp_path / "arsip.mbox"))
    assert "already_done: 3" in again.output and "0 new ticket(s)" in again.output and "3 already imported" in again.output
    assert db_rows(cfg, "SELECT COUNT(*) FROM tickets") == [(2,)]
    # the daemon afterwards sends nothing for them either
    summary = Daemon(load(cfg)).run_once()
    assert summary.sent == 0


def test_import_maildir_and_folder_of_eml(tmp_path):
    cfg = ops_config(tmp_path)
    md = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    mails = archive_mails()
    md.add(mails[0].as_bytes())
    folder = tmp_path / "eml" / "2024"
    folder.mkdir(parents=True)
    (folder / "b.eml").write_bytes(mails[1].as_bytes())
    (folder / "a-again.eml").write_bytes(mails[0].as_bytes())  # the same mail as in the Maildir
    res = cli(cfg, "import", "--no-keep-dates", str(tmp_path / "Maildir"))
    assert "ticket: 1" in res.output
    res = cli(cfg, "import", "--mailbox", "helpdesk", str(tmp_path / "eml"))
    assert res.exit_code == 0, res.output
    assert "imported 2 mail(s)" in res.output and "ticket: 1" in res.output and "already_done: 1" in res.output
    store = open_store(load(cfg))
    try:
        assert sorted(t.request_type for t in store.tickets()) == ["reset_password", "ubah_jadwal"]
    finally:
        store.close()
    res = cli(cfg, "import", "--mailbox", "tidak-ada", str(folder))
    assert res.exit_code == 1 and "no mailbox named 'tidak-ada'" in res.output


def test_import_one_eml_file_with_unparseable_mail_is_quarantined(tmp_path):
    cfg = ops_config(tmp_path)
    p = tmp_path / "rusak.eml"
    p.write_bytes(b"")
    res = cli(cfg, "import", str(p))
    assert res.exit_code == 0
    assert "quarantined: 1" in res.output
    assert db_rows(cfg, "SELECT COUNT(*) FROM quarantine") == [(1,)]


def test_import_answers_no_status_question_either(tmp_path):
    """Every mail the writer would send goes through the importer's reply service, which sends
    nothing: a status question in the archive is linked to its ticket, its answer recorded as
    withheld (before the reply service, this path queued an answer to a years-old question)."""
    from mails import request_mail as mail

    cfg = ops_config(tmp_path)
    sender = "Pokja 7 <pokja7@garutkab.go.id>"
    request = mail("Mohon ubah jadwal", attachments=[UBAH], sender=sender)
    request.replace_header("Date", "Mon, 03 Jun 2024 09:15:00 +0700")
    question = mail("Tanya permohonan", "Selamat pagi, apakah permohonan ubah jadwal kami kemarin sudah diproses?",
                    sender=sender)
    question.replace_header("Date", "Tue, 04 Jun 2024 09:15:00 +0700")
    mbox = mailbox.mbox(str(tmp_path / "arsip.mbox"))
    for m in (request, question):
        mbox.add(m)
    mbox.close()
    res = cli(cfg, "import", str(tmp_path / "arsip.mbox"))
    assert res.exit_code == 0, res.output
    assert "status: 1" in res.output and "ticket: 1" in res.output
    assert db_rows(cfg, "SELECT COUNT(*) FROM outbox") == [(0,)]
    withheld = db_rows(cfg, "SELECT json_extract(detail, '$.mail'), json_extract(detail, '$.reason') FROM events "
                            "WHERE kind = 'reply_withheld' ORDER BY id")
    assert withheld == [(None, "imported from an archive: no reply is sent"),
                        ("status", "imported from an archive: no reply is sent")]

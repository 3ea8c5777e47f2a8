"""``helpdesk-bot doctor`` against the real Dovecot and SMTP test servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port
from test_cli_ops import cli

from helpdesk_bot.store import Store

CONFIG = """\
[storage]
database = "var/helpdesk.db"

[[mailbox]]
name = "helpdesk"
address = "helpdesk@example.test"
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
security = "{imap_security}"
tls_verify = false
username = "helpdesk"
password_file = "{imap_secret}"
folder = "{folder}"

[[mailbox]]
name = "arsip"
address = "arsip@example.test"
kind = "maildir"
path = "var/maildir/arsip"

[smtp]
kind = "smtp"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
username = "{smtp_user}"
password_file = "{smtp_secret}"
from_address = "helpdesk@example.test"
"""


def write_config(tmp: Path, dovecot, smtp_port: int, imap_password: str = "secret", imap_port: int | None = None,
                 imap_security: str = "none", folder: str = "INBOX", smtp_user: str = "",
                 smtp_password: str = "") -> Path:
    (tmp / "imap.secret").write_text(imap_password + "\n")
    (tmp / "smtp.secret").write_text(smtp_password + "\n")
    path = tmp / "config.toml"
    path.write_text(CONFIG.format(imap_port=imap_port or dovecot.imap_port, imap_security=imap_security,
                                  imap_secret=tmp / "imap.secret", folder=folder, smtp_port=smtp_port,
                                  smtp_user=smtp_user, smtp_secret=tmp / "smtp.secret"))
    return path


def lines(output: str) -> dict[str, str]:
    """Check name -> its line (and fix line)."""
    out: dict[str, str] = {}
    last = ""
    for ln in output.splitlines():
        if ln[:4].strip() in ("OK", "WARN", "FAIL"):
            last = ln[5:].split(":", 1)[0]
            out[last] = ln
        elif ln.strip().startswith("fix:") and last:
            out[last] += "\n" + ln
    return out


@pytest.fixture
def auth_smtp() -> Iterator[int]:
    """An aiosmtpd server that requires AUTH (user helpdesk, password "rahasia")."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = getattr(auth_data, "login", b"") == b"helpdesk" and getattr(auth_data, "password", b"") == b"rahasia"
        return AuthResult(success=ok, handled=False)

    ctl = Controller(Sink(), hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                     auth_require_tls=False)
    ctl.start()
    yield ctl.port
    ctl.stop()


def test_doctor_all_ok_against_real_servers(tmp_path, mailbox, smtp_server):
    cfg = write_config(tmp_path, mailbox, smtp_server.port)
    Store(tmp_path / "var" / "helpdesk.db").close()  # a migrated database
    res = cli(cfg, "doctor")
    assert res.exit_code == 0, res.output
    got = lines(res.output)
    assert got["config"].startswith("OK")
    assert got["mailbox helpdesk"].startswith("OK") and "logged in as 'helpdesk'" in got["mailbox helpdesk"]
    assert "folder 'INBOX' exists, IDLE supported" in got["mailbox helpdesk"]
    assert got["mailbox arsip"].startswith("OK") and "writable" in got["mailbox arsip"]
    assert got["smtp"].startswith("OK") and "connected" in got["smtp"]
    assert got["database"].startswith("OK") and "migration(s) applied" in got["database"]
    assert got["rules"].startswith("OK")
    assert got["trust"].startswith("WARN") and "trusted_authserv_ids is empty" in got["trust"]
    assert res.output.strip().endswith("checks passed, 1 with a warning (see WARN above)")  # not "all ... passed" under a WARN


def test_doctor_starttls_and_smtp_auth_ok(tmp_path, mailbox, auth_smtp):
    if not mailbox.cert_file:
        pytest.skip("no openssl: the test Dovecot has no certificate")
    cfg = write_config(tmp_path, mailbox, auth_smtp, imap_security="starttls", smtp_user="helpdesk",
                       smtp_password="rahasia")
    res = cli(cfg, "doctor")
    got = lines(res.output)
    assert got["mailbox helpdesk"].startswith("OK") and "(starttls)" in got["mailbox helpdesk"]
    assert got["smtp"].startswith("OK") and "logged in as 'helpdesk'" in got["smtp"]


def test_doctor_wrong_passwords_fail_with_a_fix(tmp_path, mailbox, auth_smtp):
    cfg = write_config(tmp_path, mailbox, auth_smtp, imap_password="salah", smtp_user="helpdesk",
                       smtp_password="salah")
    res = cli(cfg, "doctor")
    assert res.exit_code == 1
    got = lines(res.output)
    assert got["mailbox helpdesk"].startswith("FAIL") and "login as 'helpdesk'" in got["mailbox helpdesk"]
    assert "fix: check username and the password" in got["mailbox helpdesk"]
    assert got["smtp"].startswith("FAIL") and "SMTP login as 'helpdesk'" in got["smtp"] and "535" in got["smtp"]
    assert "salah" not in res.output  # never print a password
    assert "check(s) failed" in res.output


def test_doctor_unreachable_ports_and_missing_folder(tmp_path, mailbox):
    cfg = write_config(tmp_path, mailbox, free_port(), imap_port=free_port())
    res = cli(cfg, "doctor", "--timeout", "3")
    assert res.exit_code == 1
    got = lines(res.output)
    assert got["mailbox helpdesk"].startswith("FAIL") and "cannot connect to 127.0.0.1:" in got["mailbox helpdesk"]
    assert "fix: check host and port" in got["mailbox helpdesk"]
    assert got["smtp"].startswith("FAIL") and "cannot connect" in got["smtp"]
    cfg = write_config(tmp_path, mailbox, free_port(), folder="Arsip2019")
    got = lines(cli(cfg, "doctor").output)
    assert got["mailbox helpdesk"].startswith("FAIL") and "folder 'Arsip2019' does not exist" in got["mailbox helpdesk"]


def test_doctor_missing_password_file_bad_config_and_unwritable_paths(tmp_path, mailbox):
    cfg = write_config(tmp_path, mailbox, free_port())
    (tmp_path / "imap.secret").unlink()
    got = lines(cli(cfg, "doctor").output)
    assert got["mailbox helpdesk"].startswith("FAIL") and "password_file cannot be read" in got["mailbox helpdesk"]
    assert "LoadCredential" in got["mailbox helpdesk"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[mailbox]]\nname = \"x\"\naddress = \"x@example.test\"\nkind = \"imap\"\nhost = \"h\"\nusername = \"u\"\nport = \"993\"\n")
    res = cli(bad, "doctor")
    assert res.exit_code == 1 and "FAIL config:" in res.output and "mailbox[0].port: expected an integer" in res.output


def test_doctor_directory_outbox_and_database_states(tmp_path):
    from test_cli_ops import ops_config

    cfg = ops_config(tmp_path)
    res = cli(cfg, "doctor")
    got = lines(res.output)
    assert got["smtp"].startswith("OK") and "outbox directory" in got["smtp"]
    assert got["database"].startswith("OK") and "created" in got["database"]
    db = tmp_path / "var" / "helpdesk.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not a database" * 100)
    got = lines(cli(cfg, "doctor").output)
    assert got["database"].startswith("FAIL")

"""Configuration: the shipped example loads; every mistake names file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_bot.config import ConfigError, embedded_default, load

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_loads_with_every_documented_key():
    cfg = load(ROOT / "config.example.toml")
    assert [m.name for m in cfg.mailbox] == ["helpdesk", "info"]
    assert cfg.smtp.kind == "smtp"
    assert cfg.working_hours.friday == ("07:30-11:30", "13:30-16:30")
    assert "helpdesk@lpse.jabarprov.go.id" in cfg.own_addresses


def test_embedded_default_is_maildir_and_directory():
    cfg = embedded_default()
    assert {m.kind for m in cfg.mailbox} == {"maildir"}
    assert cfg.smtp.kind == "directory"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


MAILBOX = '[[mailbox]]\nname = "helpdesk"\naddress = "helpdesk@x.go.id"\nkind = "maildir"\npath = "m"\n'


@pytest.mark.parametrize("text, key, expected", [
    (MAILBOX + "[smtp]\nport = \"587\"\n", "smtp.port", "expected an integer, got '587'"),
    (MAILBOX + "[smtp]\nkind = \"carrier-pigeon\"\n", "smtp.kind", "expected one of 'smtp', 'directory'"),
    (MAILBOX + "[storage]\ndatabse = \"x.db\"\n", "storage.databse", "unknown key"),
    (MAILBOX.replace('kind = "maildir"', 'kind = "imap"'), "mailbox[0].host", "expected a host name"),
    (MAILBOX + "[working_hours]\nmonday = [\"7.30-16\"]\n", "working_hours.monday", "expected spans like"),
    (MAILBOX + "[working_hours]\nclosed_dates = [\"2026-13-01\"]\n", "working_hours.closed_dates", "expected a date"),
    (MAILBOX + "[helpdesk]\ntimezone = \"Mars/Olympus\"\n", "helpdesk.timezone", "IANA"),
    ("[storage]\ndatabase = \"x.db\"\n", "mailbox", "at least one [[mailbox]]"),
    (MAILBOX + "[smtp\n", "(syntax)", "expected valid TOML"),
    (MAILBOX + "[staff]\nrequire_authentication = false\n", "staff.require_authentication", "expected true"),
    (MAILBOX + "[staff]\ntrusted_relays = [\"relay x\"]\n", "staff.trusted_relays", "expected host names"),
])
def test_bad_config_names_file_key_and_expectation(tmp_path, text, key, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert err.value.file == str(path)
    assert err.value.key == key
    assert expected in err.value.message
    assert str(err.value).startswith(f"{path}: {key}: ")


def test_relative_paths_resolve_next_to_the_config(tmp_path):
    cfg = load(_write(tmp_path, MAILBOX))
    assert cfg.resolve(cfg.storage.database) == tmp_path / "var/helpdesk.db"

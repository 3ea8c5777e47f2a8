"""``helpdesk-bot rules check``: every operators' file loaded, every template rendered once."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from helpdesk_bot.cli import main
from helpdesk_bot.config import shipped

CONFIG = """\
[storage]
database = "var/helpdesk.db"

[paths]
rules = "rules"
forms = "forms"
templates = "templates"

[[mailbox]]
name = "helpdesk"
address = "helpdesk@lpse.jabarprov.go.id"
kind = "maildir"
path = "var/maildir/helpdesk"
poll_interval = 0.2

[smtp]
kind = "directory"
path = "var/outbox"
{extra}
"""


def ops_config(tmp: Path, extra: str = "") -> Path:
    """A config.toml in ``tmp`` whose [paths] point to copies of rules/, forms/ and templates/."""
    for d in ("rules", "forms", "templates"):
        if not (tmp / d).exists():
            shutil.copytree(shipped(d), tmp / d)
    path = tmp / "config.toml"
    path.write_text(CONFIG.format(extra=extra), encoding="utf-8")
    return path


def cli(config: Path | None, *args: str):
    runner = CliRunner()
    pre = ["--config", str(config)] if config else []
    return runner.invoke(main, [*pre, *args], catch_exceptions=False)


def test_rules_check_ok_prints_one_summary_line(tmp_path):
    res = cli(ops_config(tmp_path), "rules", "check")
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    from importlib.resources import files

    shipped = files("helpdesk_bot")
    types = len([f for f in shipped.joinpath("rules").iterdir() if f.name.endswith(".toml")])
    documents = len([f for f in shipped.joinpath("forms").iterdir() if f.name.endswith(".toml")])
    assert (types, documents) == (13, 11)  # the DOMAIN.md request types and documents
    assert lines[-1].startswith(f"OK: {types} request types, {documents} documents")
    assert "not rendered" in lines[-1]
    assert not [ln for ln in lines if ln.startswith("note:")], res.output


def test_rules_check_reports_toml_syntax_error_with_file_and_line(tmp_path):
    cfg = ops_config(tmp_path)
    f = tmp_path / "rules" / "ubah_jadwal.toml"
    f.write_text(f.read_text() + "\npriority = = 3\n")
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    line_no = len(f.read_text().splitlines())
    assert f"{f}:{line_no}: TOML syntax error" in res.output
    assert "problem(s)" in res.output


def test_rules_check_reports_unknown_document_regex_and_missing_template(tmp_path):
    cfg = ops_config(tmp_path)
    f = tmp_path / "rules" / "reset_password.toml"
    text = f.read_text().replace('"sk_admin_agency"', '"sk_admin_agensi"', 1)
    text = text.replace('reply = "ack"', 'reply = "ack_tidak_ada"')
    f.write_text(text + "\n")
    g = tmp_path / "forms" / "sla.toml"
    g.write_text(g.read_text().replace("patterns = [", "patterns = ['(unclosed', ", 1))
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    out = res.output
    assert f"{f}:" in out and "unknown document id 'sk_admin_agensi'" in out
    assert "missing template" in out and "ack_tidak_ada.txt.j2" in out
    assert f"{g}:" in out and "does not compile" in out
    for line in out.splitlines():
        if line.startswith(str(tmp_path)):
            path, lineno, _msg = line.split(":", 2)
            assert Path(path).exists() and lineno.isdigit()


def test_rules_check_reports_duplicate_ids_and_names(tmp_path):
    cfg = ops_config(tmp_path)
    shutil.copy(tmp_path / "rules" / "ubah_jadwal.toml", tmp_path / "rules" / "ubah_jadwal_copy.toml")
    f = tmp_path / "forms" / "sla.toml"
    f.write_text(f.read_text().replace('name = "', 'name = "Formulir Permintaan Ubah Jadwal" # "', 1))
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    assert "duplicate request type 'ubah_jadwal'" in res.output
    shutil.os.remove(tmp_path / "rules" / "ubah_jadwal_copy.toml")
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    assert f"{f}:" in res.output and "duplicate document name 'Formulir Permintaan Ubah Jadwal'" in res.output


def test_rules_check_renders_templates_and_catches_undefined_variables(tmp_path):
    cfg = ops_config(tmp_path)
    t = tmp_path / "templates" / "ack.txt.j2"
    lines = t.read_text().splitlines()
    lines.insert(3, "Nomor: {{ nomor_yang_tidak_ada }}")
    t.write_text("\n".join(lines) + "\n")
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    assert f"{t}:4: UndefinedError" in res.output and "nomor_yang_tidak_ada" in res.output


def test_rules_check_catches_undefined_variable_in_workflow_templates(tmp_path):
    cfg = ops_config(tmp_path)
    for name in ("notice_selesai.txt.j2", "reminder_password.txt.j2", "digest.txt.j2"):
        t = tmp_path / "templates" / name
        if not t.exists():
            continue
        original = t.read_text()
        t.write_text(original + "{{ tidak_terdefinisi }}\n")
        res = cli(cfg, "rules", "check")
        assert res.exit_code == 1, (name, res.output)
        assert "tidak_terdefinisi" in res.output and name in res.output
        t.write_text(original)
    assert cli(cfg, "rules", "check").exit_code == 0


def test_rules_check_reports_templates_without_a_sample_context_as_not_rendered(tmp_path):
    cfg = ops_config(tmp_path)
    (tmp_path / "templates" / "pengumuman_baru.txt.j2").write_text("Yth. {{ siapa }}\n")
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 0, res.output
    assert "note: template pengumuman_baru: not rendered" in res.output
    assert "1 not rendered" in res.output.splitlines()[-1]


def test_rules_check_template_syntax_error(tmp_path):
    cfg = ops_config(tmp_path)
    t = tmp_path / "templates" / "ack_lainnya.txt.j2"
    t.write_text(t.read_text() + "{% if %}\n")
    res = cli(cfg, "rules", "check")
    assert res.exit_code == 1
    assert f"{t}:" in res.output and "template syntax error" in res.output

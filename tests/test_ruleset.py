"""Operators' files: the shipped set is complete; broken files are reported as file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpdesk_bot.ruleset import RuleSetError, load_ruleset

ROOT = Path(__file__).resolve().parents[1] / "helpdesk_bot"  # the shipped rules/, forms/, templates/
DOMAIN_TYPES = {"ubah_jadwal", "uji_forensik", "perbaikan_aplikasi", "reset_password", "penggantian_admin",
                "bergabung", "admin_tambahan", "sub_agency", "permintaan_data", "bimtek", "gangguan", "lainnya",
                "status"}  # issue 11: a question about an earlier request
DOMAIN_DOCS = {"formulir_ubah_jadwal", "formulir_uji_forensik", "berita_acara_uji_forensik",
               "formulir_perbaikan_aplikasi", "surat_permohonan_reset_password", "sk_admin_agency",
               "surat_permohonan_penggantian_admin", "surat_permohonan_bergabung", "surat_permohonan_pelatihan", "sla",
               "surat_permohonan_data"}


def shipped():
    return load_ruleset(ROOT / "rules", ROOT / "forms", ROOT / "templates")


def test_shipped_rules_cover_the_domain_contract():
    rules = shipped()
    assert set(rules.types) == DOMAIN_TYPES
    assert set(rules.forms) == DOMAIN_DOCS
    assert rules.types["uji_forensik"].required == ("formulir_uji_forensik", "berita_acara_uji_forensik")
    assert rules.types["bergabung"].required == ("surat_permohonan_bergabung", "surat_permohonan_pelatihan", "sk_admin_agency", "sla")
    assert rules.types["sub_agency"].refuse and rules.types["lainnya"].fallback
    assert rules.types["ubah_jadwal"].working_hours_only and rules.types["ubah_jadwal"].password_reminder


@pytest.fixture
def copy(tmp_path):
    for d in ("rules", "forms", "templates"):
        shutil.copytree(ROOT / d, tmp_path / d)
    return tmp_path


def _load(base: Path):
    return load_ruleset(base / "rules", base / "forms", base / "templates")


def test_every_problem_is_reported_with_file_and_line(copy):
    rt = copy / "rules" / "ubah_jadwal.toml"
    rt.write_text(rt.read_text().replace('required = ["formulir_ubah_jadwal"]', 'required = ["formulir_ubah_jadwall"]')
                  .replace("keywords = [", "keywords = ['(unclosed', "))
    form = copy / "forms" / "sla.toml"
    form.write_text(form.read_text() + "\n[broken\n")
    with pytest.raises(RuleSetError) as err:
        _load(copy)
    text = "\n".join(err.value.problems)
    lines = rt.read_text().splitlines()
    req_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("required"))
    assert f"{rt}:{req_line}: required: unknown document id 'formulir_ubah_jadwall'" in text
    assert "does not compile" in text and "(unclosed" in text
    assert f"{form}:" in text and "TOML syntax error" in text


def test_duplicate_ids_and_missing_templates(copy):
    shutil.copy(copy / "rules" / "ubah_jadwal.toml", copy / "rules" / "zz_copy.toml")
    (copy / "templates" / "refusal_sub_agency.txt.j2").unlink()
    with pytest.raises(RuleSetError) as err:
        _load(copy)
    text = "\n".join(err.value.problems)
    assert "duplicate request type 'ubah_jadwal'" in text
    assert "missing template" in text and "refusal_sub_agency.txt.j2" in text


def test_template_syntax_error_has_its_line(copy):
    tpl = copy / "templates" / "ack_lainnya.txt.j2"
    tpl.write_text("baris satu\n{% if x %}\nbaris tiga\n")
    with pytest.raises(RuleSetError) as err:
        _load(copy)
    assert any(p.startswith(f"{tpl}:") and "template syntax error" in p for p in err.value.problems)

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
    t = rules.types
    assert {i for i, rt in t.items() if rt.onboarding} == {"bergabung", "penggantian_admin", "admin_tambahan"}
    assert {i for i, rt in t.items() if rt.admin_data} == {"bergabung", "penggantian_admin", "admin_tambahan", "reset_password"}
    assert {i for i, rt in t.items() if rt.tender_code} == {"ubah_jadwal", "uji_forensik", "perbaikan_aplikasi", "status"}
    assert {i for i, rt in t.items() if rt.status_question} == {"status"}
    assert {i for i, rt in t.items() if rt.result_required} == {"uji_forensik"}
    assert {i for i, rt in t.items() if rt.staff_decides} == {"permintaan_data"}
    assert {i for i, rt in t.items() if rt.schedules_bimtek} == {"bimtek"}
    assert {i for i, rt in t.items() if rt.outage_report} == {"gangguan"}
    assert {i for i, f in rules.forms.items() if f.admin_data} == {
        "sk_admin_agency", "surat_permohonan_reset_password", "surat_permohonan_penggantian_admin"}


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


def test_behaviour_flags_are_checked_at_load(copy):
    """A misspelt or mistyped flag is refused with its file, line and key, not silently ignored."""
    rt = copy / "rules" / "uji_forensik.toml"
    rt.write_text(rt.read_text().replace("result_required = true", 'result_required = "ya"\nonbording = true'))
    form = copy / "forms" / "sk_admin_agency.toml"
    form.write_text(form.read_text().replace("admin_data = true", "admin_data = 1"))
    with pytest.raises(RuleSetError) as err:
        _load(copy)
    lines = rt.read_text().splitlines()
    flag_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("result_required"))
    text = "\n".join(err.value.problems)
    assert f"{rt}:{flag_line}: result_required: expected true or false, got 'ya'" in text
    assert f"{rt}:{flag_line + 1}: onbording: unknown key" in text
    assert f"{form}:" in text and "admin_data: expected true or false, got 1" in text


def test_no_request_type_id_in_code():
    """What a type does lives in its TOML: no shipped type id appears as a string in the package's code."""
    import re

    # "bimtek" and "gangguan" are also staff commands (#bimtek, #gangguan) and a column, "status" a
    # column and an intent: ordinary words there, not type ids.
    ids = "|".join(sorted(DOMAIN_TYPES - {"bimtek", "gangguan", "status"}))
    pattern = re.compile(rf"""["']({ids})["']""")
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and "example" not in code:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []

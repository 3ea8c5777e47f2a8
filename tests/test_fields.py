"""Identifier formats (DOMAIN.md) and label-based field extraction."""

from __future__ import annotations

from helpdesk_bot.fields import check_nip, extract_fields, find_kode_tender, match_tahapan, normalise_phone
from helpdesk_bot.ruleset import FieldSpec


def test_nip_valid_spaced_and_unspaced():
    assert check_nip("NIP. 19650415 198702 1 003").valid
    assert check_nip("196504151987021003").value == "196504151987021003"


def test_nip_invalid_reasons_are_specific():
    assert "18 digit" in check_nip("1965041519870210").problem
    assert "tanggal lahir" in check_nip("196513451987021003").problem
    assert "jenis kelamin" in check_nip("196504151987023003").problem
    assert "TMT" in check_nip("196504151960021003").problem  # appointed before birth


def test_phone_numbers_normalised_to_plus62():
    assert normalise_phone("0812-2233-4455") == "+6281222334455"
    assert normalise_phone("+62 812 2233 4455") == "+6281222334455"
    assert normalise_phone("(022) 4232448") == "+62224232448"
    assert normalise_phone("12345") is None


def test_kode_tender_next_to_its_label():
    assert find_kode_tender("Mohon ubah jadwal kode tender: 48658064 segera") == "48658064"
    assert find_kode_tender("Kode Lelang 10158661000") == "10158661000"
    assert find_kode_tender("telepon 081222334455") is None


def test_tahapan_matched_fuzzily():
    assert match_tahapan("upload dok penawaran") == "Upload Dokumen Penawaran"
    assert match_tahapan("pembuktian kualifkasi") == "Pembuktian Kualifikasi"


SPECS = (
    FieldSpec("kode_tender", ("kode tender",), "kode_tender"),
    FieldSpec("nama_paket", ("nama paket",)),
    FieldSpec("nip", ("nip",), "nip"),
    FieldSpec("telepon", ("no. telepon/hp", "telepon"), "phone"),
    FieldSpec("email", ("alamat email", "email"), "email"),
)


def test_fields_from_label_lines_and_next_line_values():
    text = ("FORMULIR\n1. Kode Tender : 48658064\nNama Paket\nPembangunan Jalan Desa\n"
            "NIP : 19800415 200501 2 003\nNo. Telepon/HP : 0812 2233 4455\nAlamat Email : Siti@Garutkab.go.id\n")
    got = extract_fields(text, SPECS)
    assert got.values == {
        "kode_tender": "48658064", "nama_paket": "Pembangunan Jalan Desa", "nip": "198004152005012003",
        "telepon": "+6281222334455", "email": "siti@garutkab.go.id",
    }
    assert got.problems == {}


def test_invalid_nip_is_reported_as_a_problem():
    got = extract_fields("NIP : 19801345 200501 2 003\n", SPECS)
    assert "tanggal lahir" in got.problems["nip"]


def test_acroform_values_fill_fields():
    got = extract_fields("FORMULIR PERMINTAAN UBAH JADWAL\n", SPECS, {"kode_tender": "48658064", "Nama Paket": "Jalan"})
    assert got.values["kode_tender"] == "48658064"
    assert got.values["nama_paket"] == "Jalan"

"""Salutations from the sender's agency, NIP and phone numbers as offices write them."""

from __future__ import annotations

import pytest

from helpdesk_bot.people import agency_of, format_nip, format_phone, requester_label, salutation


@pytest.mark.parametrize("address, agency", [
    ("pokja12@bandungkab.go.id", "Pemerintah Kabupaten Bandung"),
    ("admin@bandungbaratkab.go.id", "Pemerintah Kabupaten Bandung Barat"),
    ("ukpbj@cimahikota.go.id", "Pemerintah Kota Cimahi"),
    ("ulp@kotabogor.go.id", "Pemerintah Kota Bogor"),
    ("x@bandung.go.id", "Pemerintah Kota Bandung"),
    ("sekretariat@dinkes.jabarprov.go.id", "Pemerintah Provinsi Jawa Barat"),
    ("pokja.garut@gmail.com", ""),
    ("someone@kemenkeu.go.id", ""),
    ("no-at-sign", ""),
])
def test_agency_from_address(address, agency):
    assert agency_of(address) == agency


def test_salutation_never_uses_a_display_name():
    assert salutation("") == "Yth. Bapak/Ibu,"
    assert salutation("Pemerintah Kabupaten Garut") == "Yth. Bapak/Ibu di lingkungan Pemerintah Kabupaten Garut,"


def test_requester_label_for_staff():
    assert requester_label("siti@garutkab.go.id") == "siti@garutkab.go.id (Pemerintah Kabupaten Garut)"
    assert requester_label("a@gmail.com") == "a@gmail.com"


def test_nip_in_four_groups():
    assert format_nip("198004152005012003") == "19800415 200501 2 003"
    assert format_nip("19800415 200501 2 003") == "19800415 200501 2 003"
    assert format_nip("12345") == "12345"


@pytest.mark.parametrize("raw, shown", [
    ("081222334455", "0812-2233-4455"),
    ("+62 812-2233-4455", "0812-2233-4455"),
    ("6281222334455", "0812-2233-4455"),
    ("0812223344", "0812-2233-44"),
    ("0224231234", "022-4231234"),
    ("0265 331234", "0265-331234"),
    ("tidak ada", "tidak ada"),
])
def test_phone_grouped(raw, shown):
    assert format_phone(raw) == shown

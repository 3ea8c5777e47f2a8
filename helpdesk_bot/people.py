"""How replies and the digest name people and write their numbers, as an Indonesian office does.

- The salutation names the sender's agency, never the display name of the mailbox ("Yth. Bapak/Ibu
  Sekretariat" read as if "Sekretariat" were a person): ``agency_of`` derives the agency from a
  regional government domain (``garutkab.go.id`` -> "Pemerintah Kabupaten Garut"); anything else
  (Gmail, an unknown domain) gets the plain "Yth. Bapak/Ibu".
- A NIP is written in its four groups (``19800415 200501 2 003``), a phone in groups of four
  (``0812-2233-4455``), as the letters they came from write them.

Pure functions on short strings (callers pass addresses and field values already capped).
"""

from __future__ import annotations

import re

#: Multi-word place names hidden in one domain label; others are capitalised as they are.
_PLACES = {
    "bandungbarat": "Bandung Barat", "tasikmalaya": "Tasikmalaya", "pangandaran": "Pangandaran",
    "jabarprov": "Jawa Barat",
}
#: Domains whose label does not say kabupaten or kota (the 27 regions of Jawa Barat that differ).
_KNOWN = {
    "bandung.go.id": "Pemerintah Kota Bandung",
    "depok.go.id": "Pemerintah Kota Depok",
    "kotabogor.go.id": "Pemerintah Kota Bogor",
    "subang.go.id": "Pemerintah Kabupaten Subang",
    "jabarprov.go.id": "Pemerintah Provinsi Jawa Barat",
}
_REGION = re.compile(r"^(?:kota(?P<kota1>[a-z]{3,30})|(?P<kota2>[a-z]{3,30})kota|(?P<kab>[a-z]{3,30})kab)\.go\.id$")


def _place(label: str) -> str:
    return _PLACES.get(label, label.capitalize())


def agency_of(address: str) -> str:
    """The regional government a sender's address belongs to, or "" when it cannot be told.

    ``dinkes.jabarprov.go.id`` counts as ``jabarprov.go.id``: the last two labels before
    ``go.id`` name the government.
    """
    domain = address.rpartition("@")[2].strip().lower().rstrip(">")
    if not domain.endswith(".go.id") or len(domain) > 100:
        return ""
    labels = domain.split(".")
    if len(labels) < 3:
        return ""
    base = ".".join(labels[-3:])
    if base in _KNOWN:
        return _KNOWN[base]
    m = _REGION.match(base)
    if not m:
        return ""
    if m.group("kab"):
        return f"Pemerintah Kabupaten {_place(m.group('kab'))}"
    return f"Pemerintah Kota {_place(m.group('kota1') or m.group('kota2'))}"


def salutation(agency: str) -> str:
    """"Yth. Bapak/Ibu di lingkungan Pemerintah Kabupaten Garut," or "Yth. Bapak/Ibu,"."""
    return f"Yth. Bapak/Ibu di lingkungan {agency}," if agency else "Yth. Bapak/Ibu,"


def requester_label(address: str, agency: str = "") -> str:
    """"siti@garutkab.go.id (Pemerintah Kabupaten Garut)": who wrote, for staff."""
    agency = agency or agency_of(address)
    return f"{address} ({agency})" if agency else address


_DIGITS = re.compile(r"\d")


def format_nip(value: str) -> str:
    """``198004152005012003`` -> ``19800415 200501 2 003``; anything not 18 digits as it came."""
    digits = "".join(_DIGITS.findall(value or ""))
    if len(digits) != 18:
        return value
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def format_phone(value: str) -> str:
    """``+62 812 2233 4455`` / ``081222334455`` -> ``0812-2233-4455``; ``0224231234`` -> ``022-4231234``."""
    digits = "".join(_DIGITS.findall(value or ""))
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if not digits.startswith("0") or not 9 <= len(digits) <= 13:
        return value
    if digits.startswith("08"):
        return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
    # Landline: area codes are 3 digits (021, 022) or 4 (0231, 0265) in Jawa Barat.
    area = 3 if digits[:3] in ("021", "022") else 4
    return f"{digits[:area]}-{digits[area:]}"


__all__ = ["agency_of", "salutation", "requester_label", "format_nip", "format_phone"]

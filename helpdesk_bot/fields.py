"""Field extraction from a recognised document's text, and the identifier formats of DOMAIN.md.

Forms are filled by hand, typed, scanned and OCRed, so a field is found by its label
("Kode Tender : 48658064", or the value on the next line when a table was flattened), then
checked by kind: a NIP must carry a real birth date, appointment month and gender digit; a
phone number is normalised to +62; a stage name is matched fuzzily against SPSE's stages.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .ruleset import FieldSpec

#: SPSE 4 stage names (DOMAIN.md, "Tahapan").
TAHAPAN = (
    "Pengumuman", "Download Dokumen Pemilihan", "Pemberian Penjelasan", "Upload Dokumen Penawaran",
    "Pembukaan Dokumen Penawaran", "Evaluasi Administrasi, Kualifikasi, Teknis dan Harga",
    "Pembuktian Kualifikasi", "Penetapan Pemenang", "Pengumuman Pemenang", "Masa Sanggah",
    "Surat Penunjukan Penyedia", "Penandatanganan Kontrak",
)


_BLANKS = re.compile(r"[ \t\u00a0]+")


def normalise(text: str) -> str:
    """Lower case, accents stripped, whitespace collapsed per line; OCR-friendly."""
    if not text.isascii():  # accents only exist outside ASCII; the per-character pass is costly
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\r\n", "\n").replace("\r", "\n").lower()
    return "\n".join(_BLANKS.sub(" ", line).strip() for line in text.split("\n"))


# ------------------------------------------------------------------------------------------
# Identifiers


@dataclass(frozen=True)
class NipCheck:
    value: str
    valid: bool
    problem: str = ""


def check_nip(raw: str) -> NipCheck:
    """NIP = birth date YYYYMMDD + appointment YYYYMM + gender 1/2 + sequence NNN (18 digits)."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) != 18:
        return NipCheck(digits, False, f"NIP harus 18 digit, tertulis {len(digits)} digit")
    try:
        born = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return NipCheck(digits, False, "tanggal lahir pada NIP tidak valid")
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12 or year < born.year + 15 or year > dt.date.today().year + 1:
        return NipCheck(digits, False, "TMT pengangkatan pada NIP tidak valid")
    if digits[14] not in "12":
        return NipCheck(digits, False, "kode jenis kelamin pada NIP harus 1 atau 2")
    if born.year < 1940:
        return NipCheck(digits, False, "tanggal lahir pada NIP tidak valid")
    return NipCheck(digits, True)


def normalise_phone(raw: str) -> str | None:
    """08xx / +62 8xx / 62 8xx / (022) ... to +62...; None when it is not a phone number."""
    digits = re.sub(r"[^\d+]", "", raw)
    if digits.startswith("+62"):
        rest = digits[3:]
    elif digits.startswith("62") and len(digits) >= 11:
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        return None
    rest = rest.lstrip("0")
    if not rest.isdigit():
        return None
    if rest.startswith("8") and 9 <= len(rest) <= 12:
        return "+62" + rest
    if not rest.startswith("8") and 8 <= len(rest) <= 11:  # landline, e.g. 022 for Bandung
        return "+62" + rest
    return None


#: Starts only where a run of address characters starts and never gives a run back: a 100 KB
#: word without "@" is then read once, not once from each of its letters (quadratic).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
_KODE = re.compile(r"(?<!\d)(\d{6,11})(?!\d)")
_KODE_NEAR = re.compile(r"(?:kode\s*+)?(?:tender|lelang|paket|pemilihan|seleksi)\s*+(?:no\.?|nomor|id)?\s*+[:.=#]?\s*+(\d[\d ]{5,13}\d)\b", re.I)


def find_kode_tender(text: str) -> str | None:
    """A number next to "kode tender/lelang/paket", 6 to 11 digits."""
    for m in _KODE_NEAR.finditer(text):
        digits = m.group(1).replace(" ", "")
        if 6 <= len(digits) <= 11:
            return digits
    return None


def match_tahapan(value: str) -> str | None:
    best = process.extractOne(value, TAHAPAN, scorer=fuzz.WRatio, processor=lambda s: s.lower())
    if best and best[1] >= 80:
        return best[0]
    return None


# ------------------------------------------------------------------------------------------
# Label-based extraction


@lru_cache(maxsize=1024)
def _label_regex(label: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"\s+", normalise(label)) if w]
    body = r"\s*".join(words) if len(words) == 1 and "/" in label else r"\s+".join(words)
    # "1. Kode Tender : 123" / "Kode Tender: 123" / "| Kode Tender | 123 |"
    return re.compile(rf"^(?:[\d]+[.)]\s*|[a-z][.)]\s*|[-•*|]\s*)?{body}\b\s*(?:\(.*?\)\s*)?([:=|]|\t| {{2,}})?\s*(.*)$")


def _value_for(lines: list[str], originals: list[str], label: str) -> str | None:
    rx = _label_regex(label)
    for i, line in enumerate(lines):
        m = rx.match(line)
        if not m:
            continue
        sep, value = m.group(1), m.group(2).strip(" :|\t")
        if value and (sep or len(value) < 80):
            start = m.start(2)
            return originals[i][start:].strip(" :|\t") or value
        # Value on the next non-empty line (tables flattened by OCR or DOCX).
        for j in range(i + 1, min(i + 3, len(lines))):
            if lines[j]:
                nxt = originals[j].strip(" :|\t")
                return nxt or None
    return None


def _convert(kind: str, value: str, whole_text: str) -> tuple[str | None, str]:
    """(value, problem): the normalised value, and why it is unusable if it is."""
    if kind == "kode_tender":
        m = _KODE.search(value.replace(" ", ""))
        return (m.group(1), "") if m else (None, "kode tender tidak terbaca")
    if kind == "nip":
        chk = check_nip(value)
        return chk.value or None, ("" if chk.valid else chk.problem)
    if kind == "phone":
        phone = normalise_phone(value)
        return phone, ("" if phone else "nomor telepon tidak valid")
    if kind == "email":
        m = _EMAIL.search(value)
        return (m.group(0).lower(), "") if m else (None, "alamat email tidak valid")
    if kind == "tahapan":
        stage = match_tahapan(value)
        return stage or value.strip(), ""
    return value.strip()[:300], ""


@dataclass(frozen=True)
class ExtractedFields:
    values: dict[str, str]
    #: field name -> problem, for values present but invalid (e.g. a NIP with a bad date).
    problems: dict[str, str]


def extract_fields(text: str, specs: tuple[FieldSpec, ...], form_values: dict[str, str] | None = None) -> ExtractedFields:
    """Fill each declared field from labelled lines, then from AcroForm values."""
    originals = [_BLANKS.sub(" ", ln).strip() for ln in text.replace("\r\n", "\n").split("\n")]
    lines = [normalise(ln) for ln in originals]
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    acro = {normalise(k).replace("_", " "): v for k, v in (form_values or {}).items() if v}
    for spec in specs:
        raw = None
        for label in sorted(spec.labels, key=len, reverse=True):
            raw = _value_for(lines, originals, label) or acro.get(normalise(label))
            if raw:
                break
        if not raw and spec.name in acro:
            raw = acro[spec.name]
        if not raw and spec.kind == "kode_tender":
            raw = find_kode_tender(text)
        if not raw and spec.kind == "nip":
            m = re.search(r"nip\.?\s*+[:.]?\s*+(\d[\d .]{16,24}\d)", text, re.I)
            raw = m.group(1) if m else None
        if not raw and spec.kind == "email":
            m = _EMAIL.search(text)
            raw = m.group(0) if m else None
        if not raw:
            continue
        value, problem = _convert(spec.kind, raw, text)
        if value:
            values[spec.name] = value
        if problem:
            problems[spec.name] = problem
    return ExtractedFields(values, problems)

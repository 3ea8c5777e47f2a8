"""Mutated mail for fuzzing parse, screen, documents and classify (tests/test_fuzz.py, bench/fuzz.py).

Seeds are the third-party corpus (when present) plus generated requests with PDF, DOCX, ZIP and
image attachments, so the document extractors get damaged input too. Mutations are the kinds of
damage mail really suffers: byte flips, truncation, header duplication, boundary damage, line
ending changes, and base64 bodies cut or corrupted.

The property: ``check(raw)`` never raises. parse may refuse with ParseError (the pipeline
quarantines that); every later stage must cope with whatever parse returns.
"""

from __future__ import annotations

import dataclasses
import os
import re
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

from helpdesk_bot.classify import classify
from helpdesk_bot.config import LimitsConfig, embedded_default
from helpdesk_bot.documents import extract_all
from helpdesk_bot.parse import ParseError, parse
from helpdesk_bot.reload import load_for
from helpdesk_bot.screen import ScreenContext, screen

CONFIG = embedded_default()
#: Tight limits keep each case short (OCR especially) without skipping any code path.
LIMITS = dataclasses.replace(LimitsConfig(), ocr_seconds_per_mail=2.0, ocr_seconds_per_page=1.0, max_ocr_pages=1,
                             max_pdf_pages=5)
CTX = ScreenContext(own_addresses=CONFIG.own_addresses)


def corpora() -> Path | None:
    env = os.environ.get("HELPDESK_CORPORA")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return path if (path / "labels.tsv").is_file() else None


@lru_cache(maxsize=1)
def rules():  # noqa: ANN201
    return load_for(CONFIG)


@lru_cache(maxsize=1)
def generated_seeds() -> tuple[bytes, ...]:
    from docgen import SAMPLE_FIELDS, docx_file, png_image, text_pdf, zip_of
    from mails import request_mail

    pdf = text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS)
    return tuple(m.as_bytes() for m in (
        request_mail("Mohon ubah jadwal", attachments=[("formulir.pdf", pdf)]),
        request_mail("Perbaikan aplikasi", attachments=[("form.docx", docx_file("FORMULIR PERMINTAAN PERBAIKAN APLIKASI",
                                                                                 SAMPLE_FIELDS))]),
        request_mail("Berkas", attachments=[("berkas.zip", zip_of({"formulir.pdf": pdf, "catatan.txt": b"halo"}))]),
        request_mail("Foto formulir", attachments=[("foto.png", png_image("FORMULIR", {"Kode Tender": "1"}))]),
        request_mail("Balasan otomatis", headers={"Auto-Submitted": "auto-replied"}),
    ))


@lru_cache(maxsize=1)
def corpus_seeds(limit_bytes: int = 200_000) -> tuple[bytes, ...]:
    root = corpora()
    if root is None:
        return ()
    lines = (root / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    out = []
    for line in lines:
        path = root / line.split("\t")[0]
        try:
            if path.stat().st_size <= limit_bytes:
                out.append(path.read_bytes())
        except OSError:
            continue
    return tuple(out)


def seeds() -> tuple[bytes, ...]:
    return generated_seeds() + corpus_seeds()


# -- mutations -----------------------------------------------------------------------------------


def flip_bytes(raw: bytes, positions: list[int], values: list[int]) -> bytes:
    b = bytearray(raw)
    for p, v in zip(positions, values):
        if b:
            b[p % len(b)] = v
    return bytes(b)


def truncate(raw: bytes, frac: float) -> bytes:
    return raw[: int(len(raw) * frac)]


def duplicate_headers(raw: bytes, index: int, times: int) -> bytes:
    head, sep, body = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    lines = head.splitlines(keepends=True)
    if not lines:
        return raw
    line = lines[index % len(lines)]
    if not line.endswith(b"\n"):
        line += b"\n"
    return b"".join(lines[: index % len(lines)] + [line] * times + lines[index % len(lines):]) + sep + body


_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.I)


def damage_boundary(raw: bytes, how: int) -> bytes:
    m = _BOUNDARY.search(raw)
    if not m:
        return raw
    b = m.group(1)
    if how == 0:  # the closing delimiter is gone
        return raw.replace(b"--" + b + b"--", b"")
    if how == 1:  # the declared boundary no longer matches the parts
        return raw[: m.start(1)] + b[::-1] + raw[m.end(1):]
    if how == 2:  # every delimiter line loses its dashes
        return raw.replace(b"--" + b, b + b" ")
    return raw.replace(b"--" + b, b"--" + b[: max(1, len(b) // 2)])  # truncated boundaries


def line_endings(raw: bytes, how: int) -> bytes:
    if how == 0:
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if how == 1:
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw.replace(b"\r\n", b"\n")


def damage_base64(raw: bytes, pos: int) -> bytes:
    i = raw.find(b"base64")
    if i < 0:
        return raw
    j = raw.find(b"\n\n", i)
    j = raw.find(b"\r\n\r\n", i) if j < 0 else j
    if j < 0:
        return raw
    cut = j + 2 + pos % max(1, len(raw) - j - 2)
    return raw[:cut] + b"!!==\x00\xff" + raw[cut + 7:]


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    pool = seeds()
    raw = pool[draw(st.integers(0, len(pool) - 1))]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "dup", "boundary", "eol", "base64"]))
        if kind == "flip":
            n = draw(st.integers(1, 16))
            raw = flip_bytes(raw, draw(st.lists(st.integers(0, 1 << 30), min_size=n, max_size=n)),
                             draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)))
        elif kind == "truncate":
            raw = truncate(raw, draw(st.floats(0.0, 1.0)))
        elif kind == "dup":
            raw = duplicate_headers(raw, draw(st.integers(0, 1000)), draw(st.integers(2, 50)))
        elif kind == "boundary":
            raw = damage_boundary(raw, draw(st.integers(0, 3)))
        elif kind == "eol":
            raw = line_endings(raw, draw(st.integers(0, 2)))
        else:
            raw = damage_base64(raw, draw(st.integers(0, 1 << 20)))
    return raw


def check(raw: bytes) -> str:
    """Every stage on one mail; returns the outcome. Raises only on a bug."""
    try:
        env = parse(raw)
    except ParseError:
        return "parse_error"
    verdict = screen(env, CTX)
    docs = extract_all(env.attachments, LIMITS, None)
    result = classify(env, docs, rules())
    assert result.request_type in rules().types
    return "suppressed" if verdict.suppress else "classified"

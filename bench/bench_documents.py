"""Benchmark of the documents stage: median milliseconds per attachment.

    python3 bench/bench_documents.py [--runs N]

Measures, on one core (OMP_THREAD_LIMIT=1, the process pinned to one CPU where possible):
one-page text PDF extraction, a scanned one-page form through OCR (the bar: <= 1500 ms), the
same scan rotated 2.5 and 90 degrees, a phone photo, a DOCX form, and a cached lookup.
Fixtures come from tests/docgen.py, so the numbers are reproducible.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import docgen  # noqa: E402

from helpdesk_bot.config import LimitsConfig  # noqa: E402
from helpdesk_bot.offline import MemoryCache  # noqa: E402
from helpdesk_bot.documents import extract_one  # noqa: E402
from helpdesk_bot.envelope import Attachment  # noqa: E402

TITLE = "FORMULIR PERMINTAAN UBAH JADWAL"
OCR_BAR_MS = 1500.0


DictCache = MemoryCache  # the in-memory DocumentCache that classify --json uses


def median_ms(fn, runs: int) -> float:
    fn()  # warm-up: imports, tesseract's first load
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def case(name: str, data: bytes, limits: LimitsConfig, cache: DictCache | None = None):
    """A callable extracting a fresh Attachment each time (its sha256 is cached per object)."""

    def run() -> None:
        docs = extract_one(Attachment(name, "application/octet-stream", data), limits, cache)
        if docs[0].error:
            raise SystemExit(f"{name}: {docs[0].error}: {docs[0].detail}")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    limits = LimitsConfig()
    fields = docgen.SAMPLE_FIELDS
    text_pdf = docgen.text_pdf(TITLE, fields)
    cache = DictCache()
    extract_one(Attachment("f.pdf", "application/pdf", text_pdf), limits, cache)
    rows = [
        ("text PDF, 1 page", case("f.pdf", text_pdf, limits), args.runs * 5),
        ("DOCX form with table", case("f.docx", docgen.docx_file(TITLE, fields), limits), args.runs * 5),
        ("scanned 1-page form, OCR", case("s.pdf", docgen.scanned_pdf(TITLE, fields, noise=True), limits), args.runs),
        ("scanned, rotated 2.5 deg", case("s.pdf", docgen.scanned_pdf(TITLE, fields, rotate=2.5, noise=True), limits), args.runs),
        ("scanned, rotated 90 deg (OSD)", case("s.pdf", docgen.scanned_pdf(TITLE, fields, rotate=90), limits), args.runs),
        ("phone photo JPG 3000 px, EXIF", case("p.jpg", docgen.photo_jpg(TITLE, fields), limits), args.runs),
        ("cached lookup (text PDF)", case("f.pdf", text_pdf, limits, cache), args.runs * 20),
    ]
    print(f"documents stage, median of N runs after 1 warm-up, one core (OMP_THREAD_LIMIT="
          f"{os.environ['OMP_THREAD_LIMIT']})")
    results = {}
    for label, fn, runs in rows:
        ms = median_ms(fn, runs)
        results[label] = ms
        print(f"  {label:34} {ms:10.2f} ms   (N={runs})")
    ocr = results["scanned 1-page form, OCR"]
    print(f"  scanned form vs bar {OCR_BAR_MS:.0f} ms: {'OK' if ocr <= OCR_BAR_MS else 'OVER'} "
          f"({ocr / OCR_BAR_MS:.2f} of the bar); OCR / text PDF = "
          f"{ocr / results['text PDF, 1 page']:.0f}x; text PDF / cached = "
          f"{results['text PDF, 1 page'] / results['cached lookup (text PDF)']:.0f}x")


if __name__ == "__main__":
    main()

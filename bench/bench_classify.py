"""Classification speed per mail, in process, on one core (the issue's targets in brackets).

    python3 bench/bench_classify.py

- a request with a one-page text PDF: parse, screen, extract, classify  [<= 10 ms median]
- the same with a scanned one-page form (OCR)                           [<= 1.5 s]
- re-classifying a mail whose attachments are cached                    [<= 2 ms]
  (for the text-PDF request; the scanned mail is printed too: parsing its larger MIME dominates)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from docgen import SAMPLE_FIELDS, scanned_pdf, text_pdf  # noqa: E402
from mails import request_mail  # noqa: E402

from helpdesk_bot.config import embedded_default  # noqa: E402
from helpdesk_bot.offline import MemoryCache, analyse  # noqa: E402
from helpdesk_bot.reload import load_for  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    config = embedded_default()
    rules = load_for(config)
    text_mail = request_mail("Mohon ubah jadwal", attachments=[("formulir.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))]).as_bytes()
    scan_mail = request_mail("Mohon ubah jadwal", attachments=[("scan0001.pdf", scanned_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS, rotate=1.5, noise=True))]).as_bytes()

    def check(raw: bytes, cache=None) -> None:
        a = analyse(raw, config, rules, cache)
        assert a.result is not None and a.result.request_type == "ubah_jadwal" and not a.result.missing, a.result

    check(text_mail)  # warm-up: imports, first PDFium load
    text_ms = median_ms(lambda: check(text_mail), 50)
    scan_ms = median_ms(lambda: check(scan_mail), 5)
    cache = MemoryCache()
    check(text_mail, cache)
    check(scan_mail, cache)
    cached_text_ms = median_ms(lambda: check(text_mail, cache), 50)
    cached_scan_ms = median_ms(lambda: check(scan_mail, cache), 50)
    print(f"text-PDF request, classified:        {text_ms:8.2f} ms median  (target <= 10 ms)")
    print(f"scanned one-page form, classified:   {scan_ms:8.0f} ms median  (target <= 1500 ms)")
    print(f"cached text-PDF mail, re-classified: {cached_text_ms:8.2f} ms median  (target <= 2 ms)")
    print(f"cached scanned mail, re-classified:  {cached_scan_ms:8.2f} ms median  (parsing its {len(scan_mail) // 1024} KiB dominates)")


if __name__ == "__main__":
    main()

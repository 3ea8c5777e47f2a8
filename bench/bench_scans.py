#!/usr/bin/env python3
"""Scan backlog: 100 requests, each with its own scanned one-page form (OCR), drained by
``run --once`` with one worker process and with ``[workers] count`` workers (default: one per core).

Both runs use the embedded default (Maildir in, SQLite, replies written as .eml files) in a
fresh directory, in this process (the analyses run in the worker processes either way), and
check that every mail became an ubah_jadwal ticket with nothing missing. Each scan carries a
different Kode Tender, so the extraction cache does not help. Target: >= 1.8x faster with 2
workers than with 1 (on an otherwise idle 2-core machine).

    OMP_THREAD_LIMIT=1 python3 bench/bench_scans.py            # 100 mails, 1 worker vs one per core
    python3 bench/bench_scans.py -n 40 --workers 2
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one tesseract thread per worker: the pool is the parallelism
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from docgen import SAMPLE_FIELDS, scanned_pdf  # noqa: E402
from helpers import drop, maildir_config  # noqa: E402
from mails import request_mail  # noqa: E402

from helpdesk_bot.config import WorkersConfig  # noqa: E402
from helpdesk_bot.daemon import Daemon, open_store  # noqa: E402
from helpdesk_bot.logs import configure  # noqa: E402


def make_requests(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        fields = dict(SAMPLE_FIELDS, **{"Kode Tender": str(50_000_000 + i)})
        pdf = scanned_pdf("FORMULIR PERMINTAAN UBAH JADWAL", fields, rotate=1.0, noise=True)
        out.append(request_mail(f"Mohon ubah jadwal tender {50_000_000 + i}", attachments=[("scan0001.pdf", pdf)],
                                sender=f"Pokja {i} <pokja{i}@example.go.id>").as_bytes())
    return out


def drain(raws: list[bytes], workers: int) -> float:
    base = Path(tempfile.mkdtemp(prefix=f"bench-scans-{workers}-"))
    try:
        cfg = maildir_config(base)
        cfg = dataclasses.replace(cfg, workers=WorkersConfig(count=workers, timeout_seconds=300.0,
                                                             memory_mb=cfg.workers.memory_mb))
        for raw in raws:
            drop(cfg, raw)
        t0 = time.perf_counter()
        summary = Daemon(cfg).run_once()
        elapsed = time.perf_counter() - t0
        store = open_store(cfg)
        try:
            rows = store.tickets()
        finally:
            store.close()
        good = sum(1 for t in rows if t.request_type == "ubah_jadwal" and not t.missing)
        print(f"  {workers} worker(s): {elapsed:7.2f} s for {len(raws)} mails ({elapsed / len(raws):.2f} s/mail); "
              f"{summary.counts}, {good} complete ubah_jadwal tickets")
        if summary.counts.get("ticket") != len(raws):
            raise SystemExit(f"expected {len(raws)} tickets, got {summary.counts} {summary.errors}")
        return elapsed
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100, help="scanned requests (default 100)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the pool size to compare with 1")
    args = ap.parse_args()
    configure("warning", "console")
    t = time.perf_counter()
    raws = make_requests(args.n)
    print(f"generated {args.n} scanned one-page requests in {time.perf_counter() - t:.1f} s "
          f"(median size {sorted(map(len, raws))[len(raws) // 2]} bytes); load average {os.getloadavg()[0]:.1f}")
    one = drain(raws, 1)
    many = drain(raws, args.workers)
    print(f"speed-up with {args.workers} workers: {one / many:.2f}x (target >= 1.8x with 2); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

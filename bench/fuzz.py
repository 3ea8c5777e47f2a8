"""Long fuzz run: mutated corpus and generated mail through parse, screen, documents, classify.

    python3 bench/fuzz.py [--cases 20000] [--seed 1] [--out /tmp/helpdesk-fuzz]

The same mutations as tests/test_fuzz.py (byte flips, truncation, header duplication, boundary
damage, line endings, broken base64; 1-3 per case), driven by a seeded random generator instead
of hypothesis so that a run goes on after a failure and reports all of them. Each failing input
is written to OUT/<n>.eml with its traceback in OUT/<n>.txt; replay one with
``helpdesk-bot classify --json OUT/<n>.eml``. Prints the case count, outcomes, failures and the
slowest case. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import fuzzing  # noqa: E402


def mutate(rng: random.Random, raw: bytes) -> bytes:
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "truncate", "dup", "boundary", "eol", "base64"])
        if kind == "flip":
            n = rng.randint(1, 16)
            raw = fuzzing.flip_bytes(raw, [rng.randrange(1 << 30) for _ in range(n)], [rng.randrange(256) for _ in range(n)])
        elif kind == "truncate":
            raw = fuzzing.truncate(raw, rng.random())
        elif kind == "dup":
            raw = fuzzing.duplicate_headers(raw, rng.randrange(1000), rng.randint(2, 50))
        elif kind == "boundary":
            raw = fuzzing.damage_boundary(raw, rng.randrange(4))
        elif kind == "eol":
            raw = fuzzing.line_endings(raw, rng.randrange(3))
        else:
            raw = fuzzing.damage_base64(raw, rng.randrange(1 << 20))
    return raw


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/helpdesk-fuzz")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    pool = fuzzing.seeds()
    rng = random.Random(args.seed)
    out = Path(args.out)
    outcomes: Counter[str] = Counter()
    failures = 0
    slowest = (0.0, -1)
    t0 = time.monotonic()
    for n in range(args.cases):
        raw = mutate(rng, pool[rng.randrange(len(pool))])
        start = time.monotonic()
        try:
            outcomes[fuzzing.check(raw)] += 1
        except Exception:
            failures += 1
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{n}.eml").write_bytes(raw)
            (out / f"{n}.txt").write_text(traceback.format_exc())
            print(f"case {n}: FAILED, see {out}/{n}.txt", file=sys.stderr)
        took = time.monotonic() - start
        if took > slowest[0]:
            slowest = (took, n)
        if (n + 1) % 1000 == 0:
            print(f"{n + 1} cases, {failures} failures, {time.monotonic() - t0:.0f} s", file=sys.stderr)
    total = time.monotonic() - t0
    print(f"seeds: {len(pool)}; cases: {args.cases}; outcomes: {dict(outcomes)}; failures: {failures}; "
          f"{total:.1f} s ({args.cases / total:.0f} cases/s); slowest case #{slowest[1]}: {slowest[0] * 1000:.0f} ms")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

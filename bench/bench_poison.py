"""Time and peak memory of each poison input of issue 10, in a child process each.

    python3 bench/bench_poison.py [--tree PATH] [--timeout SECONDS] [--only NAME]

``--tree`` runs the inputs against another source tree (e.g. an older commit unpacked with
``git archive COMMIT | tar -x -C /tmp/before``) to get the "before" figures; the inputs are
always built by this tree's tests/poison_inputs.py. A child that runs past ``--timeout`` is killed and
reported as such. Peak memory is the child's ru_maxrss (it includes the interpreter and the
imports, about 60-80 MB).
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import docgen  # noqa: E402
import poison_inputs as poison  # noqa: E402

OWN = b"helpdesk@lpse.jabarprov.go.id"


def _mail(headers: bytes) -> bytes:
    return headers + b"\r\n\r\nMohon bantuan.\r\n"


def inputs() -> dict[str, tuple[str, object]]:
    """name -> (what runs in the child, its input)."""
    form = docgen.text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", docgen.SAMPLE_FIELDS, pages=20)
    return {
        "subject_26_fw": ("screen", _mail(b"From: a@example.org\r\nTo: " + OWN + b"\r\nSubject: "
                                          + b"Fw: " * 26 + b"\r\n")),
        "from_160_kb": ("screen", _mail(b"From: " + b"a" * 160_000 + b"\r\nTo: " + OWN + b"\r\nSubject: x\r\n")),
        "pdf_bomb_3_gb": ("documents", [("bom.pdf", poison.pdf_bomb())]),
        "zip_33_entries_one_blob": ("documents", [("berkas.zip", poison.zip_shared_blob(form, entries=33))]),
        "five_zips_of_81_mb": ("documents", [(f"{i}.zip", poison.zip_of_spaces(90, 900 * 1024)) for i in range(5)]),
    }


CHILD = r"""
import pickle, resource, sys, time
kind, data = pickle.load(sys.stdin.buffer)
from helpdesk_bot.parse import parse
from helpdesk_bot.screen import ScreenContext, screen
from helpdesk_bot.config import LimitsConfig
from helpdesk_bot.documents import extract_all
from helpdesk_bot.envelope import Attachment
t = time.perf_counter()
if kind == "screen":
    env = parse(data)
    r = screen(env, ScreenContext(own_addresses=frozenset({"helpdesk@lpse.jabarprov.go.id"})))
    outcome = f"suppress={r.suppress} {r.rule}"
else:
    docs = extract_all([Attachment(n, "application/octet-stream", d) for n, d in data], LimitsConfig())
    errors = sorted({d.error or "ok" for d in docs})
    outcome = f"{len(docs)} documents: {', '.join(errors)}"
print(f"{time.perf_counter() - t:.2f}|{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}|{outcome}")
"""


def run(tree: Path, kind: str, data: object, timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryFile() as f:
        pickle.dump((kind, data), f)
        f.seek(0)
        start = time.perf_counter()
        try:
            out = subprocess.run([sys.executable, "-c", CHILD], stdin=f, capture_output=True, text=True,
                                 env=env, timeout=timeout, cwd=tree)
        except subprocess.TimeoutExpired:
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
            return f"killed after {timeout:.0f} s (peak of all children so far {peak} MB)"
    if out.returncode != 0:
        return f"crashed ({out.returncode}) after {time.perf_counter() - start:.1f} s: {out.stderr.strip()[-200:]}"
    seconds, peak, outcome = out.stdout.strip().splitlines()[-1].split("|", 2)
    return f"{seconds} s, peak {peak} MB, {outcome}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    print(f"tree: {args.tree}")
    for name, (kind, data) in inputs().items():
        if args.only and args.only not in name:
            continue
        print(f"{name:26} {run(args.tree.resolve(), kind, data, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()

"""Smoke test of the independent corpus generator (bench/indep_corpus.py): it runs and its labels hold.

The generator is a benchmark tool; this only guards that it keeps producing parseable mail with
labels that use DOMAIN.md's ids and agree with what each mail says it needs.
"""

from __future__ import annotations

import email
import importlib.util
import json
import sys
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _gen():
    spec = importlib.util.spec_from_file_location("indep_corpus", ROOT / "bench" / "indep_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["indep_corpus"] = mod   # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod


def test_generator_writes_parseable_mail_and_consistent_labels(tmp_path: Path) -> None:
    gen = _gen()
    gen.generate(tmp_path, 5, 3, ocr=False)
    labels = [json.loads(ln) for ln in (tmp_path / "labels.jsonl").read_text().splitlines()]
    assert len(labels) == 5
    again = tmp_path / "again"
    gen.generate(again, 5, 3, ocr=False)
    assert (again / "labels.jsonl").read_text() == (tmp_path / "labels.jsonl").read_text()
    for lab in labels:
        raw = (tmp_path / lab["file"]).read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert msg["Date"] is not None
        rt = lab["request_type"]
        assert rt is None or rt in gen.REQUIRED
        assert lab["suppress"] == (rt is None)
        if rt is not None and rt != "sub_agency":
            assert sorted(lab["missing"] + lab["documents"]) == sorted(set(gen.REQUIRED[rt]) | set(lab["documents"]))
        assert lab["kode_tender"] is None or lab["kode_tender"].isdigit()


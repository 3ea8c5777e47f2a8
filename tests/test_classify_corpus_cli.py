"""Acceptance (issue 5): `helpdesk-bot classify --json` over the whole third-party corpus.

One JSON line per file, and `suppress: true` for every file labelled bounce, autoreply or list.
Skips when ../shared/corpora (or $HELPDESK_CORPORA) is absent; nothing is copied into the repo.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_bot.cli import main

MACHINE_KINDS = ("bounce", "autoreply", "list")


def _corpora() -> Path | None:
    env = os.environ.get("HELPDESK_CORPORA")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return path if (path / "labels.tsv").is_file() else None


CORPORA = _corpora()
pytestmark = [pytest.mark.corpus, pytest.mark.skipif(CORPORA is None, reason="corpora not found (set HELPDESK_CORPORA)")]


def test_classify_json_suppresses_every_machine_mail(tmp_path, monkeypatch):
    assert CORPORA is not None
    monkeypatch.chdir(tmp_path)  # no config.toml here: the embedded default, no database touched
    lines = (CORPORA / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    labels = {c[0]: c[1] for c in (line.split("\t") for line in lines) if len(c) >= 2}
    paths = [str(CORPORA / p) for p in labels]
    result = CliRunner().invoke(main, ["classify", "--json", *paths])
    assert result.exit_code == 0, result.output[-2000:]
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["path"] for o in out] == paths  # one line per file, in order
    missed = [o["path"] for o in out
              if labels[os.path.relpath(o["path"], CORPORA)] in MACHINE_KINDS and o["suppress"] is not True]
    counts = Counter(labels[os.path.relpath(o["path"], CORPORA)] for o in out
                     if labels[os.path.relpath(o["path"], CORPORA)] in MACHINE_KINDS and o["suppress"] is True)
    print(f"suppressed: {dict(counts)}; errors: {sum(1 for o in out if o.get('error'))}")
    assert missed == []
    assert sum(counts.values()) == sum(1 for k in labels.values() if k in MACHINE_KINDS)
    assert not list(tmp_path.iterdir())  # classify wrote nothing

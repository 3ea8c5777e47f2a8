"""Screening against the third-party corpora: no reply to any bounce, auto-reply or list mail.

The corpora live outside the repository (../shared/corpora, or $HELPDESK_CORPORA); the tests
skip when they are absent. A ParseError counts as a quarantine, which also sends no reply,
so it is not a miss, but the count is reported.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import pytest

from helpdesk_bot.parse import ParseError, parse
from helpdesk_bot.screen import ScreenContext, screen

MACHINE_KINDS = ("bounce", "autoreply", "list")
CTX = ScreenContext(own_addresses=frozenset({"helpdesk@lpse.jabarprov.go.id", "info@lpse.jabarprov.go.id"}))


def _corpora() -> Path | None:
    """$HELPDESK_CORPORA when set (so it can also point nowhere), else ../shared/corpora."""
    env = os.environ.get("HELPDESK_CORPORA")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpora"
    return path if (path / "labels.tsv").is_file() else None


CORPORA = _corpora()
pytestmark = pytest.mark.skipif(CORPORA is None, reason="corpora not found (set HELPDESK_CORPORA)")


def _labels() -> list[tuple[str, str]]:
    assert CORPORA is not None
    lines = (CORPORA / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(cols[0], cols[1]) for cols in (line.split("\t") for line in lines) if len(cols) >= 2]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[str, str]]:
    """path -> (kind, outcome), outcome being "suppressed", "passed" or "parse_error"."""
    assert CORPORA is not None
    logging.disable(logging.CRITICAL)  # mail-parser logs every odd part
    try:
        result = {}
        for path, kind in _labels():
            raw = (CORPORA / path).read_bytes()
            try:
                env = parse(raw)
            except ParseError:
                result[path] = (kind, "parse_error")
                continue
            result[path] = (kind, "suppressed" if screen(env, CTX).suppress else "passed")
        return result
    finally:
        logging.disable(logging.NOTSET)


def _figures(outcomes: dict[str, tuple[str, str]]) -> str:
    counts = Counter(outcomes.values())
    kinds = sorted({k for k, _ in outcomes.values()})
    rows = []
    for kind in kinds:
        total = sum(v for (k, _), v in counts.items() if k == kind)
        rows.append(f"{kind}: {total} files, {counts[(kind, 'suppressed')]} suppressed, "
                    f"{counts[(kind, 'passed')]} passed, {counts[(kind, 'parse_error')]} parse errors")
    return "\n".join(rows)


def test_every_machine_mail_is_suppressed(outcomes: dict[str, tuple[str, str]]) -> None:
    misses = sorted(f"{kind}\t{path}" for path, (kind, out) in outcomes.items()
                    if kind in MACHINE_KINDS and out == "passed")
    print("\n" + _figures(outcomes))
    assert not misses, f"{len(misses)} machine mails would be answered:\n" + "\n".join(misses)


def test_ordinary_mail_mostly_passes(outcomes: dict[str, tuple[str, str]]) -> None:
    ordinary = [out for kind, out in outcomes.values() if kind == "ordinary"]
    passed = ordinary.count("passed")
    print(f"\nordinary: {passed} of {len(ordinary)} not suppressed")
    assert ordinary and passed >= 0.75 * len(ordinary)


def test_every_file_parses_or_raises_parse_error() -> None:
    """No other exception escapes parse + screen, whatever the bytes."""
    assert CORPORA is not None
    logging.disable(logging.CRITICAL)
    failures = []
    try:
        for path, _ in _labels():
            try:
                env = parse((CORPORA / path).read_bytes())
            except ParseError:
                continue
            except Exception as e:  # noqa: BLE001 - that is the point of the test
                failures.append(f"parse {path}: {type(e).__name__}: {e}")
                continue
            try:
                result = screen(env, CTX)
            except Exception as e:  # noqa: BLE001
                failures.append(f"screen {path}: {type(e).__name__}: {e}")
                continue
            if any("rule failed" in reason for _, reason in result.hits):
                failures.append(f"rule error {path}: {result.hits}")
    finally:
        logging.disable(logging.NOTSET)
    assert not failures, "\n".join(failures)

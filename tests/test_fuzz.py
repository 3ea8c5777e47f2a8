"""A bounded fuzz run: mutated corpus and generated mail through parse, screen, documents, classify.

200 examples here (about 10-30 s); `python3 bench/fuzz.py --examples 20000` is the long run.
"""

from __future__ import annotations

from collections import Counter

from fuzzing import check, mutated_mail, seeds
from hypothesis import HealthCheck, given, settings

OUTCOMES: Counter[str] = Counter()
SEEDS = seeds()  # generated outside the strategy (docgen uses a seeded random)


@settings(max_examples=200, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_mail())
def test_mutated_mail_never_crashes_a_stage(raw: bytes) -> None:
    OUTCOMES[check(raw)] += 1


def test_seeds_themselves_pass() -> None:
    for raw in SEEDS[:50]:
        check(raw)

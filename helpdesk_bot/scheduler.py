"""Scheduled work: what is due is read from the tickets database on each tick.

Due times live in the database (reminders, digests, outbox retries), never in pickled jobs, so
every action is idempotent across restarts: a tick after a crash finds the same rows due and
does the same thing once.
"""

from __future__ import annotations

from collections.abc import Callable

from .config import Config
from .office_hours import OfficeCalendar
from .ruleset import RuleSet
from .tickets import Store

#: Seconds between ticks of the daemon's clock.
TICK_SECONDS = 30.0


class Jobs:
    def __init__(self, config: Config, store: Store, rules: Callable[[], RuleSet], calendar: OfficeCalendar):
        self.config = config
        self.store = store
        self.rules = rules
        self.calendar = calendar

    def tick(self) -> bool:
        """Run whatever is due now; return True when mail was queued."""
        return False

"""The tickets database: tickets, the mail ledger, the audit trail, the outbox, the quarantine
and the extraction cache, in one SQLite file through sqlite-utils.

Every SQL statement and migration of the project lives in this package, one module per area
(``schema`` the tables and migrations, ``ledger``, ``tickets``, ``outbox``, ``quarantine``,
``cache``, ``outages``, ``reports``, ``evaluation``); ``Store`` is all the areas on one
connection. Everything else calls named methods with typed parameters and never writes SQL or
names a table (tests/test_store_owns_sql.py checks it).

One write transaction holds everything a mail causes (its ledger row, the ticket change, the
events and the replies in the outbox), so a crash at any point leaves either all of it or none
of it. The mailbox is acknowledged only after that commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import StoreBase
from .cache import DocCacheReader, DocCacheStore
from .evaluation import EvalStore
from .ledger import LedgerStore
from .outages import StaffRecordStore
from .outbox import OutboxStore
from .quarantine import QuarantineStore
from .records import CLOSED_STATUSES, OPEN_STATUSES, STATUSES, Clock, Ticket, iso, parse_iso, utcnow
from .reports import DatabaseFigures, ReportStore, read_figures
from .schema import MIGRATIONS, DatabaseState, inspect_database
from .tickets import TicketSearch, TicketStore

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config


class Store(LedgerStore, TicketStore, OutboxStore, QuarantineStore, DocCacheStore, StaffRecordStore, ReportStore,
            StoreBase):
    """The whole database on one connection; use one Store per thread (SQLite in WAL mode
    serialises writers)."""


def open_store(config: Config, clock: Clock | None = None) -> Store:
    """The configured database (``[storage] database``, relative to the config file)."""
    path = config.resolve(config.storage.database)
    return Store(path, clock=clock) if clock else Store(path)


__all__ = ["CLOSED_STATUSES", "MIGRATIONS", "OPEN_STATUSES", "STATUSES", "Clock", "DatabaseFigures", "DatabaseState",
           "DocCacheReader", "EvalStore", "Store", "Ticket", "TicketSearch", "inspect_database", "iso", "open_store",
           "parse_iso", "read_figures", "utcnow"]

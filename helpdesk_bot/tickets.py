"""Kept for imports written before the store became a package: everything is in
``helpdesk_bot.store`` (one module per area; see its docstring)."""

from __future__ import annotations

from .store import (  # noqa: F401
    CLOSED_STATUSES, MIGRATIONS, OPEN_STATUSES, STATUSES, Clock, DatabaseState, DocCacheReader, Store, Ticket,
    inspect_database, iso, open_store, parse_iso, utcnow,
)

__all__ = ["CLOSED_STATUSES", "MIGRATIONS", "OPEN_STATUSES", "STATUSES", "Clock", "DatabaseState", "DocCacheReader",
           "Store", "Ticket", "inspect_database", "iso", "open_store", "parse_iso", "utcnow"]

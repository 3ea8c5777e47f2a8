"""Read-only questions staff ask of the database: find tickets, export them, see what is stuck.

The CLI stays thin: it turns options into a :class:`TicketFilter` and prints what comes back.
This module checks the filter and turns it into the store's ``TicketSearch``; the store
(``store/tickets.py``) puts every value a user types into the SQL as a parameter (LIKE patterns
escaped), so a search for ``50%_diskon`` finds that text and nothing else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .store import OPEN_STATUSES, STATUSES, Store, Ticket, TicketSearch

#: ``--status open`` stands for every status staff still have to act on.
STATUS_ALIASES = {"open": OPEN_STATUSES, "closed": ("selesai", "ditolak")}

#: Ticket fields that name the requester's organisation (forms differ in what they call it).
AGENCY_FIELDS = ("satuan_kerja", "instansi", "agency", "nama_instansi", "pemerintah_daerah")

CSV_COLUMNS = ("id", "created_at", "status", "request_type", "requester", "requester_name", "mailbox", "subject",
               "kode_tender", "satuan_kerja", "missing", "urgent", "due_at", "closed_at", "assignee")


class QueryError(ValueError):
    """A filter value that cannot match anything (an unknown status or type); ``option`` names it."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    requester: str | None = None
    agency: str | None = None
    tender: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    search: str | None = None
    timezone: str = "Asia/Jakarta"
    #: Request type ids the rules know; with the ids already in the database, what --type accepts.
    known_types: tuple[str, ...] = ()


def _day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tz))


def expand_statuses(statuses: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for s in statuses:
        s = s.strip().lower()
        if s in STATUS_ALIASES:
            out.extend(STATUS_ALIASES[s])
        elif s in STATUSES:
            out.append(s)
        else:
            raise QueryError("--status", f"unknown status {s!r}; expected one of {', '.join(STATUSES)}, "
                                         f"or {' / '.join(STATUS_ALIASES)}")
    return tuple(dict.fromkeys(out))


def _check_types(store: Store, wanted: TicketFilter) -> None:
    if not wanted.types:
        return
    known = set(wanted.known_types) | store.request_types_in_use()
    for t in wanted.types:
        if t not in known:
            raise QueryError("--type", f"unknown request type {t!r}; expected one of {', '.join(sorted(known))}")


def ticket_search(store: Store, wanted: TicketFilter) -> TicketSearch:
    """``wanted`` checked (statuses and types known) and turned into the store's search: days
    become the office's midnights, ``--until`` inclusive."""
    statuses = expand_statuses(wanted.statuses)
    _check_types(store, wanted)
    return TicketSearch(
        statuses=statuses, types=wanted.types, requester=wanted.requester,
        agency=wanted.agency, agency_fields=AGENCY_FIELDS, tender=wanted.tender,
        created_from=_day_start(wanted.since, wanted.timezone) if wanted.since else None,
        created_before=_day_start(wanted.until + dt.timedelta(days=1), wanted.timezone) if wanted.until else None,
        text=wanted.search)


def search_tickets(store: Store, wanted: TicketFilter) -> list[Ticket]:
    return store.search_tickets(ticket_search(store, wanted))


def assignees(store: Store, ticket_ids: list[str] | None = None) -> dict[str, str]:
    """Ticket id -> the staff member it is assigned to now (the latest ``assigned`` event)."""
    out: dict[str, str] = {}
    for ticket_id, who in store.assignments():
        if ticket_ids is None or ticket_id in ticket_ids:
            out[ticket_id] = who
    return {k: v for k, v in out.items() if v}


def local_time(when: dt.datetime | None, tz: str) -> str:
    """``2026-11-30 09:15 WIB``: staff read local time, as the replies do."""
    if when is None:
        return ""
    from .office_hours import _zone_label

    local = when.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {_zone_label(local, tz)}"


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: mail text starting with = + - @ is quoted as text.

    NUL is dropped: many CSV readers stop at it (a mail's text must not cut the export short)."""
    text = "" if value is None else str(value).replace("\x00", "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(tickets: list[Ticket], tz: str, assigned: dict[str, str] | None = None) -> str:
    assigned = assigned or {}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for t in tickets:
        writer.writerow([_cell(v) for v in (
            t.id, local_time(t.created_at, tz), t.status, t.request_type, t.requester, t.requester_name, t.mailbox,
            t.subject, t.fields.get("kode_tender", ""), t.fields.get("satuan_kerja", ""), ";".join(t.missing),
            int(t.urgent), local_time(t.due_at, tz), local_time(t.closed_at, tz), assigned.get(t.id, ""))])
    return buf.getvalue()


def undelivered(store: Store, limit: int = 10) -> list[str]:
    """The newest replies waiting for a retry or given up, with their last error."""
    rows = store.retrying_outbox(limit)
    return [f"outbox #{r['id']} ({r['ticket_id'] or '-'}) to {', '.join(json.loads(r['recipients']))}: {r['status']} "
            f"after {r['attempts']} attempt(s): {r['last_error']}" for r in rows]


__all__ = ["QueryError", "TicketFilter", "assignees", "csv_text", "expand_statuses", "local_time",
           "search_tickets", "ticket_search", "undelivered"]

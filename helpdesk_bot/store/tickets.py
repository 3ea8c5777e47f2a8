"""Tickets, the Message-IDs that thread into them, and their audit trail (``events``).

Every selection of tickets another module needs is a named method here (the digest's sections,
the report's month, a staff search, a requester's earlier tickets), so the SQL that decides
which tickets a staff member sees is in one file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from .base import StoreBase
from .records import CLOSED_STATUSES, Ticket, encode, iso, parse_iso

#: The default order of a ticket list: urgent first, then oldest first.
DEFAULT_ORDER = "urgent DESC, created_at"


@dataclass(frozen=True)
class TicketSearch:
    """A staff search (``tickets list``), already validated: every given filter must match.

    Text values are matched anywhere, case-insensitively (LIKE, with % and _ taken literally);
    ``tender`` exactly; ``created_from``/``created_before`` bound ``created_at`` (half-open).
    """

    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    requester: str | None = None
    #: Matched in these form fields and in the requester's mail domain.
    agency: str | None = None
    agency_fields: tuple[str, ...] = ()
    tender: str | None = None
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None
    #: Subject, form field values, requester, the requester's own text, the audit trail's text.
    text: str | None = None


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _marks(values: tuple[Any, ...] | list[Any]) -> str:
    return ",".join("?" * len(values))


class TicketStore(StoreBase):
    def _select(self, where: str, params: tuple[Any, ...] = (), order: str = DEFAULT_ORDER) -> list[Ticket]:
        return [Ticket.from_row(r) for r in self.query(f"SELECT * FROM tickets WHERE {where} ORDER BY {order}", params)]

    # -- one ticket -----------------------------------------------------------------------------

    def next_ticket_id(self, prefix: str, when: dt.datetime) -> tuple[str, int, int]:
        year = when.year
        row = self.one("SELECT MAX(seq) AS s FROM tickets WHERE year = ?", (year,))
        seq = int(row["s"] or 0) + 1 if row else 1
        return f"{prefix}-{year}-{seq:05d}", year, seq

    def create_ticket(self, prefix: str, **values: Any) -> str:
        now = self.now()
        ticket_id, year, seq = self.next_ticket_id(prefix, now)
        row = {"id": ticket_id, "year": year, "seq": seq, "created_at": iso(now), "updated_at": iso(now)}
        row.update(encode(values))
        self.insert("tickets", row)
        return ticket_id

    def update_ticket(self, ticket_id: str, **values: Any) -> None:
        values["updated_at"] = self.now()
        self.update("tickets", ticket_id, encode(values))

    def ticket(self, ticket_id: str) -> Ticket | None:
        row = self.one("SELECT * FROM tickets WHERE id = ?", (ticket_id.upper(),))
        return Ticket.from_row(row) if row else None

    # -- lists of tickets ---------------------------------------------------------------------

    def tickets(self) -> list[Ticket]:
        """Every ticket, urgent first, then oldest first."""
        return self._select("1")

    def tickets_created_in(self, start: dt.datetime, end: dt.datetime) -> list[Ticket]:
        """Tickets created in [start, end) (a report's month), oldest first."""
        return self._select("created_at >= ? AND created_at < ?", (iso(start), iso(end)), "created_at")

    def open_tickets_created(self, since: dt.datetime, until: dt.datetime) -> list[Ticket]:
        """Tickets created in [since, until] and not closed yet."""
        return self._select(f"created_at >= ? AND created_at <= ? AND status NOT IN ({_marks(CLOSED_STATUSES)})",
                            (iso(since), iso(until), *CLOSED_STATUSES))

    def tickets_overdue(self, now: dt.datetime, statuses: tuple[str, ...]) -> list[Ticket]:
        """Tickets in ``statuses`` whose due time is before ``now``, most overdue first (urgent before)."""
        return self._select(f"status IN ({_marks(statuses)}) AND due_at IS NOT NULL AND due_at < ?",
                            (*statuses, iso(now)), "urgent DESC, due_at")

    def tickets_needing_staff(self) -> list[Ticket]:
        """Open tickets that say why staff must look (``needs_staff``)."""
        return self._select(f"needs_staff IS NOT NULL AND needs_staff != '' AND status NOT IN ({_marks(CLOSED_STATUSES)})",
                            CLOSED_STATUSES)

    def tickets_in_status(self, statuses: tuple[str, ...], by_due: bool = False) -> list[Ticket]:
        """Tickets in one of ``statuses``; ``by_due``: the earliest due first (no due time last)."""
        order = "urgent DESC, due_at IS NULL, due_at, created_at" if by_due else DEFAULT_ORDER
        return self._select(f"status IN ({_marks(statuses)})", statuses, order)

    def open_tickets_at_onboarding_step(self, step: str) -> list[Ticket]:
        return self._select(f"onboarding = ? AND status NOT IN ({_marks(CLOSED_STATUSES)})", (step, *CLOSED_STATUSES))

    def done_unconfirmed(self, request_types: tuple[str, ...]) -> list[Ticket]:
        """Done tickets of ``request_types`` whose password the requester has not confirmed
        (those staff must follow up first: reminders stopped), then by closing time."""
        if not request_types:
            return []
        return self._select(f"status = 'selesai' AND password_confirmed_at IS NULL AND request_type IN "
                            f"({_marks(request_types)})", request_types, "needs_staff IS NULL, closed_at")

    def tickets_closed_since(self, since: dt.datetime) -> list[Ticket]:
        return self._select(f"status IN ({_marks(CLOSED_STATUSES)}) AND closed_at >= ?",
                            (*CLOSED_STATUSES, iso(since)), "closed_at")

    def requester_tickets(self, address: str, excluding_type: str = "") -> list[Ticket]:
        """The tickets of one requester address (case-insensitive), newest first."""
        return self._select("lower(requester) = ? AND request_type != ?", (address.lower(), excluding_type),
                            "created_at DESC")

    def search_tickets(self, s: TicketSearch) -> list[Ticket]:
        """Tickets matching every filter of ``s``; every value the user typed is a parameter."""
        parts: list[str] = []
        params: list[Any] = []
        if s.statuses:
            parts.append(f"status IN ({_marks(s.statuses)})")
            params += s.statuses
        if s.types:
            parts.append(f"request_type IN ({_marks(s.types)})")
            params += s.types
        if s.requester:
            parts.append("(requester LIKE ? ESCAPE '\\' OR requester_name LIKE ? ESCAPE '\\')")
            params += [_like(s.requester)] * 2
        if s.agency:
            fields = " OR ".join(f"json_extract(fields, '$.{f}') LIKE ? ESCAPE '\\'" for f in s.agency_fields
                                 if f.isidentifier())
            either = f"{fields} OR " if fields else ""
            parts.append(f"({either}substr(requester, instr(requester, '@') + 1) LIKE ? ESCAPE '\\')")
            params += [_like(s.agency)] * (fields.count("?") + 1)
        if s.tender:
            parts.append("json_extract(fields, '$.kode_tender') = ?")
            params.append(s.tender.strip())
        if s.created_from:
            parts.append("created_at >= ?")
            params.append(iso(s.created_from))
        if s.created_before:
            parts.append("created_at < ?")
            params.append(iso(s.created_before))
        if s.text:
            # Field values only: the JSON's keys ("kode_tender") are not the requester's text.
            parts.append("(subject LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_each(tickets.fields) f "
                         "WHERE f.value LIKE ? ESCAPE '\\') OR requester LIKE ? ESCAPE '\\' "
                         "OR requester_name LIKE ? ESCAPE '\\' OR requester_text LIKE ? ESCAPE '\\' "
                         "OR id IN (SELECT ticket_id FROM events "
                         "WHERE ticket_id IS NOT NULL AND json_extract(detail, '$.text') LIKE ? ESCAPE '\\'))")
            params += [_like(s.text)] * 6
        return self._select(" AND ".join(parts) or "1", tuple(params))

    def request_types_in_use(self) -> set[str]:
        """Every request type id some ticket has (a type removed from the rules still counts)."""
        return {r["t"] for r in self.query("SELECT DISTINCT request_type AS t FROM tickets")}

    def first_ticket_at(self) -> dt.datetime | None:
        row = self.one("SELECT MIN(created_at) AS t FROM tickets")
        return parse_iso(row["t"]) if row else None

    # -- the scheduler's questions -------------------------------------------------------------

    def reminders_due(self, now: dt.datetime) -> list[str]:
        """Done tickets whose password reminder is due and not yet confirmed, oldest first."""
        rows = self.query("SELECT id FROM tickets WHERE status = 'selesai' AND password_confirmed_at IS NULL "
                          "AND next_reminder_at IS NOT NULL AND next_reminder_at <= ? ORDER BY next_reminder_at",
                          (iso(now),))
        return [r["id"] for r in rows]

    def overdue_unrecorded(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Open tickets past their due time with no ``overdue`` event for that due time yet."""
        return self.query(
            "SELECT id, due_at FROM tickets WHERE status IN ('baru', 'antre', 'diproses') AND due_at IS NOT NULL "
            "AND due_at <= ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = tickets.id "
            "AND e.kind = 'overdue' AND json_extract(e.detail, '$.due_at') = tickets.due_at)", (iso(now),))

    def open_outage_reports(self, outage_id: int) -> list[str]:
        """Ids of the tickets linked to an outage that are still open."""
        return [r["id"] for r in self.query("SELECT id FROM tickets WHERE outage_id = ? AND status NOT IN "
                                            "('selesai', 'ditolak') ORDER BY urgent DESC, created_at", (outage_id,))]

    # -- retention ----------------------------------------------------------------------------

    def closed_unpurged(self, closed_before: dt.datetime) -> list[str]:
        """Tickets closed at or before ``closed_before`` whose data was not purged since they
        closed (a reopened and closed again ticket is due again), oldest closing first."""
        rows = self.query(
            f"SELECT id FROM tickets WHERE status IN ({_marks(CLOSED_STATUSES)}) AND closed_at IS NOT NULL "
            "AND closed_at <= ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = tickets.id "
            "AND e.kind = 'retention_purged' AND e.at >= tickets.closed_at) ORDER BY closed_at",
            (*CLOSED_STATUSES, iso(closed_before)))
        return [r["id"] for r in rows]

    def tickets_kept_after(self, closed_before: dt.datetime) -> list[str]:
        """Every ticket still within retention: open, or closed after ``closed_before``."""
        return [r["id"] for r in self.query(
            f"SELECT id FROM tickets WHERE NOT (status IN ({_marks(CLOSED_STATUSES)}) AND closed_at IS NOT NULL "
            "AND closed_at <= ?)", (*CLOSED_STATUSES, iso(closed_before)))]

    # -- threading ----------------------------------------------------------------------------

    def link_message_id(self, message_id: str, ticket_id: str) -> None:
        if message_id:
            self.insert("thread_ids", {"message_id": message_id, "ticket_id": ticket_id}, replace=True)

    def ticket_for_message_ids(self, ids: list[str]) -> str | None:
        ids = [i for i in ids if i]
        if not ids:
            return None
        rows = self.query(f"SELECT message_id, ticket_id FROM thread_ids WHERE message_id IN ({_marks(ids)})", tuple(ids))
        found = {r["message_id"]: r["ticket_id"] for r in rows}
        # The nearest ancestor wins: a thread can pass through several tickets.
        return next((found[i] for i in ids if i in found), None)

    # -- the audit trail ----------------------------------------------------------------------

    def add_event(self, ticket_id: str | None, kind: str, actor: str = "system", **detail: Any) -> None:
        """Record an event; every text in it passes through ``redact`` (staff read events)."""
        from ..redact import redact_texts

        self.insert("events", {"ticket_id": ticket_id, "at": iso(self.now()), "kind": kind, "actor": actor,
                               "detail": json.dumps(redact_texts(detail), ensure_ascii=False, default=str)})

    def events_since(self, kinds: tuple[str, ...], since: dt.datetime) -> list[dict[str, Any]]:
        """Events of the given kinds (any ticket or none) since ``since``, in order."""
        marks = ", ".join("?" * len(kinds))
        return self.query(f"SELECT * FROM events WHERE kind IN ({marks}) AND at >= ? ORDER BY id", (*kinds, iso(since)))

    def events(self, ticket_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,))

    def quarantine_events(self, quarantine_id: int) -> list[dict[str, Any]]:
        """The events that name a quarantine entry (quarantined, resolved, dismissed), in order."""
        return self.query("SELECT * FROM events WHERE kind IN ('quarantined', 'quarantine_resolved', "
                          "'quarantine_dismissed') AND json_extract(detail, '$.quarantine_id') = ? ORDER BY id",
                          (quarantine_id,))

    def current_assignee(self, ticket_id: str) -> str:
        """Who the last ``assigned`` event names ("" when nobody or unassigned)."""
        row = self.one("SELECT json_extract(detail, '$.assignee') AS who FROM events WHERE ticket_id = ? "
                       "AND kind = 'assigned' ORDER BY id DESC LIMIT 1", (ticket_id,))
        return (row["who"] or "") if row else ""

    def assignments(self) -> list[tuple[str, str]]:
        """(ticket id, assignee or "") of every ``assigned`` event, oldest first (the last one counts)."""
        return [(r["ticket_id"], r["who"] or "") for r in self.query(
            "SELECT ticket_id, json_extract(detail, '$.assignee') AS who FROM events WHERE kind = 'assigned' ORDER BY id")]

    def attachment_digests(self, ticket_ids: list[str]) -> set[str]:
        """SHA-256 of every attachment and extracted document the tickets stored
        (``attachments_stored`` events), which is how retention finds their cache rows."""
        out: set[str] = set()
        for i in range(0, len(ticket_ids), 500):
            chunk = ticket_ids[i:i + 500]
            rows = self.query(f"SELECT detail FROM events WHERE kind = 'attachments_stored' AND ticket_id IN "
                              f"({_marks(chunk)})", tuple(chunk))
            for r in rows:
                out.update(json.loads(r["detail"] or "{}").get("sha256") or [])
        return out

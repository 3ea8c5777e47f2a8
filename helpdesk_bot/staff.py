"""Staff tools beyond the four mail commands: internal notes, assignment, reopening.

These are the things a Zammad/osTicket/FreeScout team expects. None of them mails the
requester except ``reopen`` (which tells the requester the request is being processed again,
unless staff ask for quiet); an internal note is an event only, and no template ever reads it.
Assignment is an event too (``assigned``): the latest one says who holds the ticket, and the
audit trail keeps every hand-over.

Like ``workflow.act``, call these inside ``store.transaction()`` so the change and its event
(and a notice in the outbox) commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from .redact import redact
from .store import Store, Ticket

if TYPE_CHECKING:  # pragma: no cover
    from .reply_service import ReplyService

log = structlog.get_logger("helpdesk_bot.staff")

#: Statuses a ticket can be reopened from.
CLOSED = ("selesai", "ditolak")
#: Where a reopened ticket goes: staff are working on it again.
REOPENED_STATUS = "diproses"
MAX_NOTE = 4000


class StaffError(Exception):
    """A staff tool cannot be used on this ticket (unknown id, wrong status, empty text)."""


@dataclass
class StaffResult:
    ticket_id: str
    old_status: str
    new_status: str
    replies: list[str] = field(default_factory=list)


def _ticket(store: Store, ticket_id: str) -> Ticket:
    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise StaffError(f"no ticket {ticket_id}")
    return ticket


def note(store: Store, ticket_id: str, actor: str, text: str) -> StaffResult:
    """An internal note: kept in the audit trail for staff, never sent to anyone."""
    ticket = _ticket(store, ticket_id)
    if not text.strip():
        raise StaffError("an internal note needs text (--text)")
    store.add_event(ticket.id, "internal_note", actor=actor, text=redact(text)[:MAX_NOTE])
    log.info("ticket_internal_note", ticket=ticket.id, actor=actor)
    return StaffResult(ticket.id, ticket.status, ticket.status)


def assign(store: Store, ticket_id: str, actor: str, assignee: str) -> StaffResult:
    """Give the ticket to a staff member ("" takes it back from whoever had it)."""
    ticket = _ticket(store, ticket_id)
    previous = current_assignee(store, ticket.id)
    store.add_event(ticket.id, "assigned", actor=actor, assignee=assignee.strip(), previous=previous)
    log.info("ticket_assigned", ticket=ticket.id, actor=actor, assignee=assignee.strip(), previous=previous)
    return StaffResult(ticket.id, ticket.status, ticket.status)


def current_assignee(store: Store, ticket_id: str) -> str:
    return store.current_assignee(ticket_id)


def reopen(store: Store, replies: ReplyService, ticket_id: str, actor: str, text: str = "",
           notify: bool = True) -> StaffResult:
    """A closed ticket back to ``diproses``, with a fresh due time from now in working hours.

    The old due time lies in the past; keeping it would mark the ticket overdue at once. Password
    reminders of a finished change stop (they restart when it is finished again).
    """
    from .promises import schedule
    from .workflow import send_notice

    ticket = _ticket(store, ticket_id)
    if ticket.status not in CLOSED:
        raise StaffError(f"ticket {ticket.id} is {ticket.status}, not closed (selesai or ditolak); nothing to reopen")
    rt = replies.rules.types.get(ticket.request_type, replies.rules.fallback)
    start, due, _when = schedule(replies.calendar, rt, store.now(), replies.config.helpdesk.timezone)
    store.update_ticket(ticket.id, status=REOPENED_STATUS, closed_at=None, start_at=start, due_at=due,
                        next_reminder_at=None)
    safe_text = redact(text)
    store.add_event(ticket.id, "status_changed", actor=actor, via="cli", action="reopen", old=ticket.status,
                    new=REOPENED_STATUS, text=safe_text[:500])
    updated = _ticket(store, ticket.id)
    if notify:
        sent = send_notice(replies, updated, rt, "proses", safe_text, [])
    else:
        sent = replies.withhold(ticket.id, "staff chose no notice (--quiet)", actor=actor)
    log.info("ticket_reopened", ticket=ticket.id, actor=actor, old=ticket.status, replies=len(sent))
    return StaffResult(ticket.id, ticket.status, REOPENED_STATUS, sent)


__all__ = ["StaffError", "StaffResult", "assign", "current_assignee", "note", "reopen"]

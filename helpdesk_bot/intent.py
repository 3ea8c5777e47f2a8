"""What a mail that is not a new request asks for: the status of an earlier one.

A status question ("apakah permohonan ubah jadwal kami kemarin sudah diproses?") opens no
ticket: it is linked to the ticket it asks about (the thread, a ticket id, a tender code, or
the sender's open tickets) and answered with that ticket's state. Only the requester learns a
ticket's state (the pipeline's ``is_requester``, trust's access check): a question from anyone else is not linked (it becomes a ``status`` ticket that
staff answer), so a ticket's data never goes to a stranger. The classification itself
(classify.py, rules/status.toml) decides *that* a mail is a status question; this module only
finds the ticket and builds the answer's context.
"""

from __future__ import annotations

from typing import Any

from .classify import TICKET_ID, Classification
from .envelope import Envelope
from .office_hours import format_datetime_id
from .ruleset import RuleSet
from .store import Store, Ticket

#: A ticket's state as the requester reads it.
STATE_TEXT = {
    "baru": "telah kami terima dan sedang ditelaah oleh petugas helpdesk",
    "menunggu_kelengkapan": "menunggu kelengkapan dokumen dari Bapak/Ibu",
    "antre": "telah lengkap dan berada dalam antrean untuk diproses",
    "diproses": "sedang diproses oleh petugas helpdesk",
    "selesai": "telah selesai diproses",
    "ditolak": "tidak dapat kami proses (ditolak); alasan telah kami sampaikan melalui email sebelumnya",
}
OPEN = ("baru", "menunggu_kelengkapan", "antre", "diproses")


def asked_ticket(store: Store, env: Envelope, result: Classification, threaded: Ticket | None) -> tuple[Ticket | None, str]:
    """(the ticket the question is about, how it was found); (None, why not) when none is."""
    if threaded is not None:
        return threaded, f"the thread of {threaded.id}"
    for text in (env.subject or "", (env.text or "")[:3000]):
        for m in TICKET_ID.finditer(text):
            t = store.ticket(m.group(0))
            if t is not None:
                return t, f"ticket id {t.id} in the mail"
    asker = (env.reply_address or env.sender or "").strip().lower()
    if not asker:
        return None, "no sender address"
    mine = store.requester_tickets(asker, excluding_type="status")
    kode = result.fields.get("kode_tender")
    if kode:
        for t in mine:
            if t.fields.get("kode_tender") == kode:
                return t, f"kode tender {kode}"
    open_ones = [t for t in mine if t.status in OPEN]
    if open_ones:
        return open_ones[0], f"the sender's open ticket {open_ones[0].id}" + (
            f" (latest of {len(open_ones)})" if len(open_ones) > 1 else "")
    return None, "no ticket of this sender matches"


def status_context(ticket: Ticket, rules: RuleSet, tz: str) -> dict[str, Any]:
    """What templates/status.txt.j2 shows of the ticket asked about: its state, never its fields."""
    rt = rules.types.get(ticket.request_type, rules.fallback)
    due = ticket.due_at if ticket.status in ("antre", "diproses") and ticket.due_at else None
    return dict(
        ticket=ticket, asked=ticket, asked_type=rt.name, asked_state=STATE_TEXT.get(ticket.status, ticket.status),
        asked_created=format_datetime_id(ticket.created_at, tz),
        asked_missing=[rules.form_name(d) for d in ticket.missing] if ticket.status == "menunggu_kelengkapan" else [],
        asked_due=format_datetime_id(due, tz) if due else "", asked_note="",
    )

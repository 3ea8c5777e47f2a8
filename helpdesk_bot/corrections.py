"""Staff corrections: a wrong request type or a wrong missing list, fixed, remembered, replayed.

Staff correct a ticket by mail (``#jenis <type>``, ``#lengkap``, ``#kurang <document id> ...`` on
the first line of a reply, from an authenticated staff address, like ``#proses``) or by CLI
(``helpdesk-bot ticket retype|documents``). The ticket's type, documents, missing list and
status follow at once, and the requester gets a notice naming what is still missing (with the
blank forms). Every correction is stored with a reference to the mail it corrects (the
ticket's request, saved as ``request.eml`` beside its attachments and purged with them), so
``helpdesk-bot rules eval --corrections`` can replay each fix as a labelled case: a fix staff
made once becomes a regression test of the rules.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from . import attachments as attachments_module

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .reply_service import ReplyService
    from .store import Store

log = structlog.get_logger("helpdesk_bot.corrections")

#: Mail command word -> correction kind.
WORDS = {"jenis": "retype", "lengkap": "complete", "kurang": "missing"}
#: Statuses a correction may change (a closed ticket is reopened with ``ticket reopen`` first).
CORRECTABLE = ("baru", "menunggu_kelengkapan", "antre", "diproses")
REQUEST_MAIL = attachments_module.REQUEST_MAIL

class CorrectionError(Exception):
    """A correction that cannot be made; the message is for staff (Indonesian)."""


def save_request_mail(config: Config, ticket_id: str, raw: bytes) -> None:
    """Keep the mail a ticket was opened from, for corrections to point at (private, purged
    with the ticket's attachments); called in the transaction that creates the ticket, after
    ``attachments.store(fresh=True)`` cleared its directory."""
    from .attachments import _private_dir, _write_private, ticket_dir

    directory = ticket_dir(config, ticket_id)
    _private_dir(directory)
    _write_private(directory / REQUEST_MAIL, raw, new=True)


def correct(store: Store, replies: ReplyService, ticket_id: str, kind: str, argument: str, actor: str,
            via: str = "cli", notify: bool = True) -> dict[str, Any]:
    """Apply one correction inside the caller's transaction; returns what changed."""
    from .attachments import ticket_dir

    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise CorrectionError(f"Tiket {ticket_id} tidak ditemukan.")
    if ticket.status not in CORRECTABLE:
        raise CorrectionError(f"Tiket {ticket.id} berstatus {ticket.status}; koreksi tidak dapat dilakukan.")
    rules = replies.rules
    rt = rules.types.get(ticket.request_type, rules.fallback)
    documents = list(ticket.documents)
    words = argument.replace(",", " ").split()
    if kind == "retype":
        if not words or words[0] not in rules.types:
            raise CorrectionError(f"Jenis permohonan tidak dikenal: {' '.join(words) or '(kosong)'} "
                                  f"(pilihan: {', '.join(sorted(rules.types))}).")
        rt = rules.types[words[0]]
        missing = [d for d in rt.required if d not in documents]
    elif kind == "complete":
        documents += [d for d in rt.required if d not in documents]
        missing = []
    elif kind == "missing":
        unknown = [w for w in words if w not in rules.forms]
        if not words or unknown:
            raise CorrectionError(f"Dokumen tidak dikenal: {' '.join(unknown) or '(kosong)'} "
                                  f"(pilihan: {', '.join(sorted(rules.forms))}).")
        missing = list(dict.fromkeys(words))
        documents = [d for d in documents if d not in missing]
    else:
        raise CorrectionError(f"Koreksi tidak dikenal: {kind!r}.")
    status = ticket.status
    if status in ("baru", "menunggu_kelengkapan", "antre"):
        status = "menunggu_kelengkapan" if missing else ("baru" if rt.fallback else "antre")
    changes: dict[str, Any] = dict(request_type=rt.id, documents=documents, missing=missing, status=status)
    if status == "antre" and ticket.status != "antre":
        from .promises import schedule

        start, due, _ = schedule(replies.calendar, rt, store.now(), replies.config.helpdesk.timezone)
        changes.update(start_at=start, due_at=due)
    store.update_ticket(ticket.id, **changes)
    mail = ticket_dir(replies.config, ticket.id) / REQUEST_MAIL
    sha = hashlib.sha256(mail.read_bytes()).hexdigest() if mail.is_file() else ""
    store.add_correction(ticket_id=ticket.id, kind=kind, words=words, request_type=rt.id, missing=missing,
                         actor=actor, via=via, request_message_id=ticket.message_id,
                         mail_path=str(mail) if sha else "", mail_sha256=sha)
    store.add_event(ticket.id, "corrected", actor=actor, via=via, correction=kind, value=words,
                    old_type=ticket.request_type, new_type=rt.id, old_missing=ticket.missing, missing=missing,
                    old_status=ticket.status, status=status)
    sent: list[str] = []
    updated = store.ticket(ticket.id)
    assert updated is not None
    if notify:
        sent = _notice(replies, updated, rt)
    log.info("ticket_corrected", ticket=ticket.id, kind=kind, type=rt.id, missing=missing, actor=actor, via=via)
    return {"ticket": ticket.id, "request_type": rt.id, "missing": missing, "status": status, "replies": sent}


def _notice(replies: ReplyService, ticket: Any, rt: Any) -> list[str]:
    """The requester's next reply follows the correction: type, what is still missing, blank forms."""
    rules = replies.rules
    blanks = replies.blank_forms(ticket.missing)
    return replies.notify(ticket, "notice_koreksi", dict(
        ticket=ticket, type_name=rt.name, missing=[rules.form_name(d) for d in ticket.missing],
        received=[rules.form_name(d) for d in ticket.documents], blank_forms=bool(blanks)), blanks)


def labelled_cases(store: Store, directory: Path) -> Path:
    """Write the corrected tickets' request mails and a labels.tsv (the ticket's state after its
    last correction) into ``directory`` for ``rules eval``; mails purged since are left out."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = ["path\trequest_type\tmissing\tnote"]
    last: dict[str, dict[str, Any]] = {}
    for r in store.corrections():
        last[r["ticket_id"]] = r
    for ticket_id, r in sorted(last.items()):
        path = Path(r["mail_path"]) if r["mail_path"] else None
        if path is None or not path.is_file():
            continue
        name = f"{ticket_id}.eml"
        (directory / name).write_bytes(path.read_bytes())
        rows.append(f"{name}\t{r['request_type']}\t{','.join(json.loads(r['missing']))}\tcorrected by {r['actor']} ({r['kind']})")
    labels = directory / "labels.tsv"
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return labels

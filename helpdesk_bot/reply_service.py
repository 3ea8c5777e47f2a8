"""The one place where a mail the desk writes is rendered, allowed or withheld, and queued.

"Render, withhold or enqueue a reply" used to be written in the pipeline, workflow, corrections,
the scheduler, the digest and the report, and all but the first reached into the Pipeline for
its renderer and outbox. Now each of them is handed a :class:`ReplyService`:

* ``acknowledge`` / ``answer_status``: automatic replies to the sender of a mail (the writer).
  The rate limits, DMARC and the address are decided here (``decide``); a refused reply is
  recorded as ``reply_withheld`` with its reason, an acknowledgement over the overall hourly cap
  is queued ``deferred`` instead (ratelimit.py).
* ``notify``: staff-initiated mail to a ticket's requester (workflow notices, corrections,
  reopening, password reminders), never to anyone else.
* ``to_staff``: the digest and the monthly report.

The importer passes :class:`ArchiveReplies`, which records every reply as withheld and queues
nothing. Everything here runs inside the caller's transaction: a reply is queued (outbox row,
its Message-ID linked to the ticket) in the same commit as the change it reports, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from . import outages
from .config import Config
from .documents.model import TOO_MANY_ATTACHMENTS
from .office_hours import OfficeCalendar, format_datetime_id
from .people import format_nip, format_phone
from .ratelimit import deferrable, over_limit
from .replies import Outgoing, Renderer, reply_subject
from .ruleset import RequestType, RuleSet
from .trust import sender_authentication
from .workflow import stale_dates, urgent_stage_end

if TYPE_CHECKING:  # pragma: no cover
    from .classify import Classification
    from .documents import DocumentText
    from .envelope import Envelope
    from .promises import Promise
    from .store import Store, Ticket

log = structlog.get_logger("helpdesk_bot.reply_service")

#: An attachment of a mail we write: (file name, content type, bytes).
AttachmentData = tuple[str, str, bytes]

#: Why an attachment could not be read, as the requester reads it.
UNREADABLE_REASONS = {
    "encrypted": "berkas terenkripsi atau dilindungi kata sandi",
    "broken": "berkas rusak atau tidak lengkap",
    "too_large": "ukuran berkas melebihi batas",
    "too_many_pages": "jumlah halaman melebihi batas",
    "old_doc_format": "format Word lama (.doc) tidak dapat dibaca; mohon kirim dalam format PDF atau DOCX",
    "zip_bomb": "arsip ZIP melebihi batas ukuran yang diizinkan",
    "zip_too_deep": "arsip ZIP bertingkat terlalu dalam",
    "unsupported": "format berkas tidak didukung; mohon kirim dalam format PDF, DOCX, JPG atau PNG",
    "ocr_timeout": "pemindaian teks memerlukan waktu terlalu lama",
    "ocr_unavailable": "pemindaian teks tidak tersedia",
    "empty": "berkas kosong",
}

def unreadable_lines(docs: Sequence[DocumentText]) -> list[dict[str, str]]:
    """The "Lampiran berikut tidak dapat kami baca" list: one line per unreadable file, and the
    attachments over limits.max_attachments as one line (500 parts must not make 500 lines)."""
    lines = [{"filename": d.filename, "reason": UNREADABLE_REASONS.get(d.error, "berkas tidak dapat dibaca")}
             for d in docs if d.error and d.error != TOO_MANY_ATTACHMENTS]
    extra = sum(1 for d in docs if d.error == TOO_MANY_ATTACHMENTS)
    if extra:
        lines.append({"filename": f"{extra} lampiran lainnya",
                      "reason": "tidak dibaca karena melebihi batas jumlah lampiran dalam satu email"})
    return lines


#: Ticket fields an acknowledgement shows, with their labels.
FIELD_LABELS = {
    "kode_tender": "Kode Tender", "nama_paket": "Nama Paket", "satuan_kerja": "Satuan Kerja",
    "pokja": "Pokja Pemilihan", "tahapan": "Tahapan", "jadwal_semula": "Jadwal Semula",
    "jadwal_perubahan": "Jadwal Perubahan", "nama_lengkap": "Nama Lengkap", "nip": "NIP",
    "telepon": "No. Telepon/HP", "email": "Alamat Email", "nama_peserta": "Nama Peserta",
    "nama_file": "Nama File", "alasan": "Alasan", "data_tertulis": "Data Tertulis",
    "data_seharusnya": "Data Seharusnya",
}


@dataclass(frozen=True)
class Decision:
    """Whether an automatic reply may go now, later (overall cap: deferred) or not at all."""

    send: bool
    deferred: bool = False
    reason: str = ""


class ReplyService:
    """Render, decide (rate limits, DMARC, address), attach blank forms, enqueue."""

    def __init__(self, config: Config, store: Store, rules: Callable[[], RuleSet],
                 calendar: OfficeCalendar | None = None):
        self.config = config
        #: None only for offline rendering (``classify --explain``, ``rules check``): nothing is queued.
        self.store = store
        self._rules = rules
        self.calendar = calendar or OfficeCalendar(config.working_hours, config.helpdesk.timezone)
        self._renderer: tuple[RuleSet, Renderer] | None = None

    @property
    def rules(self) -> RuleSet:
        return self._rules()

    def renderer(self) -> Renderer:
        """One Renderer (jinja Environment, compiled templates) per rule set, not per mail.

        Building one per call recompiled every template for every reply (bench_backlog: 57 -> 45 ms a mail).
        A reloaded rule set is a new object, so a template edit is picked up with it.
        """
        rules = self.rules
        if self._renderer is None or self._renderer[0] is not rules:
            self._renderer = (rules, Renderer.for_rules(self.config, rules))
        return self._renderer[1]

    # -- the decision ------------------------------------------------------------------------------

    def decide(self, env: Envelope, to: str | None = None) -> Decision:
        """Rate limits and sender trust: whether an automatic reply may go to ``to`` (default: the
        sender). Per-sender limits count the normalised mailbox (store), DMARC failure withholds
        (no reply to a possibly forged address), the overall hourly cap defers."""
        now = self.store.now()
        to = env.reply_address if to is None else to
        why = over_limit(
            self.store.automatic_replies_since(now - dt.timedelta(hours=1), to),
            self.store.automatic_replies_since(now - dt.timedelta(days=1), to),
            self.store.automatic_replies_since(now - dt.timedelta(hours=1)),
            self.config.screening,
        )
        if why:
            return Decision(False, deferrable(why), why)
        if self.config.screening.no_reply_on_dmarc_fail:
            auth = sender_authentication(env, self.config.screening.trusted_authserv_ids)
            if auth.failed_dmarc:
                return Decision(False, False, f"DMARC failed for the sender's domain ({auth.detail}); "
                                              "no reply to a possibly forged address")
        if not to or "@" not in to:
            return Decision(False, False, "no address to reply to")
        return Decision(True)

    # -- queueing ----------------------------------------------------------------------------------

    def enqueue(self, out: Outgoing, ticket_id: str | None, mailbox: str, deferred: bool = False) -> None:
        """Put a rendered mail in the outbox table (the caller's transaction); link it to its ticket."""
        self.store.enqueue(ticket_id=ticket_id, kind=out.kind, automatic=out.automatic, message_id=out.message_id,
                           mail_from=self.config.smtp.from_address, recipients=out.recipients,
                           raw=out.as_bytes(), mailbox=mailbox, deferred=deferred)
        if ticket_id:
            self.store.link_message_id(out.message_id, ticket_id)

    def withhold(self, ticket_id: str, reason: str, **detail: Any) -> list[str]:
        """Record that a mail was not sent, and why (staff see it in the ticket's events);
        ``mail=`` names which mail when it is not the acknowledgement."""
        self.store.add_event(ticket_id, "reply_withheld", reason=reason, **detail)
        return []

    # -- what acknowledgements say -------------------------------------------------------------------

    def blank_forms(self, missing: Sequence[str]) -> list[AttachmentData]:
        """The blank forms the project ships for the missing documents, as attachments."""
        out = []
        for doc_id in missing:
            spec = self.rules.forms.get(doc_id)
            if spec and spec.blank_form:
                try:
                    out.append((f"{doc_id}.pdf", "application/pdf", Path(spec.blank_form).read_bytes()))
                except OSError as e:
                    log.warning("blank_form_unreadable", document=doc_id, error=str(e))
        return out

    def ack_context(self, ticket: Ticket, rt: RequestType, result: Classification, docs: list[DocumentText],
                    env: Envelope, when: Promise, update: bool = False) -> dict[str, Any]:
        """What an acknowledgement template sees (also ``--explain`` and ``rules check``)."""
        rules = self.rules
        unreadable = unreadable_lines(docs)
        shape = {"nip": format_nip, "telepon": format_phone}
        shown = [(FIELD_LABELS[k], shape.get(k, str)(v)) for k, v in ticket.fields.items() if k in FIELD_LABELS]
        first = rt.name.split(" ", 1)[0]
        noun = "Dokumen" if update else (rt.reply_noun or (first if first in ("Permintaan", "Permohonan") else "Permohonan"))
        tz = self.config.helpdesk.timezone
        return dict(
            ticket=ticket, type_name=rt.name,
            received=[rules.form_name(d) for d in ticket.documents],
            missing=[rules.form_name(d) for d in ticket.missing], lacking=ticket.lacking,
            unreadable=unreadable, fields=shown, update=update, urgent=ticket.urgent,
            received_at=when.received_text, start_text=when.start_sentence(noun), target_text=when.target_sentence(),
            outage=outages.announcement(self.store, tz), urgent_until=self._urgent_until(ticket),
            working_hours_only=rt.working_hours_only, result_by_email=rt.result_by_email,
            never_store_password=rt.never_store_password, password_sent=env.secret_found, onboarding=rt.onboarding,
            staff_decide=rt.staff_decides, stale_dates=stale_dates(ticket.fields, ticket.created_at, self.calendar),
            intent=result.intent,
            blank_forms=False,
        )

    def _urgent_until(self, ticket: Ticket) -> str:
        """"Senin, 30 November 2026 pukul 15.00 WIB": when the urgent stage ends, for the reply."""
        if not ticket.urgent:
            return ""
        end = urgent_stage_end(ticket.fields, ticket.created_at, self.calendar)
        return format_datetime_id(end, self.config.helpdesk.timezone) if end else ""

    # -- automatic replies to the sender of a mail (the writer) --------------------------------------

    def acknowledge(self, ticket: Ticket, rt: RequestType, result: Classification, docs: list[DocumentText],
                    env: Envelope, when: Promise, mailbox: str, update: bool = False) -> list[str]:
        """The acknowledgement of a request (or of documents added); the Message-IDs queued.

        Only ever to the ticket's requester: a follow-up from an alias address is answered to
        the requester, and nothing of a ticket goes to whoever else wrote (issue 9).
        """
        decision = self.decide(env, ticket.requester)
        if not decision.send and not decision.deferred:
            self.withhold(ticket.id, decision.reason)
            if "DMARC" in decision.reason:
                self.store.update_ticket(ticket.id, needs_staff=decision.reason)
            log.warning("reply_withheld", ticket=ticket.id, reason=decision.reason)
            return []
        blanks = self.blank_forms(ticket.missing)
        context = self.ack_context(ticket, rt, result, docs, env, when, update)
        context["blank_forms"] = bool(blanks)
        out = self.renderer().build(
            template=rt.reply, to=ticket.requester, subject=reply_subject(ticket.id, env.subject),
            in_reply_to=env.message_id, references=env.references, attachments=blanks,
            kind=("ack_update" if update else rt.reply), **context)
        self.enqueue(out, ticket.id, mailbox, deferred=decision.deferred)
        if decision.deferred:
            # Over the overall cap: queued, sent when the hour has room (ratelimit.release_deferred).
            self.store.add_event(ticket.id, "reply_deferred", reason=decision.reason)
            log.warning("reply_deferred", ticket=ticket.id, reason=decision.reason)
        return [out.message_id]

    def answer_status(self, ticket: Ticket, env: Envelope, context: dict[str, Any], mailbox: str) -> list[str]:
        """The answer to a status question from the ticket's requester (the caller checked that).

        Any refusal withholds it, the overall cap included: a status answer is not worth
        sending an hour late, staff see the question in the ticket's events.
        """
        decision = self.decide(env)
        if not decision.send:
            return self.withhold(ticket.id, decision.reason)
        out = self.renderer().build(
            template="status", to=env.reply_address, subject=reply_subject(ticket.id, env.subject),
            in_reply_to=env.message_id, references=env.references, kind="status", **context)
        self.enqueue(out, ticket.id, mailbox)
        return [out.message_id]

    # -- staff-initiated mail to a ticket's requester ------------------------------------------------

    def notify(self, ticket: Ticket, template: str, context: dict[str, Any],
               attachments: Sequence[AttachmentData] = (), kind: str = "") -> list[str]:
        """A mail in the ticket's thread to its requester only (a staff notice, a correction, a
        password reminder): not automatic, so no rate limit; no address, no mail (recorded)."""
        kind = kind or template
        if not ticket.requester or "@" not in ticket.requester:
            return self.withhold(ticket.id, "no requester address", mail=kind)
        out = self.renderer().build(
            template=template, to=ticket.requester, subject=reply_subject(ticket.id, ticket.subject),
            in_reply_to=ticket.message_id, references=(), attachments=list(attachments), kind=kind,
            automatic=False, **context)
        self.enqueue(out, ticket.id, ticket.mailbox)
        return [out.message_id]

    # -- mail to staff (digest, report) --------------------------------------------------------------

    def staff_mailbox(self) -> str:
        """The mailbox whose Sent folder keeps a copy of the desk's mail to staff (the first one)."""
        return self.config.mailbox[0].name if self.config.mailbox else ""

    def to_staff(self, out: Outgoing) -> str | None:
        """Queue a rendered mail to staff (the caller's transaction); its Message-ID."""
        self.enqueue(out, None, self.staff_mailbox())
        return out.message_id


class ArchiveReplies(ReplyService):
    """The importer's: archived mail is filed, never answered; every reply is recorded as withheld."""

    REASON = "imported from an archive: no reply is sent"

    def acknowledge(self, ticket: Ticket, *args: Any, **kwargs: Any) -> list[str]:
        return self.withhold(ticket.id, self.REASON)

    def answer_status(self, ticket: Ticket, *args: Any, **kwargs: Any) -> list[str]:
        return self.withhold(ticket.id, self.REASON, mail="status")

    def notify(self, ticket: Ticket, template: str, *args: Any, kind: str = "", **kwargs: Any) -> list[str]:
        return self.withhold(ticket.id, self.REASON, mail=kind or template)

    def to_staff(self, out: Outgoing) -> str | None:
        log.info("staff_mail_withheld", kind=out.kind, reason=self.REASON)
        return None


__all__ = ["ArchiveReplies", "AttachmentData", "Decision", "FIELD_LABELS", "ReplyService", "UNREADABLE_REASONS"]

"""The staff's side of a ticket: commands by mail and CLI, notices, password confirmations, urgency.

Staff keep their mail client. A mail from a configured staff address to the helpdesk, in a
ticket's thread (or with its id in the subject), whose first line is ``#proses``, ``#selesai``,
``#tolak <alasan>`` or ``#catatan <teks>``, moves the ticket and sends the requester the templated
notice carrying the staff's remaining text and attachments. The CLI calls the same ``act``, so
mail and command line cannot drift apart.

A command changes a government tender's ticket, so its From line must be believable: the
receiving server's Authentication-Results must pass (trust.py), or the mail must have come
through a configured trusted relay. Anything else is recorded as ``command_rejected`` and
changes nothing; the forger gets no answer (an answer would confirm the address works).

Everything here runs inside the pipeline's write transaction and takes time from
``Store.now()``, so tests drive it with a fake clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from . import outages
from .office_hours import OfficeCalendar, format_datetime_id
from .outcome import Outcome
from .quoting import own_text

if TYPE_CHECKING:  # pragma: no cover
    from .envelope import Envelope
    from .pipeline import Pipeline
    from .reply_service import ReplyService
    from .ruleset import RequestType, RuleSet
    from .sources.base import SourceMessage
    from .store import Store, Ticket

log = structlog.get_logger("helpdesk_bot.workflow")

# ---------------------------------------------------------------------------------------------
# Indonesian dates on forms ("20 November 2026", "20/11/2026 15:00", "Jumat, 27 November 2026
# pukul 16.00") and urgency


_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8,
    "agust": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "may": 5, "june": 6, "july": 7, "august": 8,
    "october": 10, "december": 12, "january": 1, "february": 2, "march": 3,
}
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_WORDS = re.compile(rf"\b(\d{{1,2}})\s*+[-.]?\s*+({_MONTH_WORDS})\.?\s*+[-.]?\s*+(\d{{4}})\b", re.I)
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME = re.compile(r"(?<![\d/.:-])([01]?\d|2[0-3])[.:]([0-5]\d)(?![\d/])")

#: Fields whose dates tell when the stage the request concerns ends (its original schedule).
STAGE_FIELDS = ("jadwal_semula", "tahapan", "jadwal_tahapan", "tanggal_tahapan")


def _dates_in(text: str) -> list[tuple[int, int, dt.date]]:
    """(start, end, date) of every date written in ``text``, in order of appearance."""
    found: list[tuple[int, int, dt.date]] = []
    for m in _DATE_WORDS.finditer(text):
        _add_date(found, m, int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    for m in _DATE_NUMERIC.finditer(text):
        _add_date(found, m, int(m.group(3)), int(m.group(2)), int(m.group(1)))
    for m in _DATE_ISO.finditer(text):
        _add_date(found, m, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return sorted(found, key=lambda f: f[0])


def _add_date(found: list[tuple[int, int, dt.date]], m: re.Match[str], y: int, mo: int, d: int) -> None:
    try:
        found.append((m.start(), m.end(), dt.date(y, mo, d)))
    except ValueError:  # 31/02/2026: not a date, so not evidence of anything
        pass


def stage_end(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """When the stage written in ``text`` ends: its last date, with the last time after it.

    A range ("20 November 2026 pukul 08.00 s.d. 22 November 2026 pukul 15.00") ends at its
    last date; a date without a time ends at the end of that day, because a stage whose
    closing hour is not known must not be called over too early.
    """
    dates = _dates_in(text or "")
    if not dates:
        return None
    _start, end, day = dates[-1]
    times = list(_TIME.finditer(text[end:]))
    if times:
        t = times[-1]
        return dt.datetime.combine(day, dt.time(int(t.group(1)), int(t.group(2))), tzinfo=tz)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def _urgency_horizon(received: dt.datetime, calendar: OfficeCalendar) -> dt.datetime:
    """The moment by which staff can no longer save a stage ending before it.

    Out of hours: the next opening (nobody is at a desk before that). In hours: the end of
    today's last working span, since a stage ending today needs the staff's attention today.
    """
    if not calendar.is_open(received):
        return calendar.next_opening(received)
    local = received.astimezone(calendar.tz)
    spans = calendar.spans_for(local.date())
    return spans[-1][1] if spans else calendar.next_opening(received)


def is_urgent(fields: dict[str, Any], received: dt.datetime, calendar: OfficeCalendar) -> bool:
    """True when the form's stage (original schedule) ends after ``received`` but before staff can act.

    A stage that has already ended is not urgent: nothing can be saved by hurrying, and telling
    the Pokja so would be false. ``stale_dates`` names it instead, to the requester and staff.
    """
    return urgent_stage_end(fields, received, calendar) is not None


def urgent_stage_end(fields: dict[str, Any], received: dt.datetime, calendar: OfficeCalendar) -> dt.datetime | None:
    """The end of the stage that makes a request urgent (still ahead, before the horizon), or None."""
    horizon = _urgency_horizon(received, calendar)
    for name in STAGE_FIELDS:
        value = fields.get(name)
        if not isinstance(value, str):
            continue
        end = stage_end(value, calendar.tz)
        if end is not None and received <= end < horizon:
            return end
    return None


#: Date fields checked for being already past, with the label the requester reads.
DATE_FIELDS = {"jadwal_semula": "Jadwal Semula", "jadwal_perubahan": "Jadwal Perubahan (tanggal yang dimohonkan)"}


def stale_dates(fields: dict[str, Any], received: dt.datetime, calendar: OfficeCalendar) -> list[tuple[str, str]]:
    """(label, value as written) of the form's dates that ended before the mail was received.

    A "Jadwal Semula" twelve days gone, or a requested new date already past, means the form
    was reused or mistyped: staff are told (``needs_staff``) and the reply names the date.
    """
    out = []
    for name, label in DATE_FIELDS.items():
        value = fields.get(name)
        if not isinstance(value, str):
            continue
        end = stage_end(value, calendar.tz)
        if end is not None and end < received:
            out.append((label, " ".join(value.split())[:120]))
    return out


def stale_note(stale: list[tuple[str, str]]) -> str:
    """The staff's flag for a ticket with past dates (digest, ``needs_staff``)."""
    return "Tanggal pada formulir sudah lewat: " + "; ".join(f"{label} {value}" for label, value in stale)




# ---------------------------------------------------------------------------------------------
# Mail text: the part a person wrote, without the quoted thread




# ---------------------------------------------------------------------------------------------
# Commands


#: Command word -> status it leads to (None: no status change).
COMMANDS: dict[str, str | None] = {"proses": "diproses", "selesai": "selesai", "tolak": "ditolak", "catatan": None,
                                   # Onboarding and bimtek: schedule (#bimtek <tanggal, tempat>), attended, User ID handed over.
                                   "bimtek": "diproses", "hadir": None, "akses": "selesai"}
_OUTAGE = re.compile(r"^#gangguan\b[ \t:]*(?P<arg>.*)$", re.I)
#: Corrections (corrections.py): ``#jenis <type>``, ``#lengkap``, ``#kurang <document id> ...``.
CORRECTION_WORDS = ("jenis", "lengkap", "kurang")
_COMMAND = re.compile(r"^#(?P<word>[a-z]+)\b[ \t:]*(?P<arg>.*)$", re.I)


@dataclass(frozen=True)
class Command:
    action: str
    #: Text on the command line after the word (the reason of #tolak, the note of #catatan).
    argument: str
    #: The rest of the staff's own text, for the requester.
    body: str

    @property
    def text(self) -> str:
        """What the requester reads from the staff: the argument, then the remaining text."""
        return "\n\n".join(p for p in (self.argument.strip(), self.body.strip()) if p)


def parse_command(text: str) -> Command | None:
    """A command when the first non-empty line of the staff's own text is one; else None."""
    own = own_text(text)
    lines = own.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        m = _COMMAND.match(line.strip())
        if not m or m.group("word").lower() not in (*COMMANDS, *CORRECTION_WORDS):
            return None
        return Command(m.group("word").lower(), m.group("arg").strip(), "\n".join(lines[i + 1:]).strip())
    return None


# ---------------------------------------------------------------------------------------------
# Password confirmations from the Pokja


_CONFIRM = re.compile(
    r"^(?:(?:password|kata\s*sandi|sandi|pass(?:word)?nya)\s+)?(?:sudah|telah|sdh|udah|dah)\b"
    r"(?:\s+(?:saya|kami|kmi))?(?:\s+(?:di)?(?:ganti|ubah|rubah|reset|perbarui|perbaharui|lakukan)\w*)?", re.I)
_NEGATION = re.compile(r"\b(belum|blm|tidak|tdk|gagal|bisa\s*\?|bagaimana|gimana|kenapa|mengapa|error)\b", re.I)


def is_confirmation(text: str) -> bool:
    """True for "sudah", "sudah diganti", "Sudah saya ganti, terima kasih", "Password telah diubah".

    Only the first line of the Pokja's own text counts, and a negation or a question there
    ("sudah tapi belum bisa login") is not a confirmation: a false "yes" would stop the
    reminders of an account that is still open to the helpdesk.
    """
    first = next((ln.strip() for ln in own_text(text).split("\n") if ln.strip()), "")
    first = re.sub(r"^(ya|iya|baik|siap|ok(e|ay)?)\b[\s,.!]*", "", first, flags=re.I)
    return bool(_CONFIRM.match(first)) and not _NEGATION.search(first)


# ---------------------------------------------------------------------------------------------
# Ticket actions, shared by mail commands and the CLI


class ActionError(Exception):
    """An action that cannot be done on this ticket; the message is for staff (Indonesian)."""


#: Statuses each action may start from. ``catatan`` (a note to the requester) fits any status.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "proses": ("baru", "menunggu_kelengkapan", "antre"),
    "selesai": ("baru", "menunggu_kelengkapan", "antre", "diproses"),
    "tolak": ("baru", "menunggu_kelengkapan", "antre", "diproses"),
    "catatan": ("baru", "menunggu_kelengkapan", "antre", "diproses", "selesai", "ditolak"),
    "bimtek": ("baru", "antre", "diproses"),
    "hadir": ("diproses",),
    "akses": ("diproses",),
}

#: Onboarding steps after complete documents, in order (the digest lists agencies at each).
ONBOARDING_STEPS = {
    "menunggu_bimtek": "Menunggu jadwal bimtek",
    "bimtek_dijadwalkan": "Bimtek dijadwalkan",
    "bimtek_selesai": "Bimtek selesai, menunggu penyerahan User ID",
    "akses_diserahkan": "User ID telah diserahkan",
}

#: Shown in ``needs_staff`` when the Pokja never confirmed its password change.
PASSWORD_FLAG = "Pokja belum mengonfirmasi penggantian password setelah pengingat terakhir."

#: (filename, content type, bytes), as Renderer.build takes attachments.
AttachmentData = tuple[str, str, bytes]


@dataclass
class ActResult:
    ticket_id: str
    action: str
    old_status: str
    new_status: str
    replies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _check_action(ticket: Ticket, rt: RequestType, action: str, text: str, attachments: list[AttachmentData]) -> None:
    """Refuse what would confuse the requester or break the SLA, before anything changes."""
    if action not in COMMANDS:
        raise ActionError(f"Perintah tidak dikenal: {action!r} (pilihan: {', '.join(COMMANDS)}).")
    if ticket.status not in ALLOWED_FROM[action]:
        raise ActionError(f"Tiket {ticket.id} berstatus {ticket.status}; perintah {action} tidak dapat dijalankan.")
    if action == "tolak" and not text.strip():
        raise ActionError("Perintah tolak memerlukan alasan penolakan, misalnya: #tolak Formulir belum ditandatangani.")
    if action == "catatan" and not text.strip():
        raise ActionError("Perintah catatan memerlukan teks untuk pemohon.")
    if action == "bimtek" and not text.strip():
        raise ActionError("Perintah bimtek memerlukan tanggal dan tempat, misalnya: #bimtek Selasa, 15 Desember 2026 "
                          "pukul 09.00 WIB di Ruang Pelatihan LPSE.")
    if action == "bimtek" and not (rt.onboarding or rt.schedules_bimtek):
        raise ActionError(f"Perintah bimtek hanya untuk permohonan yang memerlukan bimtek; tiket {ticket.id} adalah {rt.name}.")
    if action == "hadir" and ticket.onboarding != "bimtek_dijadwalkan":
        raise ActionError(f"Tiket {ticket.id} belum memiliki jadwal bimtek (#bimtek <tanggal>).")
    if action == "akses" and (not rt.onboarding or ticket.onboarding != "bimtek_selesai"):
        raise ActionError(f"User ID diserahkan setelah bimtek diikuti (#hadir); tahap tiket {ticket.id}: "
                          f"{ONBOARDING_STEPS.get(ticket.onboarding, ticket.onboarding or '-')}.")
    if action == "selesai" and rt.result_required and not attachments:
        raise ActionError(f"Hasil {rt.name.lower()} wajib dilampirkan pada perintah selesai.")


def act(store: Store, replies: ReplyService, ticket_id: str, action: str, actor: str, text: str = "",
        attachments: list[AttachmentData] | None = None, via: str = "cli", notify: bool = True) -> ActResult:
    """Do one staff action on a ticket: status change, event, notice to the requester.

    Call it inside ``store.transaction()`` (the pipeline's, or the CLI's own), so the change,
    its event and the notice in the outbox commit together or not at all; ``replies`` renders
    and queues the notice. ``notify=False`` (the CLI's ``--quiet``) changes the ticket without a
    notice, recorded as withheld.
    """
    from .redact import redact

    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise ActionError(f"Tiket {ticket_id} tidak ditemukan.")
    attachments = list(attachments or [])
    rt = replies.rules.types.get(ticket.request_type, replies.rules.fallback)
    _check_action(ticket, rt, action, text, attachments)
    notes: list[str] = []
    if rt.never_store_password and attachments:
        # Such a notice (reset password) never carries anything that could hold a password.
        notes.append(f"{len(attachments)} lampiran tidak dikirim: pemberitahuan reset password tanpa lampiran")
        attachments = []
    safe_text = redact(text)
    now = store.now()
    new_status = COMMANDS[action] or ticket.status
    changes = _status_changes(ticket, rt, new_status, now, replies)
    changes.update(_onboarding_changes(ticket, action, safe_text))
    if changes:
        store.update_ticket(ticket.id, **changes)
    if new_status != ticket.status:
        store.add_event(ticket.id, "status_changed", actor=actor, via=via, action=action,
                        old=ticket.status, new=new_status, text=safe_text[:500],
                        attachments=[a[0] for a in attachments], notes=notes)
    else:
        store.add_event(ticket.id, "staff_note", actor=actor, via=via, text=safe_text[:500],
                        attachments=[a[0] for a in attachments], notes=notes)
    updated = store.ticket(ticket.id)
    assert updated is not None
    if notify:
        sent = send_notice(replies, updated, rt, action, safe_text, attachments)
    else:
        sent = replies.withhold(ticket.id, "staff chose no notice (--quiet)", actor=actor)
    log.info("ticket_action", ticket=ticket.id, action=action, actor=actor, via=via,
             old=ticket.status, new=new_status, replies=len(sent))
    return ActResult(ticket.id, action, ticket.status, new_status, sent, notes)


def _onboarding_changes(ticket: Ticket, action: str, text: str) -> dict[str, Any]:
    """The onboarding step an action moves a ticket to (SLA III.b.1.4, III.b.5.3, II.b.4)."""
    if action == "bimtek":
        return {"onboarding": "bimtek_dijadwalkan", "bimtek": " ".join(text.split())[:300]}
    if action == "hadir":
        return {"onboarding": "bimtek_selesai"}
    if action == "akses":
        return {"onboarding": "akses_diserahkan"}
    return {}


def onboarding_start(rt: RequestType, missing: list[str], lacking: list[str]) -> str:
    """The first step once the documents are complete: waiting for a bimtek date (``onboarding`` types)."""
    return "menunggu_bimtek" if rt.onboarding and not missing and not lacking else ""


def _status_changes(ticket: Ticket, rt: Any, new_status: str, now: dt.datetime, replies: ReplyService) -> dict[str, Any]:
    """Columns to write for a status change; a password-reminder type starts its reminders."""
    if new_status == ticket.status:
        return {}
    changes: dict[str, Any] = {"status": new_status}
    if new_status in ("selesai", "ditolak"):
        changes["closed_at"] = now
    if new_status == "selesai" and rt.password_reminder:
        interval = replies.config.reminders.interval_hours
        changes.update(reminder_count=0, password_confirmed_at=None,
                       next_reminder_at=replies.calendar.add_working_hours(now, interval))
    return changes


def send_notice(replies: ReplyService, ticket: Ticket, rt: Any, action: str, text: str,
                attachments: list[AttachmentData]) -> list[str]:
    """The templated notice of ``action`` to the requester, threaded to the original request."""
    tz = replies.config.helpdesk.timezone
    return replies.notify(ticket, f"notice_{action}", notice_context(ticket, rt, text, attachments, tz), attachments)


def notice_context(ticket: Ticket, rt: Any, text: str, attachments: list[AttachmentData], tz: str) -> dict[str, Any]:
    """What the notice templates see; no form fields, so no credential can slip in."""
    return dict(
        ticket=ticket, requester_name=ticket.requester_name, type_name=rt.name, text=text,
        attachment_names=[a[0] for a in attachments], password_reminder=rt.password_reminder,
        result_by_email=rt.result_by_email, never_store_password=rt.never_store_password,
        onboarding=rt.onboarding, bimtek=ticket.bimtek,
        next_reminder=format_datetime_id(ticket.next_reminder_at, tz) if ticket.next_reminder_at else "",
    )


# ---------------------------------------------------------------------------------------------
# Mail in a ticket's thread


def command_trusted(env: Envelope, config: Any) -> tuple[bool, str]:
    """Whether a staff command's From line is proven, and why (recorded either way).

    Proven means: the hop that handed the mail to our server is a trusted relay, or our
    server's own Authentication-Results pass aligned with the From domain (trust.py).
    """
    from .trust import handover_hop, is_from_trusted_relay, receiving_hosts, sender_authentication

    hosts = receiving_hosts(config)
    if is_from_trusted_relay(env, tuple(config.staff.trusted_relays), hosts):
        hop = handover_hop(env, hosts)
        return True, f"trusted relay {hop.name or '?'} [{hop.ip or '?'}]" if hop else "trusted relay"
    verdict = sender_authentication(env, tuple(config.screening.trusted_authserv_ids))
    return verdict.passed, verdict.detail


def _mail_attachments(env: Envelope) -> list[AttachmentData]:
    """The staff's own attachments (not what parse unpacked from inside ZIPs or forwards)."""
    return [(a.filename or "lampiran", a.content_type or "application/octet-stream", a.data)
            for a in env.attachments if not a.origin]


def is_staff_address(address: str, config: Any) -> bool:
    """Whether a (proven) sender identity is one of ``[staff] addresses``; says nothing about
    authentication, which command_trusted checks."""
    return bool(address) and address.strip().lower() in {a.strip().lower() for a in config.staff.addresses}


_is_staff = is_staff_address


class ThreadHooks:
    """Pipeline hook for threaded mail: staff commands first, then password confirmations."""

    def handle(self, pipeline: Pipeline, env: Envelope, ticket: Ticket, msg: SourceMessage) -> Outcome | None:
        outage = self._outage(pipeline, env)
        if outage is not None:
            return outage
        command = parse_command(env.text)
        if command is not None:
            return self._command(pipeline, env, ticket, command)
        if _is_staff(env.sender, pipeline.config):
            return None
        if awaiting_confirmation(ticket, pipeline.rules) and is_confirmation(env.text) and pipeline.is_requester(env, ticket):
            return self._confirm(pipeline, env, ticket)
        return None

    def _command(self, pipeline: Pipeline, env: Envelope, ticket: Ticket, command: Command) -> Outcome:
        store, sender = pipeline.store, env.sender.strip().lower()
        if not sender:
            ok, why = False, f"no sender identity: {env.sender_problem or 'no From address'}"
        elif not _is_staff(sender, pipeline.config):
            ok, why = False, "sender is not a staff address"
        else:
            ok, why = command_trusted(env, pipeline.config)
        if not ok:
            store.add_event(ticket.id, "command_rejected", actor=sender or "?", command=command.action,
                            reason=why, message_id=env.message_id, subject=env.subject[:200])
            log.warning("command_rejected", ticket=ticket.id, sender=sender, command=command.action, reason=why)
            return Outcome("command_rejected", ticket.id, f"#{command.action} from {sender}: {why}")
        store.link_message_id(env.message_id, ticket.id)
        if command.action in CORRECTION_WORDS:
            return self._correction(pipeline, ticket, command, sender)
        try:
            result = act(store, pipeline.replies, ticket.id, command.action, sender, command.text,
                         _mail_attachments(env), via="mail")
        except ActionError as e:
            store.add_event(ticket.id, "command_failed", actor=sender, command=command.action, reason=str(e))
            log.warning("command_failed", ticket=ticket.id, sender=sender, command=command.action, reason=str(e))
            return Outcome("command_failed", ticket.id, str(e))
        return Outcome("command", ticket.id, f"#{command.action}: {result.old_status} -> {result.new_status}",
                       result.replies)

    def _correction(self, pipeline: Pipeline, ticket: Ticket, command: Command, sender: str) -> Outcome:
        """``#jenis``, ``#lengkap``, ``#kurang``: the ticket, its missing list and the next reply follow."""
        from .corrections import WORDS, CorrectionError, correct
        try:
            done = correct(pipeline.store, pipeline.replies, ticket.id, WORDS[command.action], command.argument, sender, via="mail")
        except CorrectionError as e:
            pipeline.store.add_event(ticket.id, "command_failed", actor=sender, command=command.action, reason=str(e))
            return Outcome("command_failed", ticket.id, str(e))
        return Outcome("command", ticket.id, f"#{command.action}: {done['request_type']} missing {done['missing']}",
                       done["replies"])

    def handle_unthreaded(self, pipeline: Pipeline, env: Envelope, msg: SourceMessage) -> Outcome | None:
        """A staff command that names no existing ticket is a failed command, never a new ticket."""
        outage = self._outage(pipeline, env)
        if outage is not None:
            return outage
        command = parse_command(env.text)
        if command is None or not _is_staff(env.sender, pipeline.config):
            return None
        why = "no ticket in the thread or subject"
        pipeline.store.add_event(None, "command_failed", actor=env.sender, command=command.action, reason=why,
                                 message_id=env.message_id, subject=env.subject[:200])
        log.warning("command_failed", sender=env.sender, command=command.action, reason=why)
        return Outcome("command_failed", None, f"#{command.action}: {why}")

    def _outage(self, pipeline: Pipeline, env: Envelope) -> Outcome | None:
        """``#gangguan <pengumuman>`` / ``#gangguan selesai`` from a trusted staff address."""
        first = next((ln.strip() for ln in own_text(env.text).split("\n") if ln.strip()), "")
        m = _OUTAGE.match(first)
        if m is None:
            return None
        sender = env.sender.strip().lower()
        if not sender or not _is_staff(sender, pipeline.config):
            return None  # a requester's "#gangguan" is just a report
        ok, why = command_trusted(env, pipeline.config)
        if not ok:
            pipeline.store.add_event(None, "command_rejected", actor=sender, command="gangguan", reason=why,
                                     message_id=env.message_id, subject=env.subject[:200])
            return Outcome("command_rejected", None, f"#gangguan from {sender}: {why}")
        argument = m.group("arg").strip()
        if outages.is_end(argument):
            ended, closed = end_outage(pipeline.store, pipeline.replies, sender)
            return Outcome("command", None, f"#gangguan selesai: {'outage ' + str(ended.id) if ended else 'none open'}; "
                           f"{len(closed)} report(s) closed")
        rest = own_text(env.text).split("\n", 1)
        text = " ".join([argument] + ([rest[1]] if len(rest) > 1 and not argument else []))
        try:
            outage = outages.declare(pipeline.store, text, sender)
        except ValueError as e:
            pipeline.store.add_event(None, "command_failed", actor=sender, command="gangguan", reason=str(e))
            return Outcome("command_failed", None, str(e))
        return Outcome("command", None, f"#gangguan: outage {outage.id} declared")

    def _confirm(self, pipeline: Pipeline, env: Envelope, ticket: Ticket) -> Outcome:
        confirm_password(pipeline.store, ticket, env.reply_address or env.sender)
        pipeline.store.link_message_id(env.message_id, ticket.id)
        return Outcome("password_confirmed", ticket.id, "password change confirmed by the requester")


def end_outage(store: Store, replies: ReplyService, actor: str) -> tuple[outages.Outage | None, list[str]]:
    """End the current outage and close each linked open report, telling its requester."""
    outage, open_reports = outages.end(store, actor)
    for ticket_id in open_reports:
        act(store, replies, ticket_id, "selesai", actor,
            "Layanan SPSE telah kembali normal. Apabila Bapak/Ibu masih mengalami kendala, mohon balas email ini "
            "dengan menyertakan waktu kejadian dan tangkapan layar pesan kesalahan.", via="gangguan")
    return outage, open_reports


def awaiting_confirmation(ticket: Ticket, rules: RuleSet) -> bool:
    """Done, of a type that reminds about the password, and not yet confirmed."""
    rt = rules.types.get(ticket.request_type)
    return (ticket.status == "selesai" and rt is not None and rt.password_reminder
            and ticket.password_confirmed_at is None)


def confirm_password(store: Store, ticket: Ticket, actor: str) -> None:
    """Record the confirmation and stop the reminders (next_reminder_at cleared)."""
    changes: dict[str, Any] = dict(password_confirmed_at=store.now(), next_reminder_at=None)
    if ticket.needs_staff == PASSWORD_FLAG:
        changes["needs_staff"] = None
    store.update_ticket(ticket.id, **changes)
    store.add_event(ticket.id, "password_confirmed", actor=actor, reminders_sent=ticket.reminder_count)
    log.info("password_confirmed", ticket=ticket.id, reminders_sent=ticket.reminder_count)


def thread_hooks() -> list[Any]:
    """What daemon.default_hooks() installs into every Pipeline."""
    return [ThreadHooks()]

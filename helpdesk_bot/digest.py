"""The daily digest to the helpdesk staff: everything that needs a person, on one page.

Staff read the mailbox in an ordinary mail client; the digest is where nothing the daemon
decided on its own can disappear silently: suppressed and quarantined mail, rejected staff
commands and undeliverable replies are listed next to the tickets. It is HTML with a
plain-text alternative, and every text in it passes through ``redact`` (no password ever).

"Since the last digest" is measured from the time stored in the state table when a digest
was queued, so a daemon restart neither repeats nor skips a day.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import structlog

from . import outages
from .office_hours import format_date_id, format_datetime_id
from .people import requester_label
from .redact import redact
from .store import iso, parse_iso
from .workflow import ONBOARDING_STEPS

if TYPE_CHECKING:  # pragma: no cover
    from .reply_service import ReplyService
    from .replies import Outgoing
    from .store import Store, Ticket

log = structlog.get_logger("helpdesk_bot.digest")

#: State-table keys: when the last digest was queued (UTC ISO) and for which local date.
STATE_LAST_AT = "digest.last_sent_at"
STATE_LAST_DATE = "digest.last_date"

STATUS_LABELS = {
    "baru": "Baru", "menunggu_kelengkapan": "Menunggu kelengkapan", "antre": "Antre",
    "diproses": "Diproses", "selesai": "Selesai", "ditolak": "Ditolak",
}
QUEUED_STATUSES = ("baru", "antre", "diproses")
#: Outbox kinds as staff name them.
MAIL_KINDS = {
    "ack": "Tanda terima", "ack_update": "Tanda terima kelengkapan", "notice_proses": "Pemberitahuan diproses",
    "notice_selesai": "Pemberitahuan selesai", "notice_tolak": "Pemberitahuan penolakan",
    "notice_catatan": "Catatan petugas", "reminder_password": "Pengingat penggantian password",
    "digest": "Ringkasan harian", "report": "Laporan bulanan",
}


@dataclass
class TicketRow:
    """One ticket as the digest shows it: no form fields besides the tender code and the stage."""

    id: str
    type_name: str
    status: str
    requester: str
    subject: str
    urgent: bool
    kode_tender: str
    created: str
    due: str
    age: str
    closed: str = ""
    note: str = ""
    #: ubah_jadwal: "Tahapan ...; semula ...; diminta ..." (staff need it to judge urgency).
    detail: str = ""


@dataclass
class MailRow:
    """A mail that did not become a ticket, or a staff action that was refused."""

    when: str
    sender: str
    subject: str
    reason: str
    ticket_id: str = ""

    def __post_init__(self) -> None:
        self.sender = self.sender or "-"
        self.subject = self.subject or "(tanpa perihal)"


@dataclass
class Section:
    """One numbered section: its rows (capped) and how many more there are."""

    title: str
    kind: str  # "ticket", "mail" or "closure"
    rows: list[Any]
    total: int
    show_due: bool = True

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass
class Digest:
    now: dt.datetime
    since: dt.datetime
    title: str
    period: str
    outage: dict[str, str] | None = None
    new: list[TicketRow] = field(default_factory=list)
    waiting: list[TicketRow] = field(default_factory=list)
    queued: list[TicketRow] = field(default_factory=list)
    overdue: list[TicketRow] = field(default_factory=list)
    done: list[TicketRow] = field(default_factory=list)
    unconfirmed: list[TicketRow] = field(default_factory=list)
    attention: list[TicketRow] = field(default_factory=list)
    #: (step label, rows) for the onboarding steps that have agencies waiting.
    onboarding: list[tuple[str, list[TicketRow]]] = field(default_factory=list)
    #: (date, why) of the office's closed working days ahead.
    closures: list[tuple[str, str]] = field(default_factory=list)
    suppressed: list[MailRow] = field(default_factory=list)
    quarantined: list[MailRow] = field(default_factory=list)
    rejected: list[MailRow] = field(default_factory=list)
    undelivered: list[MailRow] = field(default_factory=list)
    #: Whether anything happened since the last digest (no scheduled digest otherwise).
    news: bool = True
    max_rows: int = 15

    @property
    def new_count(self) -> int:
        return len(self.new)

    @property
    def new_by_type(self) -> list[tuple[str, list[TicketRow]]]:
        groups: dict[str, list[TicketRow]] = {}
        for row in self.new:
            groups.setdefault(row.type_name, []).append(row)
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    @property
    def summary(self) -> list[tuple[str, int]]:
        """The counts shown at the top and in the subject."""
        return [("Terlambat", len(self.overdue)), ("Tiket baru", self.new_count),
                ("Menunggu kelengkapan", len(self.waiting)), ("Dalam antrean", len(self.queued)),
                ("Onboarding", sum(len(r) for _, r in self.onboarding)), ("Selesai/ditolak", len(self.done)),
                ("Password belum dikonfirmasi", len(self.unconfirmed)), ("Karantina", len(self.quarantined))]

    def _cap(self, title: str, kind: str, rows: list[Any], show_due: bool = True) -> Section:
        return Section(title, kind, rows[: self.max_rows], len(rows), show_due)

    @property
    def sections(self) -> list[Section]:
        """Overdue first; every ticket in exactly one section; each capped at ``max_rows``."""
        out = [self._cap("Melewati batas waktu", "ticket", self.overdue),
               self._cap("Perlu perhatian petugas", "ticket", self.attention, show_due=False),
               self._cap("Tiket baru sejak ringkasan terakhir", "ticket", self.new),
               self._cap("Menunggu kelengkapan dokumen", "ticket", self.waiting, show_due=False)]
        for label, rows in self.onboarding:
            out.append(self._cap(f"Onboarding: {label}", "ticket", rows, show_due=False))
        out += [self._cap("Dalam antrean, menurut batas waktu", "ticket", self.queued),
                self._cap("Selesai atau ditolak sejak ringkasan terakhir", "ticket", self.done, show_due=False),
                self._cap("Penggantian password belum dikonfirmasi", "ticket", self.unconfirmed, show_due=False),
                self._cap("Kantor tutup dalam waktu dekat", "closure", self.closures),
                self._cap("Email yang tidak dijawab otomatis", "mail", self.suppressed),
                self._cap("Email dalam karantina", "mail", self.quarantined),
                self._cap("Perintah petugas yang ditolak atau gagal", "mail", self.rejected),
                self._cap("Email yang gagal terkirim atau ditunda", "mail", self.undelivered)]
        return out


# ---------------------------------------------------------------------------------------------
# Formatting


def short_datetime(when: dt.datetime | None, tz: str) -> str:
    """"30/11/2026 07.30": table cells need the short form, sentences use format_datetime_id."""
    if when is None:
        return "-"
    return when.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H.%M")


def age_text(delta: dt.timedelta) -> str:
    """"3 hari 2 jam", "5 jam", "kurang dari 1 jam": how long a requester has been waiting."""
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return "kurang dari 1 jam"
    days, hours = divmod(hours, 24)
    parts = ([f"{days} hari"] if days else []) + ([f"{hours} jam"] if hours else [])
    return " ".join(parts)


def _clean(text: str | None, limit: int = 120) -> str:
    """Redacted, one line, bounded: subjects and reasons come from strangers."""
    text = redact(" ".join((text or "").split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schedule_detail(fields: dict[str, Any]) -> str:
    """"Tahapan Upload Dokumen Penawaran; semula 20 November 2026; diminta 27 November 2026": what
    staff need to judge an ubah_jadwal without opening it. Empty for other tickets."""
    parts = []
    for key, label in (("tahapan", "Tahapan"), ("jadwal_semula", "semula"), ("jadwal_perubahan", "diminta")):
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(f"{label} {value.strip()}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Collecting


class Collector:
    """Reads one consistent picture of the database for one digest.

    Ticket sections are collected in the order staff read them, and a ticket already listed is
    skipped later (``seen``): each ticket appears once, in its most pressing section.
    """

    def __init__(self, store: Store, replies: ReplyService, now: dt.datetime, since: dt.datetime):
        self.store = store
        self.rules = replies.rules
        self.calendar = replies.calendar
        self.config = replies.config
        self.tz = replies.config.helpdesk.timezone
        self.now = now
        self.since = since
        self.seen: set[str] = set()

    def row(self, t: Ticket, note: str = "") -> TicketRow:
        rt = self.rules.types.get(t.request_type)
        return TicketRow(
            id=t.id, type_name=rt.name if rt else t.request_type, status=STATUS_LABELS.get(t.status, t.status),
            requester=_clean(requester_label(t.requester), 120), subject=_clean(t.subject), urgent=t.urgent,
            kode_tender=_clean(str(t.fields.get("kode_tender", "") or ""), 20),
            created=short_datetime(t.created_at, self.tz), due=short_datetime(t.due_at, self.tz),
            age=age_text(self.now - t.created_at), closed=short_datetime(t.closed_at, self.tz), note=_clean(note, 200),
            detail=_clean(schedule_detail(t.fields), 240))

    def _tickets(self, tickets: list[Ticket]) -> list[Ticket]:
        """The tickets not listed in an earlier section yet (and now marked as listed)."""
        found = [t for t in tickets if t.id not in self.seen]
        self.seen.update(t.id for t in found)
        return found

    def overdue(self) -> list[TicketRow]:
        rows = self._tickets(self.store.tickets_overdue(self.now, QUEUED_STATUSES))
        return [self.row(t, f"terlambat {age_text(self.now - t.due_at)}") for t in rows if t.due_at]

    def attention(self) -> list[TicketRow]:
        return [self.row(t, t.needs_staff) for t in self._tickets(self.store.tickets_needing_staff())]

    def new(self) -> list[TicketRow]:
        return [self.row(t, self._missing_note(t))
                for t in self._tickets(self.store.open_tickets_created(self.since, self.now))]

    def _missing_note(self, t: Ticket) -> str:
        if not (t.missing or t.lacking):
            return ""
        return "Kurang: " + ", ".join([self.rules.form_name(d) for d in t.missing] + [str(x) for x in t.lacking])

    def waiting(self) -> list[TicketRow]:
        return [self.row(t, self._missing_note(t))
                for t in self._tickets(self.store.tickets_in_status(("menunggu_kelengkapan",)))]

    def onboarding(self) -> list[tuple[str, list[TicketRow]]]:
        out = []
        for step, label in ONBOARDING_STEPS.items():
            if step == "akses_diserahkan":
                continue
            rows = [self.row(t, f"bimtek: {t.bimtek}" if t.bimtek else "")
                    for t in self._tickets(self.store.open_tickets_at_onboarding_step(step))]
            if rows:
                out.append((label, rows))
        return out

    def queued(self) -> list[TicketRow]:
        return [self.row(t) for t in self._tickets(self.store.tickets_in_status(QUEUED_STATUSES, by_due=True))]

    def unconfirmed(self) -> list[TicketRow]:
        types = [rid for rid, rt in self.rules.types.items() if rt.password_reminder]
        if not types:
            return []
        out = []
        for t in self._tickets(self.store.done_unconfirmed(tuple(types))):
            note = f"{t.reminder_count} pengingat terkirim"
            note += ("; pengingat berikutnya " + short_datetime(t.next_reminder_at, self.tz)) if t.next_reminder_at \
                else "; pengingat dihentikan, perlu ditindaklanjuti petugas"
            out.append(self.row(t, note))
        return out

    def done(self) -> list[TicketRow]:
        return [self.row(t) for t in self._tickets(self.store.tickets_closed_since(self.since))]

    def closures(self) -> list[tuple[str, str]]:
        """Weekdays ahead on which the office is closed, and special hours starting soon."""
        today = self.now.astimezone(self.calendar.tz).date()
        out = []
        for i in range(1, max(0, self.config.digest.closures_days) + 1):
            day = today + dt.timedelta(days=i)
            if day.weekday() < 5 and not self.calendar.is_working_day(day):
                out.append((format_date_id(day), self.calendar.holiday_name(day) or "Libur kantor"))
        for sp in self.config.working_hours.special:
            start = dt.date.fromisoformat(sp.start)
            if today < start <= today + dt.timedelta(days=self.config.digest.closures_days):
                out.append((format_date_id(start), f"mulai jam kerja khusus: {sp.name} (s.d. {sp.end})"))
        return out

    def suppressed(self) -> list[MailRow]:
        rows = self.store.mails_since(("suppressed", "duplicate", "foreign_note"), self.since)
        return [MailRow(short_datetime(parse_iso(r["processed_at"]), self.tz), _clean(r["sender"], 80),
                        _clean(r["subject"]), _clean(f"{r['rule'] or ''}: {r['reason'] or ''}".strip(": ")),
                        r["ticket_id"] or "") for r in rows]

    def quarantined(self) -> list[MailRow]:
        rows = self.store.open_quarantine()
        return [MailRow(short_datetime(parse_iso(r["created_at"]), self.tz), _clean(r["sender"], 80),
                        _clean(r["subject"]), _clean(f"#{r['id']} ({r['mailbox']}): {r['reason']}", 200)) for r in rows]

    def rejected(self) -> list[MailRow]:
        rows = self.store.events_since(("command_rejected", "command_failed"), self.since)
        out = []
        for r in rows:
            d = json.loads(r["detail"] or "{}")
            what = "ditolak (pengirim tidak terverifikasi)" if r["kind"] == "command_rejected" else "gagal"
            out.append(MailRow(short_datetime(parse_iso(r["at"]), self.tz), _clean(r["actor"], 80),
                               _clean(f"#{d.get('command', '?')} {what}"), _clean(d.get("reason", ""), 200),
                               r["ticket_id"] or ""))
        return out

    def undelivered(self) -> list[MailRow]:
        rows = self.store.undelivered_outbox()
        deferred = "ditunda: batas balasan otomatis per jam tercapai; terkirim otomatis bila kuota tersedia"
        return [MailRow(short_datetime(parse_iso(r["created_at"]), self.tz), _clean(", ".join(json.loads(r["recipients"])), 80),
                        MAIL_KINDS.get(r["kind"], r["kind"]),
                        _clean(deferred if r["status"] == "deferred" else r["last_error"], 200), r["ticket_id"] or "")
                for r in rows]


def collect(store: Store, replies: ReplyService, now: dt.datetime | None = None,
            since: dt.datetime | None = None) -> Digest:
    """Every section, as of ``now``, for the period since the last digest (on a fresh install:
    since the first ticket or mail, so the first digest shows everything already there)."""
    now = now or store.now()
    since = since or last_digest_at(store) or first_activity(store) or now - dt.timedelta(days=1)
    tz = replies.config.helpdesk.timezone
    c = Collector(store, replies, now, since)
    d = Digest(now=now, since=since, title=f"Ringkasan Harian Helpdesk {replies.config.helpdesk.name}",
               period=f"{format_datetime_id(since, tz)} s.d. {format_datetime_id(now, tz)}",
               outage=outages.announcement(store, tz), max_rows=max(1, replies.config.digest.max_rows))
    # Order matters: each ticket lands in the first section that claims it.
    d.overdue = c.overdue()
    d.attention = c.attention()
    d.new = c.new()
    d.waiting = c.waiting()
    d.onboarding = c.onboarding()
    d.queued = c.queued()
    d.unconfirmed = c.unconfirmed()
    d.done = c.done()
    d.closures = c.closures()
    d.suppressed, d.quarantined, d.rejected, d.undelivered = c.suppressed(), c.quarantined(), c.rejected(), c.undelivered()
    d.news = has_news(store, d)
    return d


def first_activity(store: Store) -> dt.datetime | None:
    found = [t for t in (store.first_ticket_at(), store.first_mail_at()) if t is not None]
    return min(found) - dt.timedelta(seconds=1) if found else None


def has_news(store: Store, d: Digest) -> bool:
    """Anything since the last digest: tickets opened or closed, mail not answered, commands
    refused, mail undelivered or quarantined, a ticket newly overdue, an outage declared."""
    if d.new or d.done or d.suppressed or d.rejected:
        return True
    return store.activity_since(d.since, d.now)


# ---------------------------------------------------------------------------------------------
# Rendering and sending


def recipients(replies: ReplyService) -> list[str]:
    """digest.recipients, else every staff address."""
    cfg = replies.config
    return list(cfg.digest.recipients or cfg.staff.addresses)


def subject(d: Digest, tz: str) -> str:
    # Short date: a subject over 78 characters gets folded by the email package in a way some
    # clients show with a leading space.
    local = d.now.astimezone(ZoneInfo(tz)).date()
    return (f"[Ringkasan Helpdesk] {local:%d/%m/%Y}: {len(d.overdue)} terlambat, {d.new_count} baru, "
            f"{len(d.queued)} antre")


def render(replies: ReplyService, d: Digest) -> tuple[str, str]:
    """(plain text, HTML) of the digest."""
    r = replies.renderer()
    text = r.render_text("digest", d=d)
    html = r.render_html("digest", d=d) or ""
    return text, html


def build(replies: ReplyService, d: Digest, to: list[str]) -> Outgoing:
    """The digest as a mail: text and HTML alternatives, to every recipient."""
    out = replies.renderer().build(template="digest", to=", ".join(to),
                                    subject=subject(d, replies.config.helpdesk.timezone),
                                    kind="digest", automatic=False, d=d)
    out.recipients = list(to)
    return out


def last_digest_at(store: Store) -> dt.datetime | None:
    return parse_iso(store.get_state(STATE_LAST_AT))


def local_date(when: dt.datetime, tz: str) -> dt.date:
    return when.astimezone(ZoneInfo(tz)).date()


def send(store: Store, replies: ReplyService, now: dt.datetime | None = None, scheduled: bool = False) -> str | None:
    """Queue the digest now and remember when (one transaction); the Message-ID, or None.

    None when nobody is configured to receive it, or, for ``scheduled``, when today's digest
    is not due (checked again inside the write lock, so a retried tick never sends it twice).
    """
    to = recipients(replies)
    if not to:
        # Scheduled: every tick would say it again, so only a manual --send warns.
        (log.debug if scheduled else log.warning)("digest_no_recipients",
                                                  hint="set [digest] recipients or [staff] addresses")
        return None
    now = now or store.now()
    with store.transaction():
        if scheduled and not due(store, replies, now):
            return None
        d = collect(store, replies, now)
        if scheduled and not d.news:
            # Nothing new: no mail today (staff would learn to ignore it); tomorrow's covers both days.
            store.set_state(STATE_LAST_DATE, local_date(now, replies.config.helpdesk.timezone).isoformat())
            store.add_event(None, "digest_skipped", reason="nothing new since the last digest")
            log.info("digest_skipped", reason="nothing new")
            return None
        out = build(replies, d, to)
        replies.to_staff(out)
        store.set_state(STATE_LAST_AT, iso(now))
        store.set_state(STATE_LAST_DATE, local_date(now, replies.config.helpdesk.timezone).isoformat())
        store.add_event(None, "digest_sent", recipients=to, new=d.new_count, queued=len(d.queued),
                        overdue=len(d.overdue), quarantined=len(d.quarantined), suppressed=len(d.suppressed))
    log.info("digest_queued", recipients=len(to), new=d.new_count, queued=len(d.queued), overdue=len(d.overdue))
    return out.message_id


def due(store: Store, replies: ReplyService, now: dt.datetime) -> bool:
    """Whether today's scheduled digest is due: a working day, past digest.time, not yet sent."""
    cfg = replies.config
    if not cfg.digest.time:
        return False
    tz = cfg.helpdesk.timezone
    today = local_date(now, tz)
    if store.get_state(STATE_LAST_DATE) == today.isoformat():
        return False
    if not replies.calendar.is_working_day(today):
        return False
    hh, mm = (int(x) for x in cfg.digest.time.split(":"))
    return now.astimezone(ZoneInfo(tz)).time() >= dt.time(hh, mm)


__all__ = ["Digest", "collect", "render", "build", "send", "due", "recipients", "last_digest_at"]

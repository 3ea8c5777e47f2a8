"""The monthly report: volume, response and resolution times in working hours, suppressions.

Definitions (the report prints them too, so nobody has to guess):

- **The month** is a calendar month in the helpdesk's time zone (WIB): a ticket belongs to the
  month it was *created* in, and its times are followed to now (a ticket from the 30th that was
  closed on the 2nd of the next month counts, with its real time, in the month it arrived).
- **First response**: working hours from the ticket's creation to the first notice a staff member
  sent the requester (``notice_*`` in the outbox: proses, selesai, tolak, catatan). The automatic
  acknowledgement is not a response by a person and is left out.
- **Resolution**: working hours from the moment the ticket's clock started (``start_at``: the
  first opening after the documents were complete) to its closing (selesai or ditolak). Time
  spent waiting for the requester's documents is not the helpdesk's.
- **Working hours** are the office calendar's (office_hours.py: nights, breaks, weekends,
  holidays, cuti bersama and Ramadan hours excluded).
- **Within target**: the resolution target is the type's ``due_hours`` in rules/ (0 = none), the
  response target its ``response_hours`` (0 = none; the SLA sets no response deadline). The share
  counts tickets measured against the target plus open tickets already past it (they failed too);
  open tickets still inside it are "pending" and left out.
- Tickets a rule refused on arrival (``refuse = true``, e.g. Sub Agency) are counted in the volume
  but not in the times: nobody had to act.
- **Agency**: the requester's mail domain, reduced to the registered domain (``x.go.id``,
  ``x.ac.id``, ``x.com``), named by ``[report] agency_names``; a free-mail address (Gmail,
  Yahoo, ...) says nothing about the agency, so the form's ``satuan_kerja`` is used when present,
  else "Email pribadi (instansi tidak diketahui)".
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import structlog

from .office_hours import OfficeCalendar, format_datetime_id
from .redact import redact

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .reply_service import ReplyService
    from .replies import Outgoing
    from .ruleset import RuleSet
    from .store import Store, Ticket

log = structlog.get_logger("helpdesk_bot.report")

#: State-table key: the month ("2026-11") whose report was last queued by the clock.
STATE_LAST_MONTH = "report.last_month"

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")

#: Free-mail providers: their domain names no agency.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.id", "ymail.com", "rocketmail.com", "hotmail.com",
    "outlook.com", "outlook.co.id", "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "proton.me",
    "protonmail.com", "mail.com", "gmx.com", "yandex.com", "zoho.com",
})
#: Second-level suffixes under which the registered domain has three labels (x.go.id).
SECOND_LEVEL = frozenset({"go.id", "ac.id", "co.id", "or.id", "sch.id", "mil.id", "web.id", "net.id", "my.id",
                          "biz.id", "desa.id", "ponpes.id", "co.uk", "ac.uk", "gov.uk"})
PERSONAL = "Email pribadi (instansi tidak diketahui)"
NO_ADDRESS = "(tanpa alamat email)"
#: Agencies shown by name; the rest are summed as "lainnya".
MAX_AGENCIES = 15

OUTCOME_LABELS = {
    "ticket": "Tiket baru", "followup": "Tanggapan pada tiket", "suppressed": "Tidak dijawab (otomatis)",
    "duplicate": "Duplikat", "quarantined": "Karantina", "command": "Perintah petugas",
}


@dataclass(frozen=True)
class Month:
    """One calendar month in the helpdesk's time zone."""

    year: int
    month: int
    tz: str

    @classmethod
    def parse(cls, text: str, tz: str) -> Month:
        """"2026-11" -> Month; ValueError naming the expected form."""
        try:
            year, month = (int(x) for x in text.strip().split("-"))
            if not (2000 <= year <= 2100 and 1 <= month <= 12):
                raise ValueError
        except ValueError:
            raise ValueError(f"expected a month like 2026-11, got {text!r}") from None
        return cls(year, month, tz)

    @classmethod
    def previous(cls, now: dt.datetime, tz: str) -> Month:
        local = now.astimezone(ZoneInfo(tz))
        return cls(local.year - 1, 12, tz) if local.month == 1 else cls(local.year, local.month - 1, tz)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{MONTHS_ID[self.month - 1]} {self.year}"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=ZoneInfo(self.tz))

    @property
    def end(self) -> dt.datetime:
        nxt = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return dt.datetime(*nxt, 1, tzinfo=ZoneInfo(self.tz))

    def days(self) -> list[dt.date]:
        d, out = self.start.date(), []
        while d < self.end.date():
            out.append(d)
            d += dt.timedelta(days=1)
        return out


# ---------------------------------------------------------------------------------------------
# Agencies


def registered_domain(domain: str) -> str:
    labels = [x for x in domain.lower().strip(". ").split(".") if x]
    n = 3 if ".".join(labels[-2:]) in SECOND_LEVEL else 2
    return ".".join(labels[-n:])


def agency_names(config: Config) -> dict[str, str]:
    """[report] agency_names as {domain: name} (validated at load: "domain = name")."""
    out = {}
    for entry in config.report.agency_names:
        domain, _, name = entry.partition("=")
        out[domain.strip().lower()] = name.strip()
    return out


def agency_of(requester: str, fields: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """Which agency a ticket came from (see the module docstring for the rule)."""
    names = names or {}
    local, at, domain = (requester or "").strip().strip("<>").rpartition("@")
    if not at or not local or not domain:
        return NO_ADDRESS
    domain = domain.lower().strip(". ")
    if domain in FREE_MAIL or domain.split(".")[0] in ("yahoo", "hotmail", "outlook"):
        unit = " ".join(str(fields.get("satuan_kerja") or "").split())
        return _short(redact(unit), 60) if unit else PERSONAL
    reg = registered_domain(domain)
    return names.get(domain) or names.get(reg) or reg


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Figures


@dataclass
class Times:
    """Working-hour durations of one group, and how many were judged against a target and met it."""

    hours: list[float] = field(default_factory=list)
    #: The group's target in working hours (0: none; the "all types" row keeps 0 and sums its types).
    target: float = 0.0
    #: Tickets judged against a target: measured ones of a type with a target, plus open ones already past it.
    judged: int = 0
    within: int = 0
    #: Tickets not measured yet (no response / not closed) and not already late.
    pending: int = 0

    def record(self, hours: float, target: float) -> None:
        self.hours.append(hours)
        if target:
            self.judged += 1
            self.within += hours <= target + 1e-9

    def late(self) -> None:
        self.judged += 1

    @property
    def count(self) -> int:
        return len(self.hours)

    @property
    def median(self) -> float | None:
        return statistics.median(self.hours) if self.hours else None

    @property
    def p90(self) -> float | None:
        """Nearest-rank 90th percentile: a duration some ticket really had."""
        if not self.hours:
            return None
        s = sorted(self.hours)
        return s[max(0, math.ceil(0.9 * len(s)) - 1)]

    @property
    def maximum(self) -> float | None:
        return max(self.hours) if self.hours else None

    @property
    def share(self) -> float | None:
        """Share within target (0-1); None when no ticket was judged against one."""
        return self.within / self.judged if self.judged else None


@dataclass
class TypeRow:
    type_id: str
    name: str
    created: int = 0
    closed: int = 0
    open: int = 0
    refused_on_arrival: int = 0
    response: Times = field(default_factory=Times)
    resolution: Times = field(default_factory=Times)


@dataclass
class Report:
    month: Month
    now: dt.datetime
    title: str
    period: str
    generated: str
    types: list[TypeRow]
    total: TypeRow
    agencies: list[tuple[str, int]]
    per_day: list[tuple[dt.date, int]]
    #: Aligned with per_day: whether the office opened that day.
    working_days: list[bool]
    outcomes: list[tuple[str, int]]
    suppressed_by_rule: list[tuple[str, int]]
    quarantined_in_month: int
    quarantine_open: int
    #: Type names without a response target / without a resolution target.
    no_response_target: list[str]
    no_resolution_target: list[str]
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def timed_types(self) -> list[TypeRow]:
        """Types with a ticket someone had to act on (refused-on-arrival-only types have no times)."""
        return [t for t in self.types if t.created > t.refused_on_arrival]

    @property
    def suppressed(self) -> int:
        return sum(n for _r, n in self.suppressed_by_rule)

    @property
    def summary(self) -> list[tuple[str, str]]:
        t = self.total
        return [("Tiket baru", str(t.created)), ("Selesai/ditolak", str(t.closed)), ("Masih terbuka", str(t.open)),
                ("Tanggapan pertama (median)", hours_text(t.response.median)),
                ("Penyelesaian (median)", hours_text(t.resolution.median)),
                ("Selesai dalam target", percent_text(t.resolution.share)),
                ("Email tidak dijawab", str(self.suppressed)), ("Karantina terbuka", str(self.quarantine_open))]


def hours_text(h: float | None) -> str:
    """"3,5 jam kerja", "25 menit kerja", "-": Indonesian decimals use a comma."""
    if h is None:
        return "-"
    if h < 1:
        return f"{round(h * 60)} menit kerja"
    return f"{h:.1f}".replace(".", ",") + " jam kerja"


def percent_text(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def target_text(target: float) -> str:
    return hours_text(target) if target else "tidak ada"


def within_text(t: Times) -> str:
    """"3 dari 4 (75%)", or why there is no share."""
    if not t.judged:
        return "tidak ada target" if not t.target else "belum ada"
    return f"{t.within} dari {t.judged} ({percent_text(t.share)})"


class Collector:
    """Reads the figures of one month from the database (read-only)."""

    def __init__(self, store: Store, config: Config, rules: RuleSet, calendar: OfficeCalendar, month: Month,
                 now: dt.datetime):
        self.store = store
        self.config = config
        self.rules = rules
        self.calendar = calendar
        self.month = month
        self.now = now

    def tickets(self) -> list[Ticket]:
        return self.store.tickets_created_in(self.month.start, self.month.end)

    def first_responses(self) -> dict[str, dt.datetime]:
        """Ticket id -> when the first staff notice to the requester was queued."""
        return self.store.first_notices(self.month.start, self.month.end)

    def hours(self, a: dt.datetime, b: dt.datetime) -> float:
        return max(0.0, self.calendar.working_hours_between(a, b))

    def by_type(self, tickets: list[Ticket]) -> tuple[list[TypeRow], TypeRow]:
        responses = self.first_responses()
        rows: dict[str, TypeRow] = {}
        total = TypeRow("", "Semua jenis")
        for t in tickets:
            rt = self.rules.types.get(t.request_type)
            row = rows.get(t.request_type)
            if row is None:
                row = rows[t.request_type] = TypeRow(t.request_type, rt.name if rt else t.request_type)
                row.response.target = rt.response_hours if rt else 0.0
                row.resolution.target = rt.due_hours if rt and not rt.refuse else 0.0
            for r in (row, total):
                r.created += 1
                r.closed += t.closed_at is not None
                r.open += t.closed_at is None
            if rt is not None and rt.refuse:
                row.refused_on_arrival += 1
                total.refused_on_arrival += 1
                continue
            self._response(t, responses.get(t.id), row, total)
            self._resolution(t, row, total)
        ordered = sorted(rows.values(), key=lambda r: (-r.created, r.name))
        return ordered, total

    def _response(self, t: Ticket, first: dt.datetime | None, row: TypeRow, total: TypeRow) -> None:
        target = row.response.target
        if first is not None:
            h = self.hours(t.created_at, first)
            for times in (row.response, total.response):
                times.record(h, target)
        elif target and self.hours(t.created_at, self.now) > target:
            row.response.late()
            total.response.late()
        else:
            row.response.pending += 1
            total.response.pending += 1

    def _resolution(self, t: Ticket, row: TypeRow, total: TypeRow) -> None:
        target = row.resolution.target
        start = t.start_at or t.created_at
        if t.closed_at is not None:
            h = self.hours(start, t.closed_at)
            for times in (row.resolution, total.resolution):
                times.record(h, target)
        elif target and self.hours(start, self.now) > target:
            row.resolution.late()
            total.resolution.late()
        else:
            row.resolution.pending += 1
            total.resolution.pending += 1

    def agencies(self, tickets: list[Ticket]) -> list[tuple[str, int]]:
        names = agency_names(self.config)
        counts = Counter(agency_of(t.requester, t.fields, names) for t in tickets)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(ranked) > MAX_AGENCIES:
            rest = sum(n for _a, n in ranked[MAX_AGENCIES - 1:])
            ranked = ranked[: MAX_AGENCIES - 1] + [(f"Lainnya ({len(ranked) - MAX_AGENCIES + 1} instansi)", rest)]
        return ranked

    def per_day(self, tickets: list[Ticket]) -> list[tuple[dt.date, int]]:
        tz = ZoneInfo(self.month.tz)
        counts = Counter(t.created_at.astimezone(tz).date() for t in tickets)
        return [(d, counts.get(d, 0)) for d in self.month.days()]

    def outcomes(self) -> list[tuple[str, int]]:
        return [(OUTCOME_LABELS.get(outcome, outcome), n)
                for outcome, n in self.store.outcome_counts(self.month.start, self.month.end)]

    def suppressed_by_rule(self) -> list[tuple[str, int]]:
        return [(_short(redact(rule), 60), n) for rule, n in self.store.suppressions_by_rule(self.month.start, self.month.end)]

    def quarantine(self) -> tuple[int, int]:
        """(entries created in the month, entries open now)."""
        return self.store.quarantined_between(self.month.start, self.month.end), self.store.count_quarantine("open")


def collect(store: Store, config: Config, rules: RuleSet, calendar: OfficeCalendar, month: Month,
            now: dt.datetime | None = None) -> Report:
    """Every figure of the report for ``month``, as of ``now``."""
    now = now or store.now()
    c = Collector(store, config, rules, calendar, month, now)
    tickets = c.tickets()
    types, total = c.by_type(tickets)
    q_month, q_open = c.quarantine()
    tz = config.helpdesk.timezone
    last_day = month.end - dt.timedelta(days=1)
    return Report(
        month=month, now=now, title=f"Laporan Bulanan Helpdesk {config.helpdesk.name}",
        period=f"1 s.d. {last_day.day} {month.label}", generated=format_datetime_id(now, tz),
        types=types, total=total, agencies=c.agencies(tickets), per_day=c.per_day(tickets),
        working_days=[calendar.is_working_day(d) for d in month.days()], outcomes=c.outcomes(),
        suppressed_by_rule=c.suppressed_by_rule(), quarantined_in_month=q_month, quarantine_open=q_open,
        no_response_target=sorted(r.name for r in types if not r.response.target and r.created > r.refused_on_arrival),
        no_resolution_target=sorted(r.name for r in types if not r.resolution.target and r.created > r.refused_on_arrival),
    )


# ---------------------------------------------------------------------------------------------
# Rendering


def for_service(replies: ReplyService, month: Month, now: dt.datetime | None = None) -> Report:
    """``collect`` with the reply service's database, configuration, rules and calendar."""
    return collect(replies.store, replies.config, replies.rules, replies.calendar, month, now)


def _context(r: Report, charts: dict[str, str], letter: bool) -> dict[str, Any]:
    return dict(r=r, charts=charts, letter=letter, h=hours_text, pct=percent_text, target=target_text,
                within=within_text)


def render_text(replies: ReplyService, r: Report, letter: bool = False) -> str:
    """The plain-text report (the terminal output, and the mail's text alternative with ``letter``)."""
    return replies.renderer().render_text("report", **_context(r, {}, letter))


def render_html(replies: ReplyService, r: Report) -> str:
    """A standalone HTML page: the charts are data: URIs, so the file needs nothing else."""
    from . import report_charts

    charts = r.charts or report_charts.draw_all(r)
    srcs = {name: report_charts.data_uri(png) for name, png in charts.items()}
    return replies.renderer().render_html("report", **_context(r, srcs, False)) or ""


def subject(r: Report) -> str:
    share = r.total.resolution.share
    tail = f", {percent_text(share)} selesai dalam target" if share is not None else ""
    return f"[Laporan Helpdesk] {r.month.label}: {r.total.created} tiket{tail}"


def build(replies: ReplyService, r: Report, to: list[str]) -> Outgoing:
    """The report as a letter to staff: text, and HTML whose charts are inline images (cid:).

    Mail clients (Gmail, Outlook) block data: URIs in mail, so the mail carries the PNGs as
    multipart/related parts instead of the standalone page's data: URIs.
    """
    import secrets

    from . import report_charts

    charts = r.charts or report_charts.draw_all(r)
    domain = replies.config.helpdesk.message_id_domain
    # Short ids: a Content-ID folded onto a second line is legal, but some clients then miss it.
    token = secrets.token_hex(6)
    cids = {name: f"{name.replace('_', '-')}.{token}@{domain}" for name in charts}
    out = replies.renderer().build(template="report", to=", ".join(to), subject=subject(r), kind="report",
                                    automatic=False, **_context(r, {n: f"cid:{c}" for n, c in cids.items()}, True))
    _inline_images(out.message, {cids[name]: (f"{name}.png", png) for name, png in charts.items()})
    out.recipients = list(to)
    return out


def _inline_images(msg: Any, images: dict[str, tuple[str, bytes]]) -> None:
    """Turn multipart/alternative(text, html) into alternative(text, related(html, images...))."""
    from email.mime.image import MIMEImage
    from email.mime.multipart import MIMEMultipart

    if not images or msg.get_content_type() != "multipart/alternative":
        return
    text, html = msg.get_payload()
    related = MIMEMultipart("related")
    related.attach(html)
    for cid, (filename, png) in images.items():
        part = MIMEImage(png, "png")
        part["Content-ID"] = f"<{cid}>"
        part.add_header("Content-Disposition", "inline", filename=filename)
        related.attach(part)
    msg.set_payload([text, related])


# ---------------------------------------------------------------------------------------------
# The monthly mail


def recipients(config: Config) -> list[str]:
    """[report] recipients; empty means no monthly mail (unlike the digest, no fallback to staff)."""
    return list(config.report.recipients)


def due_month(store: Store, replies: ReplyService, now: dt.datetime) -> Month | None:
    """The month whose report the clock should send at ``now``, or None.

    Due on the first working day on or after ``[report] day``, at or after ``[report] time``, once
    per month (the state table remembers the month, so restarts neither repeat nor skip it).
    """
    cfg = replies.config
    if not cfg.report.recipients:
        return None
    tz = cfg.helpdesk.timezone
    local = now.astimezone(ZoneInfo(tz))
    month = Month.previous(now, tz)
    if store.get_state(STATE_LAST_MONTH) == month.key:
        return None
    if local.day < cfg.report.day or not replies.calendar.is_working_day(local.date()):
        return None
    hh, mm = (int(x) for x in cfg.report.time.split(":"))
    return month if local.time() >= dt.time(hh, mm) else None


def send(store: Store, replies: ReplyService, month: Month | None = None, now: dt.datetime | None = None,
         scheduled: bool = False) -> str | None:
    """Queue the report mail (outbox, like the digest); its Message-ID, or None when not sent.

    The figures and charts are drawn before the write transaction (a second or so of matplotlib
    must not hold the database's write lock); inside it the state is checked again, so two
    ticks, or a tick and ``report --send``, never queue one month twice.
    """
    to = recipients(replies.config)
    if not to:
        if not scheduled:
            log.warning("report_no_recipients", hint="set [report] recipients")
        return None
    now = now or store.now()
    if scheduled:
        month = due_month(store, replies, now)
        if month is None:
            return None
    month = month or Month.previous(now, replies.config.helpdesk.timezone)
    from . import report_charts

    r = for_service(replies, month, now)
    r.charts = report_charts.draw_all(r)
    out = build(replies, r, to)
    with store.transaction():
        if scheduled and store.get_state(STATE_LAST_MONTH) == month.key:
            return None
        replies.to_staff(out)
        if month == Month.previous(now, replies.config.helpdesk.timezone):
            store.set_state(STATE_LAST_MONTH, month.key)
        store.add_event(None, "report_sent", month=month.key, recipients=to, tickets=r.total.created,
                        scheduled=scheduled)
    log.info("report_queued", month=month.key, recipients=len(to), tickets=r.total.created)
    return out.message_id


__all__ = ["Month", "Report", "agency_of", "collect", "for_service", "render_text", "render_html", "build", "send",
           "due_month", "hours_text"]

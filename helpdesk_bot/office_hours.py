"""The office calendar: when the helpdesk staff are at their desks (pure logic, no I/O).

Replies promise answers "within N working hours" and reminders are spaced in working hours,
so every deadline has to skip nights, breaks, weekends, public holidays and *cuti bersama*
(collective leave), and follow the hours the province publishes for Ramadan.

Rules, in order of precedence for one local date:

1. ``closed_dates``: closed all day (for decrees newer than the ``holidays`` package).
2. A holiday of the ``holidays`` package (``holiday_categories``, by default public +
   government = cuti bersama) is closed, unless the date is listed in ``open_dates``.
3. The spans of the first ``special`` range (``start..end`` inclusive) containing the date
   replace the weekly spans for that weekday; otherwise the weekly spans apply.
4. A date in ``open_dates`` that still has no spans (a weekend day turned into a working day,
   as happens when a decree swaps days) gets the Monday spans of the rules in force that day
   (Monday-Thursday hours are the same in Indonesian government offices).

Spans are half-open: open at ``start``, closed again at ``end``. A break is the gap between
two spans. Internally every comparison is done in UTC, because Python compares two datetimes
sharing one tzinfo by wall clock, which would be wrong for a zone with DST.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date, format_datetime

from helpdesk_bot.config import SpecialHours, WorkingHoursConfig

#: Days searched for an opening before giving up: a config closing every day must not hang.
MAX_CLOSED_DAYS = 400

#: Shown by ``holiday_name`` for a date closed by the local ``closed_dates`` list.
LOCAL_CLOSURE_NAME = "Libur kantor"

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

#: Indonesian zone abbreviations; babel's own names ("Waktu Indonesia Barat") are too long.
_INDONESIAN_ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

#: A span as minutes after local midnight, end exclusive (1440 = 24:00).
MinuteSpan = tuple[int, int]


def _parse_span(text: str) -> MinuteSpan:
    """``"07:30-12:00"`` -> (450, 720); ValueError so a bad span fails at start-up, not at 3 am."""
    m = _SPAN_RE.match(text)
    if not m:
        raise ValueError(f'expected a span like "07:30-12:00", got {text!r}')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 >= 60 or m2 >= 60 or not 0 <= start < end <= 24 * 60:
        raise ValueError(f"expected a span within one day with start < end, got {text!r}")
    return start, end


def _parse_day(spans: tuple[str, ...]) -> tuple[MinuteSpan, ...]:
    """Sorted spans of one weekday; overlapping spans are an error, they hide a typo."""
    parsed = sorted(_parse_span(s) for s in spans)
    for (_, end), (start, _) in zip(parsed, parsed[1:]):
        if start < end:
            raise ValueError(f"overlapping spans: {spans!r}")
    return tuple(parsed)


def _parse_week(obj: WorkingHoursConfig | SpecialHours) -> tuple[tuple[MinuteSpan, ...], ...]:
    """Seven tuples of spans, index 0 = Monday, as ``date.weekday()`` counts."""
    return tuple(_parse_day(getattr(obj, name)) for name in _WEEKDAYS)


def _require_aware(when: datetime) -> None:
    """Naive datetimes are refused: guessing their zone is how deadlines drift by 7 hours."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {when!r}")


class _SpecialRange:
    """One parsed ``SpecialHours`` entry (inclusive date range)."""

    def __init__(self, sp: SpecialHours):
        self.name = sp.name
        self.start = date.fromisoformat(sp.start)
        self.end = date.fromisoformat(sp.end)
        if self.end < self.start:
            raise ValueError(f"special hours {sp.name!r}: end {sp.end} is before start {sp.start}")
        self.week = _parse_week(sp)

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


class OfficeCalendar:
    """Opening hours of the helpdesk office, in its local time zone."""

    def __init__(self, wh: WorkingHoursConfig, timezone: str = "Asia/Jakarta"):
        self.tz = ZoneInfo(timezone)
        self._categories = tuple(wh.holiday_categories)
        self._week = _parse_week(wh)
        self._special = tuple(_SpecialRange(sp) for sp in wh.special)
        self._closed = frozenset(date.fromisoformat(d) for d in wh.closed_dates)
        self._open = frozenset(date.fromisoformat(d) for d in wh.open_dates)
        self._holidays: dict[int, holidays.HolidayBase] = {}
        #: Open spans of a day, computed once: every reply asks for the same few days.
        self._minute_cache: dict[date, tuple[MinuteSpan, ...]] = {}

    # ---------------------------------------------------------------- days

    def _holidays_for(self, year: int) -> holidays.HolidayBase:
        """Holidays of one year, built once: the package computes lunar dates on each build."""
        if year not in self._holidays:
            self._holidays[year] = holidays.country_holidays(
                "ID", years=year, categories=self._categories, language="id"
            )
        return self._holidays[year]

    def _package_holiday(self, day: date) -> str | None:
        return self._holidays_for(day.year).get(day)

    def holiday_name(self, day: date) -> str | None:
        """Why the office is closed on ``day`` although it is a weekday, for replies to people.

        ``closed_dates`` give "Libur kantor"; a package holiday listed in ``open_dates`` gives
        None because the office is open that day.
        """
        if day in self._closed:
            return LOCAL_CLOSURE_NAME
        if day in self._open:
            return None
        return self._package_holiday(day)

    def _week_for(self, day: date) -> tuple[tuple[MinuteSpan, ...], ...]:
        """The weekly table in force on ``day``: the first special range covering it, or the default."""
        for special in self._special:
            if special.covers(day):
                return special.week
        return self._week

    def _minute_spans(self, day: date) -> tuple[MinuteSpan, ...]:
        """Open spans of ``day`` as minutes, after holidays, closures and open dates (once a day:
        asking the holidays package is the slow part, and every reply asks for the same days)."""
        spans = self._minute_cache.get(day)
        if spans is None:
            if len(self._minute_cache) > 4096:  # a calendar lives as long as the daemon
                self._minute_cache.clear()
            spans = self._minute_cache[day] = self._compute_minute_spans(day)
        return spans

    def _compute_minute_spans(self, day: date) -> tuple[MinuteSpan, ...]:
        if day in self._closed:
            return ()
        if day not in self._open and self._package_holiday(day) is not None:
            return ()
        week = self._week_for(day)
        spans = week[day.weekday()]
        if not spans and day in self._open:
            spans = week[0]
        return spans

    def is_working_day(self, day: date) -> bool:
        """True when the office opens at some moment of ``day``."""
        return bool(self._minute_spans(day))

    def _local(self, day: date, minute: int) -> datetime:
        """Local aware datetime ``minute`` minutes after midnight (1440 = next midnight)."""
        if minute >= 24 * 60:
            return datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    def spans_for(self, day: date) -> list[tuple[datetime, datetime]]:
        """Open spans of ``day`` as local aware datetimes, [start, end)."""
        return [(self._local(day, s), self._local(day, e)) for s, e in self._minute_spans(day)]

    def _utc_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(s.astimezone(dt_timezone.utc), e.astimezone(dt_timezone.utc)) for s, e in self.spans_for(day)]

    def _local_date(self, when: datetime) -> date:
        _require_aware(when)
        return when.astimezone(self.tz).date()

    # ---------------------------------------------------------------- moments

    def is_open(self, when: datetime) -> bool:
        """True when staff are at their desks at ``when`` (any zone; naive -> ValueError)."""
        day = self._local_date(when)
        utc = when.astimezone(dt_timezone.utc)
        return any(s <= utc < e for s, e in self._utc_spans(day))

    def _spans_from(self, when: datetime):
        """UTC spans ending after ``when``, in order; ValueError after MAX_CLOSED_DAYS without one.

        Yields forever while the office keeps opening: callers stop when they have what they need.
        """
        day = self._local_date(when)
        utc = when.astimezone(dt_timezone.utc)
        closed_run = 0
        while True:
            spans = [(s, e) for s, e in self._utc_spans(day) if e > utc]
            if spans:
                closed_run = 0
                yield from spans
            else:
                closed_run += 1
                if closed_run > MAX_CLOSED_DAYS:
                    raise ValueError(
                        f"office closed for more than {MAX_CLOSED_DAYS} days after {when.isoformat()}:"
                        " check working_hours, closed_dates and special"
                    )
            day += timedelta(days=1)

    def next_opening(self, when: datetime) -> datetime:
        """``when`` itself if open, else the next moment the office opens (local time zone)."""
        _require_aware(when)
        utc = when.astimezone(dt_timezone.utc)
        for start, _end in self._spans_from(when):
            return max(start, utc).astimezone(self.tz)
        raise AssertionError("unreachable: _spans_from raises or yields")  # pragma: no cover

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest moment by which ``hours`` of open time have passed since ``start``.

        Zero hours gives ``start`` itself; a deadline that ends exactly at closing time is that
        closing time (e.g. 16:00), not the next morning. Result in the local time zone.
        """
        _require_aware(start)
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"expected a finite number of hours >= 0, got {hours!r}")
        remaining = timedelta(hours=hours)
        if not remaining:
            return start.astimezone(self.tz)
        utc = start.astimezone(dt_timezone.utc)
        for span_start, span_end in self._spans_from(start):
            begin = max(span_start, utc)
            available = span_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: _spans_from raises or yields")  # pragma: no cover

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Open hours between ``a`` and ``b``; negative when ``b`` is before ``a``."""
        _require_aware(a)
        _require_aware(b)
        if b < a:
            return -self.working_hours_between(b, a)
        lo, hi = a.astimezone(dt_timezone.utc), b.astimezone(dt_timezone.utc)
        total = timedelta()
        day, last = self._local_date(a), self._local_date(b)
        while day <= last:
            for s, e in self._utc_spans(day):
                overlap = min(e, hi) - max(s, lo)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total / timedelta(hours=1)


# -------------------------------------------------------------------- formatting


def _zone_label(local: datetime, tz: str) -> str:
    """WIB/WITA/WIT for Indonesian zones, the zone's own abbreviation elsewhere."""
    return _INDONESIAN_ZONES.get(tz) or local.tzname() or tz


def format_datetime_id(when: datetime, tz: str = "Asia/Jakarta") -> str:
    """``"Senin, 30 November 2026 pukul 07.30 WIB"``: the form Indonesian offices write."""
    _require_aware(when)
    local = when.astimezone(ZoneInfo(tz))
    text = format_datetime(local, "EEEE, d MMMM y 'pukul' HH.mm", tzinfo=ZoneInfo(tz), locale="id")
    return f"{text} {_zone_label(local, tz)}"


def format_date_id(d: date) -> str:
    """``"Senin, 30 November 2026"``."""
    return format_date(d, "EEEE, d MMMM y", locale="id")


__all__ = ["OfficeCalendar", "format_datetime_id", "format_date_id", "LOCAL_CLOSURE_NAME", "MAX_CLOSED_DAYS"]

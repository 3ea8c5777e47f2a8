"""What an acknowledgement may promise: facts about the calendar, never a deadline the SLA lacks.

The SLA between the Balai and an Agency says requests are handled "pada jam kerja" and sets no
response time (DOMAIN.md). So a reply states what is known: when the mail was received, whether
that was within working hours, during a break, after hours or on a holiday (named), and when
work can start. A target time is stated only for a request type whose ``target_hours`` an
operator set in rules/ (0, the default, means none), rounded up to the half hour and worded as
the office's target, not as a promise. The internal ``due_at`` (``due_hours``) stays for the
staff's digest and is never shown to a requester.

Pure logic over ``OfficeCalendar``; no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from typing import TYPE_CHECKING

from .office_hours import OfficeCalendar, format_datetime_id

if TYPE_CHECKING:  # pragma: no cover
    from .ruleset import RequestType

#: Days looked back and forward for holiday names; a longer closure is named by its first days.
_MAX_NAMED_DAYS = 14


@dataclass(frozen=True)
class Promise:
    """The calendar facts of one acknowledgement, and the sentences that state them."""

    received: dt.datetime
    start: dt.datetime
    #: "open", "break" (between two spans of a working day), "closed" (night, weekend) or "holiday".
    situation: str
    #: Names of the holidays/cuti bersama that delay the start, in date order, without repeats.
    holidays: tuple[str, ...] = ()
    #: The operator's target (rounded up to the half hour), or None when the type has none.
    target: dt.datetime | None = None
    #: True when the break is Friday's (the prayer break is longer on Fridays).
    friday: bool = False
    tz: str = "Asia/Jakarta"

    @property
    def received_text(self) -> str:
        """"Senin, 30 November 2026 pukul 09.15 WIB"."""
        return format_datetime_id(self.received, self.tz)

    def start_sentence(self, noun: str = "Permohonan") -> str:
        """When work can start, in the office's words: within hours, after the break, or the next opening."""
        start = format_datetime_id(self.start, self.tz)
        if self.situation == "open":
            return f"Karena diterima pada jam kerja, {noun.lower()} ini langsung masuk antrean penanganan petugas kami."
        if self.situation == "break":
            which = "istirahat salat Jumat" if self.friday else "istirahat siang"
            return (f"Karena diterima pada waktu {which}, penanganannya dimulai setelah waktu istirahat "
                    f"berakhir, yaitu pukul {self.start.astimezone(ZoneInfo(self.tz)):%H.%M} WIB.")
        if self.situation == "holiday":
            return (f"Karena diterima di luar jam kerja dan kantor libur pada {_join_id(self.holidays)}, "
                    f"penanganannya baru dapat dimulai pada jam kerja berikutnya, yaitu {start}.")
        return (f"Karena diterima di luar jam kerja, penanganannya akan dimulai pada jam kerja berikutnya, "
                f"yaitu {start}.")

    def target_sentence(self) -> str:
        """The operator's target, worded as a target; empty when there is none."""
        if self.target is None:
            return ""
        return (f"Kami menargetkan permohonan ini selesai ditangani pada "
                f"{format_datetime_id(self.target, self.tz)}.")


def _join_id(names: tuple[str, ...]) -> str:
    """"A", "A dan B", "A, B, dan C": the Indonesian list."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]} dan {names[1]}"
    return ", ".join(names[:-1]) + f", dan {names[-1]}"


def round_up_half_hour(when: dt.datetime) -> dt.datetime:
    """11.07 -> 11.30, 11.30 -> 11.30, 11.31 -> 12.00: a target people can read at a glance."""
    base = when.replace(second=0, microsecond=0)
    minutes = base.minute + (1 if (when.second or when.microsecond) else 0)
    half = math.ceil(minutes / 30) * 30
    return base.replace(minute=0) + dt.timedelta(minutes=half)


def _situation(cal: OfficeCalendar, received: dt.datetime) -> tuple[str, bool]:
    if cal.is_open(received):
        return "open", False
    local = received.astimezone(cal.tz)
    spans = cal.spans_for(local.date())
    if spans and spans[0][0] <= local < spans[-1][1]:
        return "break", local.weekday() == 4
    return "closed", False


def delaying_holidays(cal: OfficeCalendar, received: dt.datetime, start: dt.datetime) -> tuple[str, ...]:
    """Names of holidays on the weekdays from ``received``'s date to ``start``'s (exclusive)."""
    day = received.astimezone(cal.tz).date()
    last = start.astimezone(cal.tz).date()
    names: list[str] = []
    for _ in range(_MAX_NAMED_DAYS):
        if day >= last:
            break
        name = cal.holiday_name(day)
        if name and name not in names:
            names.append(name)
        day += dt.timedelta(days=1)
    return tuple(names)


def make_promise(cal: OfficeCalendar, received: dt.datetime, target_hours: float = 0.0,
                 tz: str = "Asia/Jakarta") -> Promise:
    """The facts of one acknowledgement for a mail received at ``received``."""
    start = cal.next_opening(received)
    situation, friday = _situation(cal, received)
    names = delaying_holidays(cal, received, start) if situation == "closed" else ()
    if names:
        situation = "holiday"
    target = round_up_half_hour(cal.add_working_hours(start, target_hours)) if target_hours > 0 else None
    return Promise(received=received, start=start, situation=situation, holidays=names, target=target,
                   friday=friday, tz=tz)


def schedule(cal: OfficeCalendar, rt: RequestType, received: dt.datetime,
             tz: str = "Asia/Jakarta") -> tuple[dt.datetime, dt.datetime, Promise]:
    """(start, internal due time for the digest, the calendar facts the requester is told) of a
    request of type ``rt`` received at ``received``: the writer, corrections and reopening agree."""
    promise = make_promise(cal, received, rt.target_hours, tz)
    due = cal.add_working_hours(promise.start, rt.due_hours) if rt.due_hours else promise.start
    return promise.start, due, promise


__all__ = ["Promise", "make_promise", "round_up_half_hour", "delaying_holidays", "schedule"]

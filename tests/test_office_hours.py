"""Office calendar on real 2026 dates.

The 2026 holiday dates below were printed from holidays 0.109
(``country_holidays("ID", years=2026, categories=("public", "government"), language="id")``):
17 public holidays + 8 cuti bersama days, as DOMAIN.md says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_bot.config import SpecialHours, WorkingHoursConfig
from helpdesk_bot.office_hours import (
    LOCAL_CLOSURE_NAME,
    OfficeCalendar,
    format_date_id,
    format_datetime_id,
)

WIB = ZoneInfo("Asia/Jakarta")

#: Cuti bersama 2026 (category "government") according to the holidays package.
CUTI_BERSAMA_2026 = [
    date(2026, 2, 16),
    date(2026, 3, 18),
    date(2026, 3, 20),
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 5, 15),
    date(2026, 5, 28),
    date(2026, 12, 24),
]

#: Ramadan 1447 H as in the brief's example config (Muhammadiyah start; the government
#: isbat may start a day later: it is a config value, checked yearly by the operator).
RAMADAN_2026 = SpecialHours(
    name="Ramadan 1447 H",
    start="2026-02-18",
    end="2026-03-19",
    monday=("08:00-15:00",),
    tuesday=("08:00-15:00",),
    wednesday=("08:00-15:00",),
    thursday=("08:00-15:00",),
    friday=("08:00-15:30",),
)


def wib(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> OfficeCalendar:
    return OfficeCalendar(WorkingHoursConfig())


# ------------------------------------------------------------------ holidays 2026


def test_2026_holiday_counts_match_domain(cal: OfficeCalendar) -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    named = [d for d in days if cal.holiday_name(d)]
    cuti = [d for d in named if cal.holiday_name(d).startswith("Cuti Bersama")]
    assert len(named) == 25
    assert cuti == CUTI_BERSAMA_2026


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2026, 3, 20), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 21), "Hari Raya Idul Fitri"),
        (date(2026, 3, 22), "Hari kedua dari Hari Raya Idul Fitri"),
        (date(2026, 3, 23), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 24), "Cuti Bersama Hari Raya Idul Fitri"),
        (date(2026, 3, 19), "Hari Suci Nyepi"),
        (date(2026, 3, 18), "Cuti Bersama Hari Suci Nyepi"),
        (date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia"),
        (date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (date(2026, 12, 25), "Hari Raya Natal"),
    ],
)
def test_holiday_names_in_indonesian(cal: OfficeCalendar, day: date, name: str) -> None:
    assert cal.holiday_name(day) == name
    assert not cal.is_working_day(day)
    assert cal.spans_for(day) == []


def test_idul_fitri_week_is_skipped(cal: OfficeCalendar) -> None:
    # Tue 17 Mar open; 18 (cuti Nyepi), 19 (Nyepi), 20 (cuti), 21-22 (Idul Fitri, weekend),
    # 23-24 (cuti) closed: the office reopens Wednesday 25 March.
    assert cal.is_working_day(date(2026, 3, 17))
    for d in range(18, 25):
        assert not cal.is_working_day(date(2026, 3, d)), d
    assert cal.next_opening(wib(2026, 3, 17, 16, 0)) == wib(2026, 3, 25, 7, 30)
    assert cal.holiday_name(date(2026, 3, 25)) is None


def test_ordinary_days(cal: OfficeCalendar) -> None:
    assert cal.holiday_name(date(2026, 11, 30)) is None
    assert cal.is_working_day(date(2026, 11, 30))
    assert not cal.is_working_day(date(2026, 11, 28))  # Saturday
    assert not cal.is_working_day(date(2026, 11, 29))  # Sunday
    assert cal.holiday_name(date(2026, 11, 28)) is None  # a weekend is not a holiday


# ------------------------------------------------------------------ weekly hours


def test_friday_hours_differ(cal: OfficeCalendar) -> None:
    assert cal.is_open(wib(2026, 11, 27, 16, 15))  # Friday until 16.30
    assert not cal.is_open(wib(2026, 11, 27, 16, 30))
    for d in (23, 24, 25, 26):  # Monday-Thursday until 16.00
        assert not cal.is_open(wib(2026, 11, d, 16, 15))
        assert cal.is_open(wib(2026, 11, d, 15, 59))
    # Friday prayer break 11.30-13.30, Monday-Thursday break 12.00-13.00.
    assert cal.is_open(wib(2026, 11, 27, 11, 29))
    assert not cal.is_open(wib(2026, 11, 27, 11, 30))
    assert not cal.is_open(wib(2026, 11, 27, 13, 0))
    assert cal.is_open(wib(2026, 11, 27, 13, 30))
    assert cal.is_open(wib(2026, 11, 26, 11, 45))
    assert not cal.is_open(wib(2026, 11, 26, 12, 30))
    assert cal.is_open(wib(2026, 11, 26, 13, 0))


def test_spans_for_returns_local_datetimes(cal: OfficeCalendar) -> None:
    assert cal.spans_for(date(2026, 11, 27)) == [
        (wib(2026, 11, 27, 7, 30), wib(2026, 11, 27, 11, 30)),
        (wib(2026, 11, 27, 13, 30), wib(2026, 11, 27, 16, 30)),
    ]
    assert cal.spans_for(date(2026, 11, 28)) == []


def test_is_open_accepts_other_zones_and_refuses_naive(cal: OfficeCalendar) -> None:
    # 02:00 UTC = 09:00 WIB on Monday 30 Nov.
    assert cal.is_open(datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc))
    # 23:00 UTC Sunday = 06:00 WIB Monday: not yet open.
    assert not cal.is_open(datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc))
    with pytest.raises(ValueError):
        cal.is_open(datetime(2026, 11, 30, 9, 0))
    with pytest.raises(ValueError):
        cal.next_opening(datetime(2026, 11, 30, 9, 0))
    with pytest.raises(ValueError):
        cal.add_working_hours(datetime(2026, 11, 30, 9, 0), 1)


# ------------------------------------------------------------------ next opening


def test_friday_evening_opens_monday(cal: OfficeCalendar) -> None:
    opening = cal.next_opening(wib(2026, 11, 27, 17, 0))
    assert opening == wib(2026, 11, 30, 7, 30)
    assert opening.tzinfo == WIB
    assert opening.weekday() == 0


def test_next_opening_returns_when_if_open(cal: OfficeCalendar) -> None:
    t = wib(2026, 11, 30, 9, 17)
    assert cal.next_opening(t) == t
    utc = datetime(2026, 11, 30, 2, 17, tzinfo=timezone.utc)
    assert cal.next_opening(utc) == t
    assert cal.next_opening(utc).tzinfo == WIB


def test_next_opening_after_break_and_before_opening(cal: OfficeCalendar) -> None:
    assert cal.next_opening(wib(2026, 11, 30, 12, 10)) == wib(2026, 11, 30, 13, 0)
    assert cal.next_opening(wib(2026, 11, 27, 11, 30)) == wib(2026, 11, 27, 13, 30)
    assert cal.next_opening(wib(2026, 11, 30, 5, 0)) == wib(2026, 11, 30, 7, 30)


def test_next_opening_over_christmas_and_new_year(cal: OfficeCalendar) -> None:
    # Wed 23 Dec 16:00 -> 24 (cuti), 25 (Natal), 26-27 weekend -> Mon 28 Dec.
    assert cal.next_opening(wib(2026, 12, 23, 16, 0)) == wib(2026, 12, 28, 7, 30)
    # Thu 31 Dec 16:00 -> 1 Jan 2027 (Tahun Baru, next year's holidays are looked up) -> Mon 4 Jan.
    assert cal.holiday_name(date(2027, 1, 1)) == "Tahun Baru Masehi"
    assert cal.next_opening(wib(2026, 12, 31, 16, 0)) == wib(2027, 1, 4, 7, 30)


def test_always_closed_raises_instead_of_looping() -> None:
    closed = WorkingHoursConfig(
        monday=(), tuesday=(), wednesday=(), thursday=(), friday=(), saturday=(), sunday=()
    )
    cal = OfficeCalendar(closed)
    with pytest.raises(ValueError, match="closed for more than"):
        cal.next_opening(wib(2026, 11, 27, 17, 0))
    with pytest.raises(ValueError):
        cal.add_working_hours(wib(2026, 11, 27, 17, 0), 1)


# ------------------------------------------------------------------ working hours arithmetic


def test_add_working_hours_across_break(cal: OfficeCalendar) -> None:
    # Mon 11:00 + 2h: 1h before the 12.00 break, 1h after 13.00.
    assert cal.add_working_hours(wib(2026, 11, 30, 11, 0), 2) == wib(2026, 11, 30, 14, 0)
    # Friday's break is 2 hours long.
    assert cal.add_working_hours(wib(2026, 11, 27, 11, 0), 1) == wib(2026, 11, 27, 14, 0)


def test_add_working_hours_across_night(cal: OfficeCalendar) -> None:
    # Tue 15:00 + 2h: 1h until 16.00, then 1h from Wed 07.30.
    assert cal.add_working_hours(wib(2026, 12, 1, 15, 0), 2) == wib(2026, 12, 2, 8, 30)


def test_add_working_hours_ending_at_closing_time(cal: OfficeCalendar) -> None:
    assert cal.add_working_hours(wib(2026, 12, 1, 15, 0), 1) == wib(2026, 12, 1, 16, 0)


def test_add_working_hours_across_weekend(cal: OfficeCalendar) -> None:
    # Fri 27 Nov 16:00 + 1h: 30 min until 16.30, then Mon 30 Nov 07.30 + 30 min.
    assert cal.add_working_hours(wib(2026, 11, 27, 16, 0), 1) == wib(2026, 11, 30, 8, 0)
    # A Saturday start counts from Monday's opening: a whole Monday is 7.5 h, ending at 16.00
    # (closing time, not Tuesday morning); half an hour more ends Tuesday 08.00.
    assert cal.add_working_hours(wib(2026, 11, 28, 10, 0), 7.5) == wib(2026, 11, 30, 16, 0)
    assert cal.add_working_hours(wib(2026, 11, 28, 10, 0), 8) == wib(2026, 12, 1, 8, 0)


def test_add_working_hours_across_holiday(cal: OfficeCalendar) -> None:
    # Fri 14 Aug 16:00 + 1h: 30 min Friday, weekend, Mon 17 Aug (Kemerdekaan) closed,
    # Tue 18 Aug 07.30 + 30 min.
    assert cal.holiday_name(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"
    assert cal.add_working_hours(wib(2026, 8, 14, 16, 0), 1) == wib(2026, 8, 18, 8, 0)


def test_add_working_hours_zero_and_invalid(cal: OfficeCalendar) -> None:
    t = wib(2026, 11, 28, 10, 0)
    assert cal.add_working_hours(t, 0) == t
    with pytest.raises(ValueError):
        cal.add_working_hours(t, -1)
    with pytest.raises(ValueError):
        cal.add_working_hours(t, float("nan"))


def test_working_hours_between(cal: OfficeCalendar) -> None:
    # A full Mon-Thu day is 7.5 h, a Friday 7 h.
    assert cal.working_hours_between(wib(2026, 11, 30), wib(2026, 12, 1)) == 7.5
    assert cal.working_hours_between(wib(2026, 11, 27), wib(2026, 11, 28)) == 7.0
    # A whole ordinary week: 4 * 7.5 + 7.
    assert cal.working_hours_between(wib(2026, 11, 30), wib(2026, 12, 7)) == 37.0
    # Fri 16:00 -> Mon 08:00: 30 + 30 minutes.
    assert cal.working_hours_between(wib(2026, 11, 27, 16, 0), wib(2026, 11, 30, 8, 0)) == 1.0
    assert cal.working_hours_between(wib(2026, 11, 30, 8, 0), wib(2026, 11, 27, 16, 0)) == -1.0
    # The Idul Fitri week 18-24 March has no working hours at all.
    assert cal.working_hours_between(wib(2026, 3, 18), wib(2026, 3, 25)) == 0.0


# ------------------------------------------------------------------ special hours (Ramadan)


@pytest.fixture(scope="module")
def ramadan_cal() -> OfficeCalendar:
    return OfficeCalendar(WorkingHoursConfig(special=(RAMADAN_2026,)))


def test_ramadan_hours_replace_weekly_hours(ramadan_cal: OfficeCalendar) -> None:
    monday, friday = date(2026, 2, 23), date(2026, 2, 27)
    assert ramadan_cal.spans_for(monday) == [(wib(2026, 2, 23, 8, 0), wib(2026, 2, 23, 15, 0))]
    assert ramadan_cal.spans_for(friday) == [(wib(2026, 2, 27, 8, 0), wib(2026, 2, 27, 15, 30))]
    assert not ramadan_cal.is_open(wib(2026, 2, 23, 7, 45))
    assert ramadan_cal.is_open(wib(2026, 2, 23, 12, 30))  # no lunch break while fasting
    assert not ramadan_cal.is_open(wib(2026, 2, 23, 15, 30))
    assert ramadan_cal.is_open(wib(2026, 2, 27, 15, 15))
    assert ramadan_cal.next_opening(wib(2026, 2, 27, 16, 0)) == wib(2026, 3, 2, 8, 0)


def test_ramadan_range_bounds_are_inclusive(ramadan_cal: OfficeCalendar) -> None:
    # Tue 17 Feb: ordinary hours (and the day after Imlek, a working day).
    assert ramadan_cal.spans_for(date(2026, 2, 17)) == []  # Tahun Baru Imlek
    assert ramadan_cal.spans_for(date(2026, 2, 13))[0][0] == wib(2026, 2, 13, 7, 30)
    assert ramadan_cal.spans_for(date(2026, 2, 18)) == [(wib(2026, 2, 18, 8, 0), wib(2026, 2, 18, 15, 0))]
    assert ramadan_cal.spans_for(date(2026, 3, 17)) == [(wib(2026, 3, 17, 8, 0), wib(2026, 3, 17, 15, 0))]
    # After Idul Fitri: ordinary hours again.
    assert ramadan_cal.spans_for(date(2026, 3, 25))[0][0] == wib(2026, 3, 25, 7, 30)


def test_ramadan_holidays_still_close(ramadan_cal: OfficeCalendar) -> None:
    assert not ramadan_cal.is_working_day(date(2026, 3, 19))  # Nyepi, inside the range
    assert ramadan_cal.working_hours_between(wib(2026, 2, 23), wib(2026, 2, 28)) == 4 * 7 + 7.5


# ------------------------------------------------------------------ local closed / open dates


def test_closed_dates() -> None:
    cal = OfficeCalendar(WorkingHoursConfig(closed_dates=("2026-11-30",)))
    assert cal.holiday_name(date(2026, 11, 30)) == LOCAL_CLOSURE_NAME == "Libur kantor"
    assert not cal.is_working_day(date(2026, 11, 30))
    assert cal.next_opening(wib(2026, 11, 27, 17, 0)) == wib(2026, 12, 1, 7, 30)


def test_open_dates_override_holiday() -> None:
    cal = OfficeCalendar(WorkingHoursConfig(open_dates=("2026-12-24",)))
    assert cal.holiday_name(date(2026, 12, 24)) is None
    assert cal.is_working_day(date(2026, 12, 24))
    assert cal.is_open(wib(2026, 12, 24, 9, 0))
    assert cal.next_opening(wib(2026, 12, 23, 16, 0)) == wib(2026, 12, 24, 7, 30)
    assert not cal.is_working_day(date(2026, 12, 25))  # Natal stays closed


def test_open_dates_open_a_weekend_day_with_monday_hours() -> None:
    cal = OfficeCalendar(WorkingHoursConfig(open_dates=("2026-11-28",)))
    assert cal.spans_for(date(2026, 11, 28)) == [
        (wib(2026, 11, 28, 7, 30), wib(2026, 11, 28, 12, 0)),
        (wib(2026, 11, 28, 13, 0), wib(2026, 11, 28, 16, 0)),
    ]
    assert cal.next_opening(wib(2026, 11, 27, 17, 0)) == wib(2026, 11, 28, 7, 30)
    assert not cal.is_working_day(date(2026, 11, 29))


def test_closed_dates_win_over_open_dates() -> None:
    cal = OfficeCalendar(WorkingHoursConfig(closed_dates=("2026-11-30",), open_dates=("2026-11-30",)))
    assert not cal.is_working_day(date(2026, 11, 30))


def test_bad_span_is_refused() -> None:
    with pytest.raises(ValueError):
        OfficeCalendar(WorkingHoursConfig(monday=("16:00-07:30",)))
    with pytest.raises(ValueError):
        OfficeCalendar(WorkingHoursConfig(monday=("07:30-12:00", "11:00-16:00")))


def test_span_until_midnight() -> None:
    cal = OfficeCalendar(WorkingHoursConfig(sunday=("20:00-24:00",)))
    assert cal.is_open(wib(2026, 11, 29, 23, 59))
    assert not cal.is_open(wib(2026, 11, 30, 0, 0))
    assert cal.add_working_hours(wib(2026, 11, 29, 23, 0), 1.5) == wib(2026, 11, 30, 8, 0)


# ------------------------------------------------------------------ formatting


def test_format_datetime_id() -> None:
    assert format_datetime_id(wib(2026, 11, 30, 7, 30)) == "Senin, 30 November 2026 pukul 07.30 WIB"
    utc = datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)
    assert format_datetime_id(utc) == "Senin, 30 November 2026 pukul 07.30 WIB"
    assert format_datetime_id(utc, "Asia/Makassar") == "Senin, 30 November 2026 pukul 08.30 WITA"
    assert format_datetime_id(utc, "Asia/Jayapura") == "Senin, 30 November 2026 pukul 09.30 WIT"
    assert format_datetime_id(wib(2026, 5, 1, 14, 5)) == "Jumat, 1 Mei 2026 pukul 14.05 WIB"
    with pytest.raises(ValueError):
        format_datetime_id(datetime(2026, 11, 30, 7, 30))


def test_format_date_id() -> None:
    assert format_date_id(date(2026, 11, 30)) == "Senin, 30 November 2026"
    assert format_date_id(date(2026, 8, 17)) == "Senin, 17 Agustus 2026"
    assert format_date_id(date(2026, 3, 21)) == "Sabtu, 21 Maret 2026"


# ------------------------------------------------------------------ properties

moments = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(WIB)
)
hour_amounts = st.floats(min_value=0, max_value=200, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(t=moments)
def test_next_opening_is_open_and_not_earlier(cal: OfficeCalendar, t: datetime) -> None:
    opening = cal.next_opening(t)
    assert opening >= t
    assert cal.is_open(opening)
    assert cal.working_hours_between(t, opening) == 0.0


@settings(max_examples=150, deadline=None)
@given(t=moments, h1=hour_amounts, h2=hour_amounts)
def test_add_working_hours_is_monotone(cal: OfficeCalendar, t: datetime, h1: float, h2: float) -> None:
    lo, hi = sorted((h1, h2))
    assert t <= cal.add_working_hours(t, lo) <= cal.add_working_hours(t, hi)


@settings(max_examples=100, deadline=None)
@given(t=moments, h=hour_amounts)
def test_add_then_measure_round_trips(cal: OfficeCalendar, t: datetime, h: float) -> None:
    end = cal.add_working_hours(t, h)
    assert cal.working_hours_between(t, end) == pytest.approx(h, abs=1e-6)


def test_ramadan_hours_are_in_the_default_config():
    """DOMAIN.md: the province's Ramadan hours, by date range, without any config file."""
    from helpdesk_bot.config import embedded_default

    cal = OfficeCalendar(embedded_default().working_hours)
    wib = ZoneInfo("Asia/Jakarta")
    # Ramadan 1447 H: Monday 2 March 2026 opens at 06.30 and closes at 14.00, no lunch break.
    assert cal.is_open(datetime(2026, 3, 2, 6, 45, tzinfo=wib))
    assert cal.is_open(datetime(2026, 3, 2, 12, 30, tzinfo=wib))
    assert not cal.is_open(datetime(2026, 3, 2, 14, 30, tzinfo=wib))
    assert cal.is_open(datetime(2026, 3, 6, 14, 15, tzinfo=wib))  # Friday until 14.30
    # Ramadan 1446 H (2025) likewise; ordinary hours again after it.
    assert not cal.is_open(datetime(2025, 3, 3, 15, 0, tzinfo=wib))
    assert cal.is_open(datetime(2026, 4, 6, 15, 0, tzinfo=wib))


def test_doctor_checks_next_years_cuti_bersama():
    from datetime import date

    from helpdesk_bot.config import embedded_default
    from helpdesk_bot.doctor import check_holidays

    ok = check_holidays(embedded_default(), today=date(2026, 12, 2))
    assert ok.status == "OK" and "of 2027" in ok.detail
    far = check_holidays(embedded_default(), today=date(2098, 1, 5))  # nobody knows 2099's decree
    assert far.status == "WARN" and "2099" in far.detail and "closed_dates" in far.fix

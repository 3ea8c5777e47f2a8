"""What acknowledgements promise: calendar facts, a target only where an operator set one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from helpdesk_bot.config import WorkingHoursConfig
from helpdesk_bot.office_hours import OfficeCalendar
from helpdesk_bot.promises import make_promise, round_up_half_hour

WIB = ZoneInfo("Asia/Jakarta")
CAL = OfficeCalendar(WorkingHoursConfig())


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def test_in_hours_no_deadline_by_default():
    p = make_promise(CAL, at(2026, 11, 30, 9, 15))  # Monday
    assert p.situation == "open" and p.target is None
    text = p.start_sentence()
    assert "jam kerja" in text and "paling lambat" not in text
    assert p.received_text == "Senin, 30 November 2026 pukul 09.15 WIB"
    assert p.target_sentence() == ""


def test_friday_prayer_break_is_worded_as_a_break():
    p = make_promise(CAL, at(2026, 12, 4, 12, 10))  # Friday 12.10
    assert p.situation == "break" and p.friday
    text = p.start_sentence()
    assert "istirahat salat Jumat" in text and "pukul 13.30 WIB" in text and "di luar jam kerja" not in text


def test_lunch_break_monday():
    p = make_promise(CAL, at(2026, 11, 30, 12, 20))
    assert p.situation == "break" and not p.friday
    assert "istirahat siang" in p.start_sentence() and "13.00 WIB" in p.start_sentence()


def test_after_hours_names_next_opening_without_holiday():
    p = make_promise(CAL, at(2026, 12, 4, 19, 0))  # Friday evening -> Monday 7 Dec
    assert p.situation == "closed" and p.holidays == ()
    assert "Senin, 7 Desember 2026 pukul 07.30 WIB" in p.start_sentence()


def test_the_holiday_that_delays_is_named():
    # Thursday 24 Dec 2026 evening: 25 Dec is Christmas (Friday), then the weekend.
    p = make_promise(CAL, at(2026, 12, 24, 17, 0))
    assert p.situation == "holiday"
    text = p.start_sentence()
    assert "kantor libur pada" in text and "Hari Raya Natal" in text
    assert p.start.date() > dt.date(2026, 12, 25)


def test_weekend_only_names_no_holiday():
    p = make_promise(CAL, at(2026, 11, 28, 10, 0))  # Saturday
    assert p.situation == "closed" and "hari libur" not in p.start_sentence()


def test_target_only_when_set_and_rounded_up_to_half_hour():
    p = make_promise(CAL, at(2026, 11, 30, 9, 7), target_hours=2)
    assert p.target == at(2026, 11, 30, 11, 30)  # 11.07 -> 11.30
    assert p.target_sentence().startswith("Kami menargetkan")
    assert "11.30 WIB" in p.target_sentence()


def test_round_up_half_hour():
    assert round_up_half_hour(at(2026, 1, 5, 11, 0)) == at(2026, 1, 5, 11, 0)
    assert round_up_half_hour(at(2026, 1, 5, 11, 0, 1)) == at(2026, 1, 5, 11, 30)
    assert round_up_half_hour(at(2026, 1, 5, 11, 31)) == at(2026, 1, 5, 12, 0)
    assert round_up_half_hour(at(2026, 1, 5, 23, 45)) == at(2026, 1, 6, 0, 0)

"""The statutory holidays without a server: the festival dates the lunar calendar library computes,
checked against the official calendar for every year it publishes, and the names citizens use."""
from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from dataservice.holidays.names import find_holiday
from dataservice.holidays.occurrence import festival_day, occurrence
from dataservice.holidays.statutory import STATUTORY, by_code
from dataservice.opening_hours import HOLIDAYS

PUBLISHED_YEARS = range(2008, 2027)  # what chinesecalendar 1.11.0 covers of the current seven


@pytest.mark.parametrize("code, day", [
    ("spring_festival", date(2027, 2, 6)), ("spring_festival", date(2028, 1, 26)),
    ("spring_festival", date(2031, 1, 23)), ("spring_festival", date(2050, 1, 23)),
    ("tomb_sweeping_day", date(2028, 4, 4)), ("tomb_sweeping_day", date(2029, 4, 4)),
    ("tomb_sweeping_day", date(2030, 4, 5)),
    ("dragon_boat_festival", date(2027, 6, 9)), ("dragon_boat_festival", date(2029, 6, 16)),
    ("mid_autumn_festival", date(2028, 10, 3)), ("mid_autumn_festival", date(2030, 9, 12)),
    ("mid_autumn_festival", date(2031, 10, 1)),
    ("new_years_day", date(2040, 1, 1)), ("labour_day", date(2040, 5, 1)),
    ("national_day", date(2040, 10, 1)),
])
def test_festival_dates_in_years_no_official_calendar_covers(code, day):
    assert festival_day(by_code(code), day.year) == day


@pytest.mark.parametrize("holiday", STATUTORY, ids=lambda h: h.code)
def test_every_computed_festival_is_an_official_day_off_in_every_published_year(holiday):
    for year in PUBLISHED_YEARS:
        day = festival_day(holiday, year)
        assert not chinese_calendar.is_workday(day), (holiday.code, day)
        assert day in occurrence(holiday, year).days_off


def test_a_combined_break_counts_the_make_up_days_of_either_holiday():
    """2025: 国庆 and 中秋 (6 October) share 1-8 October; the make-up days are named National Day."""
    mid_autumn = occurrence(by_code("mid_autumn_festival"), 2025)
    assert (mid_autumn.days_off[0], mid_autumn.days_off[-1]) == (date(2025, 10, 1), date(2025, 10, 8))
    assert mid_autumn.makeup_workdays == (date(2025, 9, 28), date(2025, 10, 11))


def test_the_working_calendar_names_holidays_as_this_module_does():
    for holiday in STATUTORY:
        assert HOLIDAYS[holiday.calendar_key] == (holiday.code, holiday.zh, holiday.en)
    assert {h.value for h in chinese_calendar.Holiday} <= set(HOLIDAYS)


@pytest.mark.parametrize("text, code", [
    ("春节", "spring_festival"), ("过年开门吗", "spring_festival"), ("過年", "spring_festival"),
    ("农历新年", "spring_festival"), ("Chinese New Year", "spring_festival"),
    ("lunar new year", "spring_festival"), ("CNY", "spring_festival"), ("ＣＮＹ", "spring_festival"),
    ("元旦", "new_years_day"), ("New Year's Day", "new_years_day"),
    ("清明节", "tomb_sweeping_day"), ("Tomb-sweeping Day", "tomb_sweeping_day"),
    ("Qingming", "tomb_sweeping_day"),
    ("五一", "labour_day"), ("劳动节", "labour_day"), ("Labor Day", "labour_day"),
    ("May Day", "labour_day"), ("May golden week", "labour_day"),
    ("端午节调休那天", "dragon_boat_festival"), ("dragon boat", "dragon_boat_festival"),
    ("中秋", "mid_autumn_festival"), ("Mid Autumn", "mid_autumn_festival"),
    ("moon festival", "mid_autumn_festival"),
    ("国庆节", "national_day"), ("十一", "national_day"), ("十一假期", "national_day"),
    ("National Day", "national_day"), ("golden week", "national_day"),
    ("spring_festival", "spring_festival"), ("mid-autumn-festival", "mid_autumn_festival"),
])
def test_names_citizens_use(text, code):
    assert find_holiday(text).code == code


@pytest.mark.parametrize("text", ["十一月", "十一点", "二十一号", "五一路", "双十一", "下周三", "圣诞节",
                                  "Christmas", "next Wednesday", "tomorrow"])
def test_words_that_name_no_statutory_holiday(text):
    assert find_holiday(text) is None

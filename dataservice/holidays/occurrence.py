"""When a statutory holiday falls: the festival's date in any year, computed (lunar dates with the
`tyme4py` calendar library, Qingming from its solar term), and the official days off and make-up
working days (调休) from the `chinesecalendar` package for the years it has published."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from tyme4py.lunar import LunarDay
from tyme4py.solar import SolarDay, SolarTerm

from dataservice.holidays.statutory import LUNAR, SOLAR_TERM, StatutoryHoliday
from dataservice.opening_hours import WEEKDAYS

# The seven holidays as they stand date from 2008; the lunar calendar is computed well beyond 2199,
# but an answer that far out helps nobody.
FIRST_YEAR, LAST_YEAR = 2008, 2199
# Make-up working days lie within a few weeks of the days off they pay for.
_MAKEUP_WINDOW = timedelta(days=28)
_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=2048)
def festival_day(holiday: StatutoryHoliday, year: int) -> date:
    """The festival's own date in a Gregorian year (春节 2031 -> 2031-01-23)."""
    if holiday.rule == LUNAR:  # a lunar year's 1/1, 5/5 and 8/15 all fall in its Gregorian year
        return _gregorian(LunarDay.from_ymd(year, holiday.month, holiday.day).get_solar_day())
    if holiday.rule == SOLAR_TERM:
        return _gregorian(SolarTerm.from_name(year, holiday.term).get_solar_day())
    return date(year, holiday.month, holiday.day)


def _gregorian(day: SolarDay) -> date:
    return date(day.get_year(), day.get_month(), day.get_day())


def _published(day: date) -> bool:
    """Does the official calendar cover this date's year?"""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def _day_off(day: date) -> bool:
    return _published(day) and not chinese_calendar.is_workday(day)


@dataclass(frozen=True)
class Occurrence:
    """One year's holiday: the festival's date and, when published, the official arrangement."""
    holiday: StatutoryHoliday
    day: date
    days_off: tuple[date, ...] | None  # the run of days off around it (weekends included)
    makeup_workdays: tuple[date, ...] | None  # weekend days worked to make up for them

    @property
    def holiday_data(self) -> bool:
        return self.days_off is not None

    @property
    def last_day(self) -> date:
        return self.days_off[-1] if self.days_off else self.day

    def as_dict(self, lang: str) -> dict:
        days_off = None
        if self.days_off:
            days_off = {"from": self.days_off[0].isoformat(), "to": self.days_off[-1].isoformat(),
                        "count": len(self.days_off)}
        makeup = [d.isoformat() for d in self.makeup_workdays] \
            if self.makeup_workdays is not None else None
        return {"code": self.holiday.code, "name": self.holiday.name(lang),
                "date": self.day.isoformat(), "weekday": WEEKDAYS[self.day.weekday()],
                "holiday_data": self.holiday_data, "days_off": days_off,
                "makeup_workdays": makeup}


@lru_cache(maxsize=1024)
def occurrence(holiday: StatutoryHoliday, year: int) -> Occurrence:
    day = festival_day(holiday, year)
    if not _day_off(day):  # no published calendar for that year
        return Occurrence(holiday, day, None, None)
    first = last = day
    while _day_off(first - _ONE_DAY):
        first -= _ONE_DAY
    while _day_off(last + _ONE_DAY):
        last += _ONE_DAY
    days_off = tuple(first + _ONE_DAY * i for i in range((last - first).days + 1))
    # A combined break (国庆中秋) names either holiday on its days: a make-up day for any counts.
    keys = {chinese_calendar.get_holiday_detail(d)[1] for d in days_off} - {None}
    around = (first - _MAKEUP_WINDOW + _ONE_DAY * i
              for i in range((last - first + 2 * _MAKEUP_WINDOW).days + 1))
    makeup = tuple(d for d in around if d.weekday() >= 5 and _published(d)
                   and chinese_calendar.is_workday(d)
                   and chinese_calendar.get_holiday_detail(d)[1] in keys)
    return Occurrence(holiday, day, days_off, makeup)


def next_occurrence(holiday: StatutoryHoliday, start: date) -> Occurrence:
    """The first occurrence not over by `start`: during the days off that is the current one."""
    this_year = occurrence(holiday, start.year)
    return this_year if this_year.last_day >= start else occurrence(holiday, start.year + 1)

"""The city's working calendar: is a date a working day (statutory holidays, make-up days), and when
is the next 春节 / 国庆节 / ... (any year: lunar holidays are computed, not listed)?

Other services (the console's agent desk, the assistant's actions) ask here instead of keeping their
own holiday table.
"""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Path, Query, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import Lang, LangQuery, cache_key, clean_query, parse_day
from dataservice.api.responses import errors
from dataservice.errors import ApiError
from dataservice.holidays.names import find_holiday
from dataservice.holidays.occurrence import FIRST_YEAR, LAST_YEAR, next_occurrence
from dataservice.opening_hours import WEEKDAYS, day_hours

router = APIRouter(tags=["calendar"])

# An office open on every weekday: day_hours then answers "is this a working day" for the city.
_OFFICE_WEEK = {day: [["00:00", "24:00"]] for day in WEEKDAYS[:5]}


# Declared before /calendar/{day} so that route never sees this one's path.
@router.get("/calendar/holidays/next", responses=errors(404))
async def next_holiday(request: Request,
                       name: str = Query(..., max_length=1000, description=(
                           "The holiday as the citizen names it (春节, 过年, 五一, golden week, CNY...) "
                           "or its code (spring_festival).")),
                       start: str | None = Query(None, alias="from", max_length=32, description=(
                           "YYYY-MM-DD, default today in Shanghai.")),
                       lang: Lang = LangQuery):
    """The holiday's next occurrence from `from` on (the current one during its days off): its
    date and, where the official calendar is published, its days off and make-up working days."""
    holiday = find_holiday(clean_query(name, "name"))
    day = _in_range(parse_day(start))
    if holiday is None:
        raise ApiError(404, "unknown_holiday",
                       "No statutory public holiday goes by that name (元旦, 春节, 清明节, 劳动节, "
                       "端午节, 中秋节, 国庆节).")
    return await cached_json(request, "calendar", cache_key("holiday", holiday.code,
                                                            day.isoformat(), lang),
                             lambda _session: next_occurrence(holiday, day).as_dict(lang))


def _in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApiError(422, "date_out_of_range",
                       f"from must be a date in the years {FIRST_YEAR} to {LAST_YEAR}.")
    return day


@router.get("/calendar/{day}")
async def calendar_day(request: Request, day: str = Path(max_length=32), lang: Lang = LangQuery):
    """`workday`: a regular weekday or a make-up working day (调休), not a statutory holiday."""
    parsed = parse_day(day)

    def build(_session) -> dict:
        d = day_hours(_OFFICE_WEEK, parsed)
        return {"date": parsed.isoformat(), "workday": d.open, "reason": d.reason,
                "holiday": d.holiday(lang), "holiday_data": d.holiday_data}

    return await cached_json(request, "calendar", cache_key("day", parsed.isoformat(), lang), build)

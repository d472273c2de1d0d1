"""The city's working calendar: is a date a working day (statutory holidays, make-up days)?

Other services (the console's agent desk) ask here instead of keeping their own holiday table.
"""
from __future__ import annotations

from fastapi import APIRouter, Path, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import Lang, LangQuery, cache_key, parse_day
from dataservice.opening_hours import WEEKDAYS, day_hours

router = APIRouter(tags=["calendar"])

# An office open on every weekday: day_hours then answers "is this a working day" for the city.
_OFFICE_WEEK = {day: [["00:00", "24:00"]] for day in WEEKDAYS[:5]}


@router.get("/calendar/{day}")
async def calendar_day(request: Request, day: str = Path(max_length=32), lang: Lang = LangQuery):
    """`workday`: a regular weekday or a make-up working day (调休), not a statutory holiday."""
    parsed = parse_day(day)

    def build(_session) -> dict:
        d = day_hours(_OFFICE_WEEK, parsed)
        return {"date": parsed.isoformat(), "workday": d.open, "reason": d.reason,
                "holiday": d.holiday(lang), "holiday_data": d.holiday_data}

    return await cached_json(request, "calendar", cache_key("day", parsed.isoformat(), lang), build)

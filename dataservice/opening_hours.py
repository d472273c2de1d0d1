"""Whether a service centre is open on a given date, and when.

The weekly schedule of a centre is overridden by China's official calendar (from the maintained
`chinesecalendar` package): statutory holidays close the centre, and a make-up working day (调休,
a Saturday or Sunday declared a working day) follows the weekday (Monday) schedule. For years the
package has no data for yet, the weekly schedule applies and the answer says so
(`holiday_data: false`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import chinese_calendar

from dataservice.holidays.statutory import STATUTORY
from privacy.parsing import weekday_name

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# chinese_calendar.Holiday values -> (code, zh, en): the statutory holidays, and a one-off day off.
HOLIDAYS = {h.calendar_key: (h.code, h.zh, h.en) for h in STATUTORY} | {
    "Anti-Fascist 70th Day": ("anti_fascist_70th_day", "抗战胜利70周年纪念日",
                              "70th Anniversary of the Victory of the War of Resistance"),
}
REASONS = ("regular", "weekend", "statutory_holiday", "makeup_workday")


@dataclass(frozen=True)
class DayHours:
    day: date
    open: bool
    ranges: list[list[str]]
    reason: str  # one of REASONS
    holiday_key: str | None  # chinese_calendar holiday name (also set on make-up days)
    holiday_data: bool  # False: no official calendar for that year, weekly schedule used

    def holiday(self, lang: str) -> dict | None:
        if not self.holiday_key:
            return None
        code, zh, en = HOLIDAYS.get(self.holiday_key, (self.holiday_key, self.holiday_key,
                                                       self.holiday_key))
        return {"code": code, "name": zh if lang == "zh" else en}

    def as_dict(self, lang: str) -> dict:
        return {
            "date": self.day.isoformat(),
            "weekday": WEEKDAYS[self.day.weekday()],
            "open": self.open,
            "ranges": self.ranges,
            "reason": self.reason,
            "holiday": self.holiday(lang),
            "holiday_data": self.holiday_data,
            "note": self.note(lang),
        }

    def note(self, lang: str) -> str:
        zh = lang == "zh"
        hol = self.holiday(lang)
        times = "、".join(f"{a}–{b}" for a, b in self.ranges) if zh else \
            ", ".join(f"{a}–{b}" for a, b in self.ranges)
        if self.reason == "statutory_holiday":
            text = (f"{hol['name']}法定节假日，休息。" if zh
                    else f"Closed for {hol['name']} (statutory public holiday).")
        elif self.reason == "makeup_workday":
            name = hol["name"] if hol else ""
            if self.open:
                text = (f"{name}调休工作日，按工作日时间办公：{times}。" if zh
                        else f"Official make-up working day ({name}): weekday hours {times}.")
            else:
                text = (f"{name}调休工作日，但本中心当日不办公。" if zh
                        else f"Official make-up working day ({name}), but this centre is closed.")
        elif self.open:
            text = f"开放时间：{times}。" if zh else f"Open {times}."
        elif self.reason == "weekend":
            text = "周末休息。" if zh else "Closed at the weekend."
        else:
            text = "当日不办公。" if zh else "Closed on this day."
        if not self.holiday_data:
            text += ("（该年度法定节假日安排尚未公布，以上按常规每周时间推算，请以中心公告为准。）" if zh
                     else " (The official holiday calendar for this year is not available yet; "
                          "this follows the regular weekly schedule. Please check the centre's "
                          "notices.)")
        return text


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI)


def shanghai_today() -> date:
    return shanghai_now().date()


def _ranges(weekly_hours: dict, key: str) -> list[list[str]]:
    return [list(r) for r in (weekly_hours or {}).get(key) or []]


def day_hours(weekly_hours: dict, day: date) -> DayHours:
    key = WEEKDAYS[day.weekday()]
    weekend = day.weekday() >= 5
    try:
        workday = chinese_calendar.is_workday(day)
        _on_holiday, holiday_key = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        # No official calendar for this year yet: the weekly schedule is our best answer.
        ranges = _ranges(weekly_hours, key)
        reason = "regular" if ranges or not weekend else "weekend"
        return DayHours(day, bool(ranges), ranges, reason, None, False)

    if not workday and holiday_key:
        return DayHours(day, False, [], "statutory_holiday", holiday_key, True)
    if workday and weekend:
        # 调休: the Saturday/Sunday replaces a weekday, so the weekday schedule applies.
        ranges = _ranges(weekly_hours, "mon")
        return DayHours(day, bool(ranges), ranges, "makeup_workday", holiday_key, True)
    ranges = _ranges(weekly_hours, key)
    reason = "weekend" if weekend and not ranges else "regular"
    return DayHours(day, bool(ranges), ranges, reason, None, True)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def weekly_summary(weekly_hours: dict, lang: str) -> str:
    """'周一至周五 09:00–17:00；周六 09:00–12:00' — consecutive days with equal hours grouped."""
    zh = lang == "zh"
    names = [weekday_name(i, lang, short=True) for i in range(len(WEEKDAYS))]
    groups: list[tuple[int, int, list]] = []
    for i, key in enumerate(WEEKDAYS):
        ranges = _ranges(weekly_hours, key)
        if groups and groups[-1][2] == ranges and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i, ranges)
        else:
            groups.append((i, i, ranges))
    parts = []
    for start, end, ranges in groups:
        if not ranges:
            continue
        days = names[start] if start == end else \
            f"{names[start]}{'至' if zh else '–'}{names[end]}"
        sep = "、" if zh else ", "
        parts.append(f"{days} {sep.join(f'{a}–{b}' for a, b in ranges)}")
    holidays = "法定节假日休息" if zh else "closed on public holidays"
    return ("；" if zh else "; ").join(parts + [holidays])

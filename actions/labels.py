"""Dates and times as the replies show them, in the citizen's language ("12月3日（周四）",
"Thu 3 Dec"); the weekday and month names come from privacy/parsing.py."""
from __future__ import annotations

from datetime import date, datetime

from actions.i18n import t
from privacy.parsing import MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_ZH


def _weekday_en(d: date) -> str:
    return WEEKDAYS_EN[d.weekday()][:3]


def _month_en(month: int) -> str:
    return MONTHS_EN[month - 1][:3]


def day_label(day: date | str, lang: str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return t(lang, f"{d.month}月{d.day}日（周{WEEKDAYS_ZH[d.weekday()]}）",
             f"{_weekday_en(d)} {d.day} {_month_en(d.month)}")


def when_label(slot: dict, lang: str) -> str:
    return t(lang, f"{day_label(slot['date'], lang)}{slot['start']}–{slot['end']}",
             f"{day_label(slot['date'], lang)}, {slot['start']}–{slot['end']}")


def button_title(slot: dict, lang: str, today: date) -> str:
    d = date.fromisoformat(slot["date"])
    relative = {0: ("今天 ", "Today "), 1: ("明天 ", "Tomorrow ")}.get((d - today).days)
    if lang == "en":
        head = relative[1] if relative else f"{_weekday_en(d)} "
        return f"{head}{d.day} {_month_en(d.month)} {slot['start']}"
    head = relative[0] if relative else ""
    return f"{head}{d.month}月{d.day}日 周{WEEKDAYS_ZH[d.weekday()]} {slot['start']}"



def moment_label(at: datetime, lang: str) -> str:
    """A day and a wall-clock time: "11月5日 14:30", "5 Nov 14:30"."""
    return t(lang, f"{at.month}月{at.day}日 {at:%H:%M}", f"{at.day} {_month_en(at.month)} {at:%H:%M}")

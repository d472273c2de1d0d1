"""Dates and times as the replies show them, in the citizen's language ("12月3日（周四）",
"Thu 3 Dec"); the weekday and month names come from privacy/parsing.py."""
from __future__ import annotations

from datetime import date, datetime

from actions.i18n import t
from privacy.parsing import month_name_en, weekday_name


def _zh_day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _en_day(d: date) -> str:
    return f"{d.day} {month_name_en(d.month)}"


def day_label(day: date | str, lang: str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return t(lang, f"{_zh_day(d)}（{weekday_name(d.weekday(), 'zh')}）",
             f"{weekday_name(d.weekday(), 'en', short=True)} {_en_day(d)}")


def when_label(slot: dict, lang: str) -> str:
    return t(lang, f"{day_label(slot['date'], lang)}{slot['start']}–{slot['end']}",
             f"{day_label(slot['date'], lang)}, {slot['start']}–{slot['end']}")


def button_title(slot: dict, lang: str, today: date) -> str:
    d = date.fromisoformat(slot["date"])
    relative = {0: ("今天 ", "Today "), 1: ("明天 ", "Tomorrow ")}.get((d - today).days)
    if lang == "en":
        head = relative[1] if relative else weekday_name(d.weekday(), "en", short=True) + " "
        return f"{head}{_en_day(d)} {slot['start']}"
    head = relative[0] if relative else ""
    return f"{head}{_zh_day(d)} {weekday_name(d.weekday(), 'zh')} {slot['start']}"


def moment_label(at: datetime, lang: str) -> str:
    """A day and a wall-clock time: "11月5日 14:30", "5 Nov 14:30"."""
    return t(lang, f"{_zh_day(at)} {at:%H:%M}", f"{_en_day(at)} {at:%H:%M}")

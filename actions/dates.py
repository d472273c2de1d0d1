"""Dates as citizens say them, in Shanghai time: 今天/明天/后天, 周六/星期六/下周一, 12月3日,
today/tomorrow, (next) Saturday, Dec 3 / 3 December, 2026-12-03.

A small parser on purpose: dateparser needs newer `regex`/`pytz` than Rasa 3.6 pins and misreads
common Chinese forms (下周一, 12月3日), and Duckling needs a server of its own.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from privacy.parsing import MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_ZH

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 周天 is Sunday; 周末 (the weekend) starts on Saturday.
_ZH_DAYS = {c: i for i, c in enumerate(WEEKDAYS_ZH)} | {"天": 6, "末": 5}
_EN_DAYS = {name[:3].lower(): i for i, name in enumerate(WEEKDAYS_EN)}
_MONTHS = {name[:3].lower(): i + 1 for i, name in enumerate(MONTHS_EN)}


def today() -> date:
    return datetime.now(SHANGHAI).date()


def local_time(iso: str | None) -> str:
    """A data-service timestamp (ISO 8601, UTC when naive) as Shanghai wall-clock time."""
    if not iso:
        return ""
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _next_weekday(base: date, weekday: int, next_week: bool) -> date:
    ahead = (weekday - base.weekday()) % 7
    if next_week:
        # 下周X / next X: the X of the following week.
        start_next_week = base + timedelta(days=7 - base.weekday())
        return start_next_week + timedelta(days=weekday)
    return base + timedelta(days=ahead)


def _future(base: date, month: int, day: int) -> date | None:
    try:
        candidate = date(base.year, month, day)
        if candidate < base:
            candidate = date(base.year + 1, month, day)
        return candidate
    except ValueError:
        return None


def parse(text: str, base: date | None = None) -> date | None:
    base = base or today()
    s = (text or "").strip().lower()
    if not s:
        return None
    if m := re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", s):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    for word, offset in (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0),
                         ("今日", 0), ("day after tomorrow", 2), ("tomorrow", 1), ("today", 0),
                         ("tonight", 0)):
        if word in s:
            return base + timedelta(days=offset)
    if m := re.search(r"(\d{1,2})月(\d{1,2})[日号號]?", s):
        return _future(base, int(m[1]), int(m[2]))
    if m := re.search(r"(下+)?(?:个)?(?:周|星期|礼拜|禮拜)([一二三四五六日天末])", s):
        return _next_weekday(base, _ZH_DAYS[m[2]], bool(m[1]))
    if m := re.search(r"\b(next\s+)?(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", s):
        return _next_weekday(base, _EN_DAYS[m[2]], bool(m[1]))
    if "weekend" in s:
        return _next_weekday(base, 5, "next" in s)
    if m := re.search(r"\b([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", s):
        if m[1] in _MONTHS:
            return _future(base, _MONTHS[m[1]], int(m[2]))
    if m := re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3})[a-z]*\b", s):
        if m[2] in _MONTHS:
            return _future(base, _MONTHS[m[2]], int(m[1]))
    return None

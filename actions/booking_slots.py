"""What can be booked where: the centres handling a service, their free times, which of them to
offer as buttons, the time a citizen typed, and the Idempotency-Key that keeps a repeated "yes"
from booking twice. Free times are plain dicts (slot_id, date, start, end): they go into slots."""
from __future__ import annotations

import base64
import hashlib
import os
import re
from datetime import date, datetime

from rasa_sdk import Tracker

from actions import dates
from actions.api.dataservice import NotFound
from actions.api.gateway import get_gateway
from actions.api.models import Centre, Slots
from actions.forms import is_payload
from privacy.parsing import normalize

MAX_SLOT_BUTTONS = 6
SLOTS_PER_DAY = 3
BOOKING_DAYS = 14  # GET /v1/slots lists the next two weeks


async def centres_for(service: str, district: str | None, lang: str) -> list[Centre]:
    """The centres handling the service (in one district); none for an unknown code."""
    try:
        return await get_gateway().centres(lang, district=district, service=service)
    except NotFound:
        return []


async def free_slots(centre: str, service: str, lang: str) -> Slots | None:
    """The next two weeks' free times; None for a stale centre, or one that no longer handles
    the service."""
    try:
        return await get_gateway().slots(centre, service, lang)
    except NotFound:
        return None


def districts_of(centres: list[Centre]) -> dict[str, str]:
    """{district code: name} of the centres, in their order."""
    return {c.district.code: c.district.name for c in centres if c.district}


def slot_items(slots: Slots | None) -> list[dict]:
    return [s.dict() for s in slots.items] if slots else []


def _spread(items: list[dict], n: int) -> list[dict]:
    """n items spread over the list (morning to afternoon), keeping their order."""
    if len(items) <= n:
        return items
    picks = sorted({round(k * (len(items) - 1) / (n - 1)) for k in range(n)})
    return [items[i] for i in picks]


def pick_slots(items: list[dict], start: date, whole_day: bool) -> list[dict]:
    """Up to 6 free slots from `start` on: that day spread out when the citizen named it, else
    up to 3 a day over the next days with free slots."""
    items = [i for i in items if i["date"] >= start.isoformat()]
    if whole_day:
        same_day = [i for i in items if i["date"] == start.isoformat()]
        if same_day:
            return _spread(same_day, MAX_SLOT_BUTTONS)
    chosen: list[dict] = []
    for day in sorted({i["date"] for i in items}):
        chosen += _spread([i for i in items if i["date"] == day], SLOTS_PER_DAY)
        if len(chosen) >= MAX_SLOT_BUTTONS:
            break
    return chosen[:MAX_SLOT_BUTTONS]


_ZH_HOURS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9, "十": 10, "十一": 11, "十二": 12}


def parse_time(text: str) -> tuple[int, int | None] | None:
    """(hour, minute or None) of "10:00", "上午10点", "下午三点半", "3pm"; office hours, so a bare
    1-6 o'clock means the afternoon."""
    s = normalize(text).lower()
    if not s or is_payload(s):
        return None
    hour: int | None = None
    minute: int | None = None
    if m := re.search(r"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{2})(?!\d)", s):
        hour, minute = int(m[1]), int(m[2])
    elif m := re.search(r"(\d{1,2}|十[一二]?|[一二两三四五六七八九十])\s*[点點时時]\s*(半|(\d{1,2})\s*分?)?", s):
        hour = int(m[1]) if m[1].isdigit() else _ZH_HOURS[m[1]]
        minute = 30 if m[2] == "半" else (int(m[3]) if m[3] else None)
    elif m := re.search(r"(?<![\d:])(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)", s):
        hour = int(m[1])
    if hour is None or not 0 <= hour <= 23 or (minute is not None and not 0 <= minute <= 59):
        return None
    afternoon = any(w in s for w in ("下午", "晚上", "pm", "p.m.", "afternoon", "evening"))
    if (afternoon and hour < 12) or (not afternoon and 1 <= hour <= 6 and "上午" not in s
                                     and "am" not in s):
        hour += 12
    return hour, minute


def slot_matches(slot: dict, day: date | None, when: tuple[int, int | None]) -> bool:
    hour, minute = when
    start_h, start_m = (int(x) for x in slot["start"].split(":"))
    return ((day is None or slot["date"] == day.isoformat()) and start_h == hour
            and (minute is None or start_m == minute))


def new_attempt() -> str:
    # URL-safe base64 (few digits): nothing in it looks like a phone number to the redactor.
    return base64.urlsafe_b64encode(os.urandom(12)).decode("ascii")


def idempotency_key(sender_id: str, slot_id: str, attempt: str | None) -> str:
    """Same conversation + same slot + same attempt -> same key -> the data service replays the
    first booking instead of booking again. Hashed: the key reveals nothing about the sender."""
    raw = f"{sender_id}|{slot_id}|{attempt or ''}"
    return "appt-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:48]


def slot_started(slot: dict) -> bool:
    start = datetime.fromisoformat(f"{slot['date']}T{slot['start']}").replace(tzinfo=dates.SHANGHAI)
    return start <= datetime.now(dates.SHANGHAI)



def start_day(tracker: Tracker) -> date:
    """The first day to offer: the day the citizen asked for (booking_date), never the past."""
    today = dates.today()
    try:
        asked = date.fromisoformat(tracker.get_slot("booking_date") or "")
    except ValueError:
        return today
    return max(asked, today)

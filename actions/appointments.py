"""Booking and cancelling appointments at service centres.

appointment_form: service -> district -> centre (asked only when the district has several) -> a
free slot (buttons of real free slots) -> name -> mobile -> confirmation; `action_book_appointment`
then books with an Idempotency-Key made of the sender, the slot and the booking attempt, so a
retried "yes" never books twice. The mobile number stays in its slot as a Fernet token
(actions/secrets.py) and is decrypted only for the booking call.

cancel_appointment_form: booking number -> last 4 digits of the phone (verified by a lookup, which
also shows what will be cancelled) -> confirmation -> `action_cancel_appointment`.

The first part of the module holds the form helpers shared with actions/applications.py: which
kind of turn a validation call belongs to, which intents interrupt a form, phone digits.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import unicodedata
from abc import ABC, abstractmethod
from datetime import date, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import dates
from actions import secrets as pii
from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected, get_client
from actions.base import AskText, events_this_turn, set_this_turn
from actions.i18n import lang_of, t, unavailable
from actions.resolution import resolve
from privacy import mask_name

log = logging.getLogger(__name__)

APPOINTMENT_FORM = "appointment_form"
CANCEL_FORM = "cancel_appointment_form"

# ==============================================================================================
# Form helpers (shared with actions/applications.py)
# ==============================================================================================

# Intents that a rule answers or that start something else: inside a form they are not answers.
INTERRUPTING_INTENTS = frozenset({
    "deny", "help", "ask_office_hours", "ask_service_fee", "ask_service_requirements",
    "ask_processing_time", "book_appointment", "cancel_appointment", "check_application_status",
    "report_issue", "check_ticket_status", "check_utility_bill", "check_transport_card",
    "ask_garbage_sorting", "request_human", "change_language", "bot_challenge", "goodbye",
    "out_of_scope",
})
# "不是浦东，是徐汇" may come as `deny`: with one of these entities it is a correction, not a stop.
CORRECTION_ENTITIES = frozenset({"service", "district", "date", "center_id", "slot_id",
                                 "booking_no", "application_no", "phone_last4"})
# Typed words that leave a form even when the NLU does not recognise them as `deny`.
STOP_WORDS = frozenset({"stop", "quit", "exit", "never mind", "nevermind", "forget it",
                        "算了", "算了吧", "不要了", "不用了", "退出", "停止", "不办了"})

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LAST4_HINT = re.compile(r"(?:尾号|后四位|後四位|后4位|後4位|last\s*(?:4|four)(?:\s*digits?)?|"
                         r"ends?\s*(?:in|with))\D{0,12}?(\d{4})(?!\d)", re.I)
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")


def normalize(text: Any) -> str:
    """NFKC: full-width digits and letters become ASCII ("１３８" -> "138")."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def latest_text(tracker: Tracker) -> str:
    return normalize((tracker.latest_message or {}).get("text"))


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entities(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in (tracker.latest_message or {}).get("entities", [])
            if e.get("entity") == name and e.get("value") not in (None, "")]


def is_payload(text: str) -> bool:
    """A button payload such as /inform{"slot_id": "12"}: not free text to parse."""
    return text.startswith("/")


def set_before_form(tracker: Tracker, slot: str, form: str) -> bool:
    """Was the slot filled from this turn's message (mappings run before the form action)?"""
    for event in events_this_turn(tracker):
        if event.get("event") == "action" and event.get("name") == form:
            return False
        if event.get("event") == "slot" and event.get("name") == slot \
                and event.get("value") is not None:
            return True
    return False


def turn_mode(tracker: Tracker, form: str) -> str:
    """Which call of the form this is.

    "activation": the form starts in this turn (validation of the pre-filled slots);
    "resume": the form comes back after a rule answered a digression (nothing new to validate);
    "answer": the form runs right after the citizen's message (normally an answer to its question).
    """
    after = events_this_turn(tracker)
    loops = [e for e in after if e.get("event") == "active_loop"]
    if loops and loops[-1].get("name") == form:
        return "activation"
    for event in after:
        if event.get("event") == "action_execution_rejected":
            return "resume"
        if event.get("event") == "action" and event.get("name") not in (
                None, "action_listen", "action_extract_slots", form, f"validate_{form}"):
            return "resume"
    return "answer"


def find_mobile(text: str) -> str | None:
    """A mainland mobile number in the text (blanks, dashes and +86 allowed), as 11 digits."""
    match = _MOBILE.search(normalize(text))
    return "".join(match.groups()) if match else None


def find_last4(text: str, answering: bool) -> str | None:
    """The phone's last 4 digits in a message.

    Always: from a full mobile number or after "尾号/后四位/last 4/ends in". When the message
    answers the question, also a lone group of 4 digits ("5590", "是5590").
    """
    text = normalize(text)
    if is_payload(text):
        return None
    phone = find_mobile(text)
    if phone:
        return phone[-4:]
    match = _LAST4_HINT.search(text)
    if match:
        return match[1]
    if answering:
        groups = _FOUR_DIGITS.findall(text)
        if len(groups) == 1:
            return groups[0]
    return None


def last4_of(value: Any) -> str | None:
    """A slot value as 4 ASCII digits: "5590", "１２３４", or a full mobile number cut to its end."""
    text = normalize(value)
    phone = find_mobile(text)
    if phone:
        return phone[-4:]
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == 4 and digits.isascii() else None


def inform(entity: str, value: str) -> str:
    return "/inform" + json.dumps({entity: value}, ensure_ascii=False)


def locked_message(lang: str) -> str:
    return t(lang,
             "核对失败次数过多，为保护您的信息，该号码暂时无法查询。请稍后再试，或拨打 12345 市民服务热线。",
             "Too many failed attempts for this number, so it is locked for a while to protect "
             "your data. Please try again later, or call the 12345 citizen hotline.")


class CityFormValidation(FormValidationAction):
    """Extraction + validation with the form conventions of this assistant.

    - Interrupting intents (digressions, "stop", other tasks) extract nothing, so the form is
      rejected and the rules answer; after the answer the form resumes.
    - An answer the form cannot use gets a short hint and the question again (instead of a
      rejection that no rule would handle).
    - A data-service outage ends the form with the polite bilingual message.
    - Typed stop words ("stop", "算了") end the form even when the NLU missed the `deny`.
    """

    form = ""
    own_intents: frozenset[str] = frozenset()
    hints: dict[str, tuple[str, str]] = {}

    @abstractmethod
    def name(self) -> str:
        """validate_<form> (abstract, so the action server does not register this base)."""

    def mode(self, tracker: Tracker) -> str:
        return turn_mode(tracker, self.form)

    def interrupted(self, tracker: Tracker) -> bool:
        intent = latest_intent(tracker)
        if intent not in INTERRUPTING_INTENTS or intent in self.own_intents:
            return False
        if intent == "deny" and any(latest_entities(tracker, name) for name in CORRECTION_ENTITIES):
            return False
        return True

    def answering(self, tracker: Tracker, slot: str) -> bool:
        return self.mode(tracker) == "answer" and tracker.get_slot(REQUESTED_SLOT) == slot

    def reset_events(self) -> list[dict[str, Any]]:
        """The form's own slots, cleared (the form ends or starts over)."""
        return []

    async def settle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                     lang: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Checks across slots after the per-slot validation (may call the data service)."""
        return []

    def stop(self, required: list[str], requested: str | None) -> list[dict[str, Any]]:
        """End the form now: the submit rule follows and its action sees nothing to submit."""
        first = requested if requested in required else required[0]
        return [*self.reset_events(), SlotSet(first, None), SlotSet(REQUESTED_SLOT, None)]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        mode = self.mode(tracker)
        required = self.domain_slots(domain)
        requested = tracker.get_slot(REQUESTED_SLOT) if mode == "answer" else None
        if requested not in required:
            requested = None
        if (requested and latest_intent(tracker) != "deny"
                and latest_text(tracker).lower().strip(" .!。！") in STOP_WORDS):
            dispatcher.utter_message(response="utter_form_stopped")
            return self.stop(required, requested)
        try:
            events = await super().run(dispatcher, tracker, domain)
            if mode != "resume" and not self.interrupted(tracker):
                events += await self.settle(dispatcher, tracker, domain, lang, events)
        except (DataServiceUnavailable, Rejected) as exc:
            if isinstance(exc, Rejected):
                log.warning("%s: data service refused a request (%s)", self.name(), exc.code)
            dispatcher.utter_message(text=unavailable(lang))
            return self.stop(required, requested)
        if (requested and not self.interrupted(tracker)
                and not any(e.get("event") == "slot" and e.get("name") in required
                            for e in events)):
            zh, en = self.hints.get(requested, ("抱歉，我没有理解。", "Sorry, I didn't get that."))
            dispatcher.utter_message(text=t(lang, zh, en))
            events.append(SlotSet(requested, None))
        return events


class AskAction(Action, ABC):
    """A form question that needs live data; an outage ends the form politely."""

    @abstractmethod
    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        try:
            return await self.ask(dispatcher, tracker, domain, lang)
        except (DataServiceUnavailable, Rejected) as exc:
            if isinstance(exc, Rejected):
                log.warning("%s: data service refused a request (%s)", self.name(), exc.code)
            dispatcher.utter_message(text=unavailable(lang))
            return [SlotSet(REQUESTED_SLOT, None)]


# ==============================================================================================
# Data service and wording
# ==============================================================================================

POPULAR_SERVICES = ("passport", "resident_id_card", "residence_permit", "social_security_card",
                    "hk_macau_permit", "marriage_registration")
COMMON_DISTRICTS = ("pudong", "xuhui", "jingan", "huangpu", "minhang", "yangpu")
MAX_DISTRICT_BUTTONS = 8
MAX_SLOT_BUTTONS = 6
SLOTS_PER_DAY = 3
BOOKING_DAYS = 14  # GET /v1/slots lists the next two weeks

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


async def centers_for(service: str, district: str | None, lang: str) -> list[dict]:
    params = {"service": service, "lang": lang}
    if district:
        params["district"] = district
    try:
        return (await get_client().get("/v1/centers", params=params)).get("items", [])
    except NotFound:
        return []


async def free_slots(center: str, service: str, lang: str) -> dict:
    try:
        return await get_client().get("/v1/slots", params={"center": center, "service": service,
                                                           "lang": lang})
    except NotFound:  # a stale centre, or it no longer handles the service
        return {"items": []}


async def service_names(lang: str) -> dict[str, str]:
    items = (await get_client().get("/v1/services", params={"lang": lang})).get("items", [])
    return {s["code"]: s["name"] for s in items}


async def service_detail(code: str, lang: str) -> dict | None:
    try:
        return await get_client().get(f"/v1/services/{code}", params={"lang": lang})
    except NotFound:
        return None


async def district_name(code: str, lang: str) -> str:
    items = (await get_client().get("/v1/districts", params={"lang": lang})).get("items", [])
    return next((d["name"] for d in items if d.get("code") == code), code)


def day_label(day: date | str, lang: str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return t(lang, f"{d.month}月{d.day}日（周{_WEEKDAYS_ZH[d.weekday()]}）",
             f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]}")


def when_label(slot: dict, lang: str) -> str:
    return t(lang, f"{day_label(slot['date'], lang)}{slot['start']}–{slot['end']}",
             f"{day_label(slot['date'], lang)}, {slot['start']}–{slot['end']}")


def button_title(slot: dict, lang: str, today: date) -> str:
    d = date.fromisoformat(slot["date"])
    relative = {0: ("今天 ", "Today "), 1: ("明天 ", "Tomorrow ")}.get((d - today).days)
    if lang == "en":
        head = relative[1] if relative else f"{_WEEKDAYS_EN[d.weekday()]} "
        return f"{head}{d.day} {_MONTHS_EN[d.month - 1]} {slot['start']}"
    head = relative[0] if relative else ""
    return f"{head}{d.month}月{d.day}日 周{_WEEKDAYS_ZH[d.weekday()]} {slot['start']}"


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


# ==============================================================================================
# appointment_form
# ==============================================================================================

BOOKING_SLOTS = ("booking_service", "booking_district", "booking_center", "booking_slot_id",
                 "booking_slot_info", "booking_date", "contact_name", "contact_phone",
                 "contact_phone_last4", "booking_confirmed", "booking_attempt")
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|叫|名字是|名字叫|姓名是|姓名|预约人是?|"
                          r"my name is|name is|name|i am|i'm|it's|it is)\s*[:：,，]?\s*", re.I)


def appointment_reset() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in BOOKING_SLOTS]


def clean_name(text: str) -> str | None:
    name = _NAME_PREFIX.sub("", normalize(text)).strip(" ,，。.!！、")
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > 64 or re.search(r"[\d\x00-\x1f\x7f@/\\{}<>]", name):
        return None
    if name.lower() in STOP_WORDS or len(name.split()) > 6:
        return None
    return name


class ValidateAppointmentForm(CityFormValidation):
    form = APPOINTMENT_FORM

    def name(self) -> str:
        return "validate_appointment_form"

    own_intents = frozenset({"book_appointment"})
    hints = {
        "booking_service": ("抱歉，没能确定您要办理的业务。", "Sorry, I couldn't tell which service you mean."),
        "booking_district": ("抱歉，没有识别出是哪个区。", "Sorry, I couldn't tell which district."),
        "booking_center": ("请从下面的地点中选择一个。", "Please choose one of the places below."),
        "booking_slot_id": ("请点选下面的时间，或告诉我想要的日期（例如“下周一”）。",
                            "Please pick a time below, or tell me another day "
                            "(e.g. \"next Monday\")."),
        "contact_name": ("请告诉我预约人的姓名。", "Please tell me the name for the booking."),
        "booking_confirmed": ("请回复“确认”完成预约，或“不用了”放弃。",
                              "Please reply \"yes\" to book it, or \"no\" to drop it."),
    }

    def reset_events(self) -> list[dict[str, Any]]:
        return appointment_reset()

    # -- service and district: copied from the context slots, resolved here when typed ----------
    def _copy(self, tracker: Tracker, shared: str, own: str) -> dict[str, Any]:
        if self.mode(tracker) == "resume" or self.interrupted(tracker):
            return {}
        was_set, value = set_this_turn(tracker, shared)
        if was_set and value:
            return {own: value}
        if self.answering(tracker, own):
            return {own: None}  # validate_<own> resolves the text or says what went wrong
        return {}

    async def extract_booking_service(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        return self._copy(tracker, "service", "booking_service")

    async def extract_booking_district(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        return self._copy(tracker, "district", "booking_district")

    async def validate_booking_service(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value:
            return {"booking_service": value}
        lang = lang_of(tracker)
        text = latest_text(tracker)
        was_set, options = set_this_turn(tracker, "service_options")
        if not (was_set and options) and text and not is_payload(text):
            found = await resolve(get_client(), "services", text, lang)
            if found.code:
                return {"booking_service": found.code}
            options = found.options
        if options:  # action_ask_booking_service offers them as buttons
            return {"booking_service": None, "service_options": options}
        dispatcher.utter_message(text=t(lang, *self.hints["booking_service"]))
        return {"booking_service": None}

    async def validate_booking_district(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value:
            return {"booking_district": value}
        lang = lang_of(tracker)
        text = latest_text(tracker)
        if text and not is_payload(text):
            found = await resolve(get_client(), "districts", text, lang)
            if found.code:
                return {"booking_district": found.code}
        dispatcher.utter_message(text=t(lang, *self.hints["booking_district"]))
        return {"booking_district": None}

    # -- centre ---------------------------------------------------------------------------------
    async def extract_booking_center(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if (not self.answering(tracker, "booking_center") or self.interrupted(tracker)
                or latest_entities(tracker, "center_id")
                or set_this_turn(tracker, "service")[1] or set_this_turn(tracker, "district")[1]):
            return {}
        service, district = tracker.get_slot("booking_service"), tracker.get_slot("booking_district")
        if not (service and district):
            return {}
        items = await centers_for(service, district, lang_of(tracker))
        choice = pick_center(items, latest_text(tracker))
        return {"booking_center": choice["id"] if choice else None}

    async def validate_booking_center(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        lang = lang_of(tracker)
        if not value:
            dispatcher.utter_message(text=t(lang, *self.hints["booking_center"]))
            return {"booking_center": None}
        service = tracker.get_slot("booking_service")
        if not service:
            return {"booking_center": None}
        # A button from an earlier list may name a centre of another district: take its district.
        for center in await centers_for(service, None, lang):
            if center["id"] == value:
                return {"booking_center": value, "booking_district": center["district"]["code"]}
        dispatcher.utter_message(text=t(lang, "这个地点不办理该业务，请从列出的地点中选择。",
                                        "That place doesn't handle this service; please choose "
                                        "one of the places listed."))
        return {"booking_center": None}

    # -- slot -----------------------------------------------------------------------------------
    def _asked_time(self, tracker: Tracker) -> tuple[date | None, tuple[int, int | None] | None]:
        """The day and time the citizen asked for in this message, if any."""
        text = latest_text(tracker)
        answering = self.answering(tracker, "booking_slot_id")
        day = self._named_day(tracker, read_text=answering)
        when = parse_time(text) if (answering or day) else None
        return day, when

    async def extract_booking_slot_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        if (self.mode(tracker) == "resume" or self.interrupted(tracker)
                or latest_entities(tracker, "slot_id")):
            return {}
        day, when = self._asked_time(tracker)
        if day is None and when is None:
            return {}
        center, service = tracker.get_slot("booking_center"), tracker.get_slot("booking_service")
        if when and center and service:
            start = (day or self._start_day(tracker)).isoformat()
            items = (await free_slots(center, service, lang_of(tracker))).get("items", [])
            match = next((s for s in items
                          if s["date"] >= start and slot_matches(s, day, when)), None)
            if match:
                return {"booking_slot_id": str(match["slot_id"])}
        return {"booking_slot_id": None}  # validate_booking_slot_id moves the offer to that day

    @staticmethod
    def _named_day(tracker: Tracker, read_text: bool) -> date | None:
        """The day this message names: the `date` the context action set from it, or (when
        `read_text`) the text itself, since the entity model misses dates in long sentences."""
        was_set, iso = set_this_turn(tracker, "date")
        if was_set and iso:
            try:
                return date.fromisoformat(iso)
            except ValueError:
                pass
        text = latest_text(tracker)
        return dates.parse(text) if read_text and not is_payload(text) else None

    @staticmethod
    def _start_day(tracker: Tracker) -> date:
        today = dates.today()
        try:
            asked = date.fromisoformat(tracker.get_slot("booking_date") or "")
        except ValueError:
            return today
        return max(asked, today)

    async def validate_booking_slot_id(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        lang = lang_of(tracker)
        if not value:
            day, when = self._asked_time(tracker)
            out: dict[str, Any] = {"booking_slot_id": None, "booking_slot_info": None}
            if day:
                out["booking_date"] = day.isoformat()
            if when and tracker.get_slot("booking_center"):
                hhmm = f"{when[0]:02d}:{when[1] or 0:02d}"
                dispatcher.utter_message(text=t(
                    lang, f"抱歉，{day_label(day, 'zh') if day else ''}{hhmm} 没有可预约的空位。",
                    f"Sorry, there is no free slot at {hhmm}"
                    + (f" on {day_label(day, 'en')}." if day else ".")))
            return out
        center, service = tracker.get_slot("booking_center"), tracker.get_slot("booking_service")
        if not (center and service):
            return {"booking_slot_id": None, "booking_slot_info": None}
        items = (await free_slots(center, service, lang)).get("items", [])
        slot = next((s for s in items if str(s["slot_id"]) == str(value)), None)
        if slot is None:
            dispatcher.utter_message(text=t(lang, "抱歉，这个时间已经约满或已过，请重新选择。",
                                            "Sorry, that time is no longer available. Please "
                                            "choose another one."))
            return {"booking_slot_id": None, "booking_slot_info": None}
        info = {"slot_id": str(slot["slot_id"]), "date": slot["date"], "start": slot["start"],
                "end": slot["end"], "center": center, "service": service}
        return {"booking_slot_id": info["slot_id"], "booking_slot_info": info,
                "booking_date": slot["date"]}

    # -- contact --------------------------------------------------------------------------------
    async def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if self.answering(tracker, "contact_name") and any(
                latest_entities(tracker, n) for n in ("service", "district", "date", "center_id",
                                                      "slot_id")):
            return {"contact_name": None}  # a correction: its own slot handles it
        if pii.decrypt(value):  # validated earlier (the form asks again after a full slot)
            return {"contact_name": value}
        lang = lang_of(tracker)
        text = normalize(value)
        extra: dict[str, Any] = {}
        phone = find_mobile(text)
        if phone:  # "张伟 13817265590": both at once
            extra = {"contact_phone": pii.encrypt(phone), "contact_phone_last4": phone[-4:]}
            text = _MOBILE.sub(" ", text)
        name = clean_name(text)
        if not name:
            dispatcher.utter_message(text=t(lang, "请只告诉我预约人的姓名，例如“张伟”。",
                                            "Please just tell me the name, e.g. \"Li Wei\"."))
            return {"contact_name": None, **extra}
        return {"contact_name": pii.encrypt(name), **extra}  # like the phone: never in the clear

    async def extract_contact_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if not self.answering(tracker, "contact_phone"):
            return {}
        phone = find_mobile(latest_text(tracker))
        if phone:  # a number is an answer whatever intent the NLU saw in digits
            return {"contact_phone": pii.encrypt(phone)}
        return {} if self.interrupted(tracker) else {"contact_phone": None}

    async def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        phone = pii.decrypt(value)
        if phone and find_mobile(phone) == phone:
            return {"contact_phone": value, "contact_phone_last4": phone[-4:]}
        dispatcher.utter_message(text=t(lang_of(tracker),
                                        "这似乎不是有效的手机号码，请输入 11 位大陆手机号，例如 13812345678。",
                                        "That doesn't look like a mainland mobile number. Please "
                                        "send the 11 digits, e.g. 13812345678."))
        return {"contact_phone": None, "contact_phone_last4": None}

    async def validate_booking_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"booking_confirmed": True if value else None}

    # -- across slots ---------------------------------------------------------------------------
    async def settle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                     lang: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep centre and slot consistent with service and district; pick a lone centre; keep a
        day named in the opening message ("下周二预约办护照") for the offer of free times."""
        out: list[dict[str, Any]] = []
        if self.mode(tracker) == "activation" and not tracker.get_slot("booking_date"):
            day = self._named_day(tracker, read_text=True)
            if day:
                out.append(SlotSet("booking_date", day.isoformat()))
        service = tracker.get_slot("booking_service")
        district = tracker.get_slot("booking_district")
        center = tracker.get_slot("booking_center")
        changed = {e.get("name") for e in events if e.get("event") == "slot"}
        if service and district and (center is None or self.mode(tracker) == "activation"
                                     or changed & {"booking_service", "booking_district",
                                                   "booking_center"}):
            items = await centers_for(service, district, lang)
            if not items:
                out += await self._not_in_district(dispatcher, service, district, lang)
                center = None
            else:
                if center and center not in {c["id"] for c in items}:
                    out.append(SlotSet("booking_center", None))
                    center = None
                if center is None and len(items) == 1:
                    only = items[0]
                    center = only["id"]
                    out.append(SlotSet("booking_center", center))
                    svc = (await service_names(lang)).get(service, service)
                    dispatcher.utter_message(text=t(
                        lang,
                        f"{only['district']['name']}办理{svc}的地点是：{only['name']}"
                        f"（{only['address']}；{only['hours_summary']}）。",
                        f"In {only['district']['name']}, {svc} is handled at {only['name']} "
                        f"({only['address']}; {only['hours_summary']})."))
        info = tracker.get_slot("booking_slot_info")
        if isinstance(info, dict) and (info.get("center") != center
                                       or info.get("service") != service):
            out += [SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None)]
        return out

    async def _not_in_district(self, dispatcher: CollectingDispatcher, service: str,
                               district: str, lang: str) -> list[dict[str, Any]]:
        svc = (await service_names(lang)).get(service, service)
        where = await district_name(district, lang)
        others: dict[str, str] = {}
        for center in await centers_for(service, None, lang):
            others.setdefault(center["district"]["code"], center["district"]["name"])
        listed = t(lang, "、", ", ").join(others.values())  # all of them: at most 16 short names
        dispatcher.utter_message(text=t(
            lang, f"{where}没有可以办理{svc}的地点。可以在这些区办理：{listed}。",
            f"{svc} isn't handled in {where}. You can book it in: {listed}."))
        return [SlotSet("booking_district", None), SlotSet("booking_center", None),
                SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None)]


def pick_center(items: list[dict], text: str) -> dict | None:
    """A centre named in a typed answer: its number in the list ("2", "第二个", "the second") or
    part of its name ("陆家嘴")."""
    s = normalize(text).lower().strip(" 。.!")
    if not s or is_payload(s):
        return None
    ordinals = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                "九": 9, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
    if m := re.fullmatch(r"(?:第|no\.?\s*|number\s*|the\s+)?(\d|[一二两三四五六七八九]|first|second|"
                         r"third|fourth|fifth)\s*(?:个|家|个地方|one)?", s):
        index = int(m[1]) if m[1].isdigit() else ordinals[m[1]]
        return items[index - 1] if 1 <= index <= len(items) else None
    hits = [c for c in items if s in c["name"].lower() or c["name"].lower() in s]
    return hits[0] if len(hits) == 1 else None


class ActionAskBookingService(AskAction):
    def name(self) -> str:
        return "action_ask_booking_service"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        names = await service_names(lang)
        was_set, options = set_this_turn(tracker, "service_options")
        if was_set and options:
            codes = [o["code"] for o in options if isinstance(o, dict) and o.get("code")]
            text = t(lang, "请问您要预约的是哪一项？", "Which of these would you like to book?")
        else:
            codes = [c for c in (tracker.get_slot("service"), *POPULAR_SERVICES) if c]
            text = t(lang, "请问您要预约办理什么业务？可以点选常用业务，或直接输入业务名称。",
                     "Which service would you like to book? Pick one below or type its name.")
        codes = [c for c in dict.fromkeys(codes) if c in names][:MAX_SLOT_BUTTONS]
        dispatcher.utter_message(text=text, buttons=[
            {"title": names[c], "payload": inform("service", c)} for c in codes])
        return []


class ActionAskBookingDistrict(AskAction):
    def name(self) -> str:
        return "action_ask_booking_district"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        service = tracker.get_slot("booking_service")
        svc = (await service_names(lang)).get(service, service)
        districts: dict[str, str] = {}
        for center in await centers_for(service, None, lang):
            districts.setdefault(center["district"]["code"], center["district"]["name"])
        if not districts:
            dispatcher.utter_message(text=t(
                lang, f"抱歉，{svc}目前没有可预约的受理地点。请拨打 12345 市民服务热线咨询。",
                f"Sorry, {svc} can't be booked at any centre at the moment. Please call the 12345 "
                "citizen hotline."))
            return [SlotSet(REQUESTED_SLOT, None)]
        known = tracker.get_slot("district")
        if len(districts) <= MAX_DISTRICT_BUTTONS:
            codes = [c for c in (known, *districts) if c in districts]
            text = t(lang, f"可以在这些区预约办理{svc}，请问您想去哪个区？",
                     f"{svc} can be booked in these districts. Which one suits you?")
        else:
            codes = [c for c in (known, *COMMON_DISTRICTS) if c in districts]
            text = t(lang, f"请问您想去哪个区办理{svc}？各区都可以办理，直接输入区名即可，例如“浦东”“徐汇”。",
                     f"Which district would you like to go to for {svc}? Every district handles "
                     "it: just type yours, e.g. \"Pudong\" or \"Xuhui\".")
        codes = list(dict.fromkeys(codes))[:MAX_DISTRICT_BUTTONS]
        dispatcher.utter_message(text=text, buttons=[
            {"title": districts[c], "payload": inform("district", c)} for c in codes])
        return []


class ActionAskBookingCenter(AskAction):
    def name(self) -> str:
        return "action_ask_booking_center"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        service = tracker.get_slot("booking_service")
        district = tracker.get_slot("booking_district")
        items = await centers_for(service, district, lang)
        svc = (await service_names(lang)).get(service, service)
        if not items:  # validation keeps this from happening; never ask with an empty list
            dispatcher.utter_message(text=t(lang, f"抱歉，没有找到可以办理{svc}的地点。",
                                            f"Sorry, I found no place handling {svc}."))
            return [SlotSet(REQUESTED_SLOT, None)]
        where = items[0]["district"]["name"]
        lines = "\n".join(f"{i}. {c['name']} — {c['address']}（{c['hours_summary']}）" if lang == "zh"
                          else f"{i}. {c['name']} — {c['address']} ({c['hours_summary']})"
                          for i, c in enumerate(items, 1))
        text = t(lang, f"{where}有 {len(items)} 个地方可以办理{svc}，请选择：\n{lines}",
                 f"{len(items)} places in {where} handle {svc}. Which one?\n{lines}")
        dispatcher.utter_message(text=text, buttons=[
            {"title": c["name"], "payload": inform("center_id", c["id"])} for c in items])
        return []


class ActionAskBookingSlotId(AskAction):
    def name(self) -> str:
        return "action_ask_booking_slot_id"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        center = tracker.get_slot("booking_center")
        service = tracker.get_slot("booking_service")
        data = await free_slots(center, service, lang)
        items = data.get("items", [])
        center_name = (data.get("center") or {}).get("name", center)
        svc = (data.get("service") or {}).get("name", service)
        if not items:
            dispatcher.utter_message(text=t(
                lang, f"{center_name}近两周办理{svc}的预约已满。您可以重新预约并选择其他地点，"
                      "或拨打 12345 市民服务热线咨询。",
                f"{center_name} has no free times for {svc} in the next two weeks. You can start "
                "again and choose another place, or call the 12345 citizen hotline."))
            return [SlotSet(REQUESTED_SLOT, None)]
        today = dates.today()
        asked = tracker.get_slot("booking_date")
        start = ValidateAppointmentForm._start_day(tracker)
        notes = []
        if (start - today).days >= BOOKING_DAYS:
            notes.append(t(lang, "目前只能预约两周内的时间。", "Bookings open two weeks ahead."))
            start, asked = today, None
        chosen = pick_slots(items, start, whole_day=bool(asked))
        if asked and not any(s["date"] == start.isoformat() for s in items):
            notes.append(t(lang, f"{day_label(start, lang)}没有可预约的时间（已约满或不办公）。",
                           f"There are no free times on {day_label(start, lang)} (fully booked "
                           "or closed)."))
        if not chosen:
            chosen = pick_slots(items, today, whole_day=False)
        notes.append(t(lang, f"{center_name}办理{svc}，可预约的时间：",
                       f"Free times for {svc} at {center_name}:"))
        notes.append(t(lang, "也可以告诉我想要的日期，例如“下周一”。",
                       "You can also tell me another day, e.g. \"next Monday\"."))
        dispatcher.utter_message(text="\n".join(notes), buttons=[
            {"title": button_title(s, lang, today), "payload": inform("slot_id", str(s["slot_id"]))}
            for s in chosen])
        return []


class ActionAskContactName(AskText):
    zh = "请问预约人的姓名是？（到场办理的人）"
    en = "Whose name should the appointment be under? (the person who will come)"

    def name(self) -> str:
        return "action_ask_contact_name"


class ActionAskContactPhone(AskText):
    zh = ("请提供预约人的手机号码（大陆手机号）。取消预约时需要核对手机号后四位。"
          "（号码加密保存，仅用于本次预约）")
    en = ("And a mainland mobile number for the booking? You'll need its last 4 digits to cancel "
          "it. (It is kept encrypted and used only for this booking.)")

    def name(self) -> str:
        return "action_ask_contact_phone"


class ActionAskBookingConfirmed(AskAction):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        info = tracker.get_slot("booking_slot_info") or {}
        center_id = tracker.get_slot("booking_center")
        service = tracker.get_slot("booking_service")
        try:
            center = await get_client().get(f"/v1/centers/{center_id}", params={"lang": lang})
        except NotFound:
            center = {"name": center_id, "address": ""}
        svc = (await service_names(lang)).get(service, service)
        name = mask_name(pii.decrypt(tracker.get_slot("contact_name")) or "")
        last4 = tracker.get_slot("contact_phone_last4") or "****"
        when = when_label(info, lang) if info.get("date") else ""
        text = t(lang,
                 f"请确认预约信息：\n业务：{svc}\n地点：{center['name']}（{center['address']}）\n"
                 f"时间：{when}\n预约人：{name}（手机尾号 {last4}）\n确认预约吗？",
                 f"Please check the booking:\nService: {svc}\nWhere: {center['name']} "
                 f"({center['address']})\nWhen: {when}\nName: {name} (mobile ending {last4})\n"
                 "Shall I book it?")
        dispatcher.utter_message(text=text, buttons=[
            {"title": t(lang, "确认预约", "Yes, book it"), "payload": "/affirm"},
            {"title": t(lang, "不用了", "No"), "payload": "/deny"}])
        return [] if tracker.get_slot("booking_attempt") else [SlotSet("booking_attempt",
                                                                       new_attempt())]


class ActionBookAppointment(Action):
    """Submit of appointment_form: POST /v1/appointments, retry-safe."""

    def name(self) -> str:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        slot_id = tracker.get_slot("booking_slot_id")
        name = pii.decrypt(tracker.get_slot("contact_name"))
        confirmed = tracker.get_slot("booking_confirmed")
        if not (confirmed and slot_id and tracker.get_slot("contact_name")):
            return appointment_reset()  # the form ended without a confirmation: nothing to book
        phone = pii.decrypt(tracker.get_slot("contact_phone"))
        if not name:
            dispatcher.utter_message(text=t(lang, "为保护您的信息，请重新告诉我一次预约人的姓名。",
                                            "To protect your data, please give me the name "
                                            "for the booking once more."))
            return [SlotSet("contact_name", None), SlotSet("booking_confirmed", None),
                    FollowupAction(APPOINTMENT_FORM)]
        if not phone:
            dispatcher.utter_message(text=t(lang, "为保护您的信息，请重新提供一次手机号码。",
                                            "To protect your data, please give me the mobile "
                                            "number once more."))
            return [SlotSet("contact_phone", None), SlotSet("contact_phone_last4", None),
                    SlotSet("booking_confirmed", None), FollowupAction(APPOINTMENT_FORM)]
        if not str(slot_id).isdigit():
            return appointment_reset()
        key = idempotency_key(tracker.sender_id, str(slot_id), tracker.get_slot("booking_attempt"))
        body = {"slot_id": int(slot_id), "name": name, "phone": phone, "language": lang}
        try:
            booking = await get_client().post("/v1/appointments", body, idempotency_key=key)
        except (NotFound, Rejected) as exc:
            code = exc.code if isinstance(exc, Rejected) else "slot_not_found"
            if code in ("slot_full", "slot_in_past", "slot_not_found"):
                dispatcher.utter_message(text=t(lang, "抱歉，这个时间刚刚被约满了。请重新选择一个时间：",
                                                "Sorry, that time has just been fully booked. "
                                                "Please choose another time:"))
                return [SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None),
                        SlotSet("booking_confirmed", None), FollowupAction(APPOINTMENT_FORM)]
            dispatcher.utter_message(text=t(lang, "抱歉，预约没有成功。请稍后重试，或拨打 12345 市民服务热线。",
                                            "Sorry, the booking didn't go through. Please try "
                                            "again later, or call the 12345 citizen hotline."))
            return appointment_reset()
        except DataServiceUnavailable:
            # The booking may or may not have been made: keep everything (and the attempt, hence
            # the Idempotency-Key) so that confirming again replays it instead of booking twice.
            dispatcher.utter_message(text=t(
                lang, "抱歉，系统暂时无法确认预约结果。请稍后再说一次“预约”并确认，不会重复预约；"
                      "如有急事请拨打 12345 市民服务热线。",
                "Sorry, I couldn't confirm the booking just now. Please say \"book an "
                "appointment\" again in a few minutes and confirm (you won't be booked twice), "
                "or call the 12345 citizen hotline if it's urgent."))
            return [SlotSet("booking_confirmed", None)]
        documents: list[str] = []
        try:
            documents = list(((await service_detail(booking["service"]["code"], lang)) or {})
                             .get("documents", []))
        except DataServiceUnavailable:
            pass
        dispatcher.utter_message(text=booking_message(booking, documents,
                                                      tracker.get_slot("contact_phone_last4")
                                                      or phone[-4:], lang))
        return appointment_reset()


def booking_message(booking: dict, documents: list[str], last4: str, lang: str) -> str:
    center, slot = booking["center"], booking["slot"]
    phone = center.get("phone")
    where_zh = f"{center['name']}（{center['address']}" + (f"，电话 {phone}）" if phone else "）")
    where_en = f"{center['name']} ({center['address']}" + (f", tel. {phone})" if phone else ")")
    bring = "\n".join(f"- {d}" for d in documents)
    zh = (f"预约成功！预约号：{booking['booking_no']}\n业务：{booking['service']['name']}\n"
          f"地点：{where_zh}\n时间：{when_label(slot, 'zh')}\n"
          + (f"请携带：\n{bring}\n" if bring else "")
          + f"如需取消，请告诉我预约号和手机号后四位（尾号 {last4}）。")
    en = (f"You're booked! Booking number: {booking['booking_no']}\n"
          f"Service: {booking['service']['name']}\nWhere: {where_en}\n"
          f"When: {when_label(slot, 'en')}\n"
          + (f"Please bring:\n{bring}\n" if bring else "")
          + f"To cancel, tell me the booking number and the last 4 digits of your mobile "
            f"(ending {last4}).")
    return t(lang, zh, en)


class ActionResetAppointmentForm(Action):
    """After "stop": the next booking starts from scratch."""

    def name(self) -> str:
        return "action_reset_appointment_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        return appointment_reset()


# ==============================================================================================
# cancel_appointment_form
# ==============================================================================================

CANCEL_SLOTS = ("booking_no", "phone_last4", "booking_found", "cancel_confirmed")
_BOOKING_NO = re.compile(r"(?<![A-Za-z0-9])[Aa][Pp]\s*\d{6}\s*[A-Za-z0-9]{8}(?![A-Za-z0-9])")


def cancel_reset() -> list[dict[str, Any]]:
    return [SlotSet(name, None) for name in CANCEL_SLOTS]


def find_booking_no(text: str, answering: bool) -> str | None:
    text = normalize(text)
    if is_payload(text):
        return None
    if m := _BOOKING_NO.search(text):
        return re.sub(r"\s", "", m[0]).upper()
    token = re.sub(r"[\s-]", "", text)
    if answering and re.fullmatch(r"[A-Za-z0-9]{6,32}", token) and re.search(r"\d", token) \
            and re.search(r"[A-Za-z]", token):
        return token.upper()
    return None


def booking_summary(view: dict) -> dict:
    """What the confirmation and the answer show (all masked or public)."""
    return {"booking_no": view["booking_no"], "status": view["status"], "slot": view["slot"],
            "center": {k: view["center"].get(k) for k in ("name", "address", "phone")},
            "service": view["service"]["name"]}


class ValidateCancelAppointmentForm(CityFormValidation):
    form = CANCEL_FORM

    def name(self) -> str:
        return "validate_cancel_appointment_form"

    own_intents = frozenset({"cancel_appointment"})
    hints = {
        "booking_no": ("预约号以 AP 开头，例如 AP261130V53VY753。",
                       "A booking number starts with AP, e.g. AP261130V53VY753."),
        "phone_last4": ("请发送手机号的后四位数字，例如 5590。",
                        "Please send the last 4 digits of the mobile number, e.g. 5590."),
        "cancel_confirmed": ("请回复“确认”取消这个预约，或“不用了”保留它。",
                             "Please reply \"yes\" to cancel this booking, or \"no\" to keep it."),
    }

    def reset_events(self) -> list[dict[str, Any]]:
        return cancel_reset()

    async def extract_booking_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        mode = self.mode(tracker)
        if mode == "resume" or latest_entities(tracker, "booking_no"):
            return {}
        answering = self.answering(tracker, "booking_no")
        found = find_booking_no(latest_text(tracker), answering)
        if found:
            return {"booking_no": found}
        return {"booking_no": None} if answering and not self.interrupted(tracker) else {}

    async def validate_booking_no(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        number = re.sub(r"[\s-]", "", normalize(value)).upper()
        if re.fullmatch(r"[A-Z0-9]{4,32}", number):
            return {"booking_no": number}
        dispatcher.utter_message(text=t(lang_of(tracker), *self.hints["booking_no"]))
        return {"booking_no": None}

    async def extract_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return extract_last4(self, tracker)

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return validate_last4(self, value, dispatcher, tracker)

    async def validate_cancel_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"cancel_confirmed": True if value else None}

    async def settle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                     lang: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Verify number + digits with a lookup as soon as both are known."""
        number, last4 = tracker.get_slot("booking_no"), tracker.get_slot("phone_last4")
        found = tracker.get_slot("booking_found")
        if not (number and last4) or (isinstance(found, dict) and found.get("booking_no") == number):
            return []
        try:
            view = await get_client().post("/v1/appointments/lookup",
                                           {"booking_no": number, "phone_last4": last4},
                                           params={"lang": lang})
        except NotFound:
            return self._not_found(dispatcher, lang)
        except Rejected as exc:
            if exc.status == 429:
                dispatcher.utter_message(text=locked_message(lang))
                return self.stop(["booking_no"], None)
            return self._not_found(dispatcher, lang)
        summary = booking_summary(view)
        if view.get("status") == "cancelled":
            dispatcher.utter_message(text=t(
                lang, f"预约 {summary['booking_no']} 已经取消过了，无需再次取消。",
                f"Booking {summary['booking_no']} is already cancelled; nothing more to do."))
            return self.stop(["booking_no"], None)
        if slot_started(view["slot"]):
            dispatcher.utter_message(text=t(
                lang, f"预约 {summary['booking_no']}（{when_label(view['slot'], lang)}）的时间已经开始或已过，无法取消。",
                f"Booking {summary['booking_no']} ({when_label(view['slot'], lang)}) has already "
                "started or passed, so it can't be cancelled."))
            return self.stop(["booking_no"], None)
        return [SlotSet("booking_found", summary)]

    @staticmethod
    def _not_found(dispatcher: CollectingDispatcher, lang: str) -> list[dict[str, Any]]:
        # One message for an unknown number and for wrong digits: existence is never revealed.
        dispatcher.utter_message(text=t(
            lang, "没有找到与该预约号和手机尾号相符的预约。请核对后重新输入预约号。",
            "I couldn't find a booking matching that number and phone digits. Please check "
            "them and send the booking number again."))
        return [SlotSet("booking_no", None), SlotSet("phone_last4", None),
                SlotSet("booking_found", None)]


def extract_last4(form: CityFormValidation, tracker: Tracker) -> dict[str, Any]:
    """phone_last4 from the text (an entity is mapped by the domain).

    The digits are a verification factor: a lookup uses only digits given for it. Digits left
    over from an abandoned form are dropped when a form starts without new ones.
    """
    mode = form.mode(tracker)
    if mode == "resume" or latest_entities(tracker, "phone_last4"):
        return {}
    answering = form.answering(tracker, "phone_last4")
    digits = find_last4(latest_text(tracker), answering)
    if digits:
        return {"phone_last4": digits}
    if (mode == "activation" and tracker.get_slot("phone_last4")
            and not set_before_form(tracker, "phone_last4", form.form)):
        return {"phone_last4": None}
    return {"phone_last4": None} if answering and not form.interrupted(tracker) else {}


def validate_last4(form: CityFormValidation, value: Any, dispatcher: CollectingDispatcher,
                   tracker: Tracker) -> dict[str, Any]:
    digits = last4_of(value)
    if digits:
        return {"phone_last4": digits}
    if value is not None or form.mode(tracker) != "activation":
        dispatcher.utter_message(text=t(lang_of(tracker), *form.hints["phone_last4"]))
    return {"phone_last4": None}


class ActionAskBookingNo(AskText):
    zh = "请问预约号是多少？以 AP 开头，例如 AP261130V53VY753，可在预约成功的消息中找到。"
    en = ("What is the booking number? It starts with AP, e.g. AP261130V53VY753, and is in your "
          "booking confirmation.")

    def name(self) -> str:
        return "action_ask_booking_no"


class ActionAskCancelFormPhoneLast4(AskText):
    zh = "为核实身份，请提供预约时所留手机号的后四位。"
    en = "To verify it's you: what are the last 4 digits of the mobile number used for the booking?"

    def name(self) -> str:
        return "action_ask_cancel_appointment_form_phone_last4"


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        found = tracker.get_slot("booking_found") or {}
        slot, center = found.get("slot") or {}, found.get("center") or {}
        when = when_label(slot, lang) if slot.get("date") else ""
        text = t(lang,
                 f"找到您的预约 {found.get('booking_no', '')}：\n业务：{found.get('service', '')}\n"
                 f"地点：{center.get('name', '')}（{center.get('address', '')}）\n时间：{when}\n"
                 "确定要取消这个预约吗？",
                 f"I found your booking {found.get('booking_no', '')}:\n"
                 f"Service: {found.get('service', '')}\nWhere: {center.get('name', '')} "
                 f"({center.get('address', '')})\nWhen: {when}\nDo you want to cancel it?")
        dispatcher.utter_message(text=text, buttons=[
            {"title": t(lang, "确认取消", "Yes, cancel it"), "payload": "/affirm"},
            {"title": t(lang, "保留预约", "No, keep it"), "payload": "/deny"}])
        return []


class ActionCancelAppointment(Action):
    """Submit of cancel_appointment_form: POST /v1/appointments/cancel (safe to repeat)."""

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        number, last4 = tracker.get_slot("booking_no"), tracker.get_slot("phone_last4")
        if not (tracker.get_slot("cancel_confirmed") and number and last4):
            return cancel_reset()
        try:
            view = await get_client().post("/v1/appointments/cancel",
                                           {"booking_no": number, "phone_last4": last4},
                                           params={"lang": lang})
        except NotFound:
            dispatcher.utter_message(text=t(
                lang, "没有找到与该预约号和手机尾号相符的预约，未做任何更改。",
                "I couldn't find a booking matching that number and phone digits; nothing was "
                "changed."))
            return cancel_reset()
        except Rejected as exc:
            if exc.status == 429:
                dispatcher.utter_message(text=locked_message(lang))
            elif exc.code == "booking_in_past":
                dispatcher.utter_message(text=t(lang, "这个预约的时间已经开始或已过，无法取消。",
                                                "This appointment has already started or passed, "
                                                "so it can't be cancelled."))
            else:
                dispatcher.utter_message(text=t(lang, "抱歉，取消没有成功。请稍后重试，或拨打 12345 市民服务热线。",
                                                "Sorry, the cancellation didn't go through. Please "
                                                "try again later, or call the 12345 citizen hotline."))
            return cancel_reset()
        except DataServiceUnavailable:
            # Cancelling is idempotent: keep the verified booking so "yes" can simply be repeated.
            dispatcher.utter_message(text=unavailable(lang))
            return [SlotSet("cancel_confirmed", None)]
        center = view["center"]
        dispatcher.utter_message(text=t(
            lang,
            f"已为您取消预约 {view['booking_no']}：{view['service']['name']}，{center['name']}，"
            f"{when_label(view['slot'], 'zh')}。名额已释放。如需重新预约，告诉我“预约”即可。",
            f"Booking {view['booking_no']} is cancelled: {view['service']['name']} at "
            f"{center['name']}, {when_label(view['slot'], 'en')}. The place has been released. "
            "If you need a new time, just say \"book an appointment\"."))
        return cancel_reset()


class ActionResetCancelAppointmentForm(Action):
    def name(self) -> str:
        return "action_reset_cancel_appointment_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        return cancel_reset()

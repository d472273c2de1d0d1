"""appointment_form: service -> district -> centre (asked only when the district has several) ->
a free slot (buttons of real free slots) -> name -> mobile -> confirmation.

Its questions are in actions/booking_asks.py and bot/domain/appointments.yml, its submit in
actions/booking_submit.py. The name and the mobile number stay in their slots as Fernet tokens
(actions/secrets.py), decrypted only for the booking call.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dates
from actions import secrets as pii
from actions.api.gateway import get_gateway
from actions.api.models import Centre
from actions.base import set_this_turn
from actions.booking_slots import (centres_for, districts_of, free_slots, parse_time, slot_items,
                                   slot_matches, start_day)
from actions.forms import (STOP_WORDS, CityFormValidation, is_payload, latest_entities,
                           latest_text)
from actions.i18n import lang_of, t
from actions.labels import day_label
from actions.resolution import resolve
from privacy.parsing import MOBILE, find_mobile, normalize

APPOINTMENT_FORM = "appointment_form"
BOOKING_SLOTS = ("booking_service", "booking_district", "booking_center", "booking_slot_id",
                 "booking_slot_info", "booking_date", "contact_name", "contact_phone",
                 "contact_phone_last4", "booking_confirmed", "booking_attempt")
_NAME_PREFIX = re.compile(r"^(?:我叫|我是|叫|名字是|名字叫|姓名是|姓名|预约人是?|"
                          r"my name is|name is|name|i am|i'm|it's|it is)\s*[:：,，]?\s*", re.I)


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
    own_slots = BOOKING_SLOTS

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
        # action_ask_booking_service offers close matches as buttons
        return await self._resolve_typed("booking_service", "services", value, dispatcher, tracker,
                                         options_slot="service_options")

    async def validate_booking_district(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return await self._resolve_typed("booking_district", "districts", value, dispatcher, tracker)

    async def _resolve_typed(self, slot: str, kind: str, value: Any,
                             dispatcher: CollectingDispatcher, tracker: Tracker,
                             options_slot: str | None = None) -> dict[str, Any]:
        """The copied value, else the code resolved from the typed text, else (with an
        `options_slot`) the close matches to offer, else the slot's hint."""
        if value:
            return {slot: value}
        lang = lang_of(tracker)
        text = latest_text(tracker)
        # Options offered this turn (by the context action) are not resolved again.
        options = set_this_turn(tracker, options_slot)[1] if options_slot else None
        if not options and text and not is_payload(text):
            found = await resolve(get_gateway(), kind, text, lang)
            if found.code:
                return {slot: found.code}
            if options_slot:
                options = found.options
        if options:
            return {slot: None, options_slot: options}
        dispatcher.utter_message(text=t(lang, *self.hints[slot]))
        return {slot: None}

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
        items = await centres_for(service, district, lang_of(tracker))
        choice = pick_center(items, latest_text(tracker))
        return {"booking_center": choice.id if choice else None}

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
        for center in await centres_for(service, None, lang):
            if center.id == value:
                return {"booking_center": value, "booking_district": center.district.code}
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
            start = (day or start_day(tracker)).isoformat()
            items = slot_items(await free_slots(center, service, lang_of(tracker)))
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
        items = slot_items(await free_slots(center, service, lang))
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
            text = MOBILE.sub(" ", text)
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
            items = await centres_for(service, district, lang)
            if not items:
                out += await self._not_in_district(dispatcher, service, district, lang)
                center = None
            else:
                if center and center not in {c.id for c in items}:
                    out.append(SlotSet("booking_center", None))
                    center = None
                if center is None and len(items) == 1:
                    only = items[0]
                    center = only.id
                    out.append(SlotSet("booking_center", center))
                    svc = await get_gateway().service_name(service, lang)
                    where = only.district.name if only.district else ""
                    dispatcher.utter_message(text=t(
                        lang,
                        f"{where}办理{svc}的地点是：{only.name}"
                        f"（{only.address}；{only.hours_summary}）。",
                        f"In {where}, {svc} is handled at {only.name} "
                        f"({only.address}; {only.hours_summary})."))
        info = tracker.get_slot("booking_slot_info")
        if isinstance(info, dict) and (info.get("center") != center
                                       or info.get("service") != service):
            out += [SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None)]
        return out

    async def _not_in_district(self, dispatcher: CollectingDispatcher, service: str,
                               district: str, lang: str) -> list[dict[str, Any]]:
        svc = await get_gateway().service_name(service, lang)
        where = await get_gateway().district_name(district, lang)
        others = districts_of(await centres_for(service, None, lang))
        listed = t(lang, "、", ", ").join(others.values())  # all of them: at most 16 short names
        dispatcher.utter_message(text=t(
            lang, f"{where}没有可以办理{svc}的地点。可以在这些区办理：{listed}。",
            f"{svc} isn't handled in {where}. You can book it in: {listed}."))
        return [SlotSet("booking_district", None), SlotSet("booking_center", None),
                SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None)]


def pick_center(items: list[Centre], text: str) -> Centre | None:
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
    hits = [c for c in items if s in c.name.lower() or c.name.lower() in s]
    return hits[0] if len(hits) == 1 else None


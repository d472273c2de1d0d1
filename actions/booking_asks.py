"""The questions of appointment_form that need live data: buttons of the services, districts,
centres and free times the data service has, and the summary to confirm.

The fixed-text questions (name, mobile) are `utter_ask_*` responses in bot/domain/appointments.yml.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import dates
from actions import secrets as pii
from actions.base import set_this_turn
from actions.api.dataservice import NotFound
from actions.api.gateway import get_gateway
from actions.booking_slots import (BOOKING_DAYS, MAX_SLOT_BUTTONS, centres_for, districts_of,
                                   free_slots, new_attempt, pick_slots, slot_items, start_day)
from actions.forms import (COMMON_DISTRICTS, MAX_DISTRICT_BUTTONS, AskAction, choice_buttons,
                           confirm_buttons)
from actions.i18n import t
from actions.labels import button_title, day_label, when_label
from privacy import mask_name

POPULAR_SERVICES = ("passport", "resident_id_card", "residence_permit", "social_security_card",
                    "hk_macau_permit", "marriage_registration")


class ActionAskBookingService(AskAction):
    def name(self) -> str:
        return "action_ask_booking_service"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        names = {s.code: s.name for s in await get_gateway().services(lang)}
        was_set, options = set_this_turn(tracker, "service_options")
        if was_set and options:
            codes = [o.get("code") for o in options if isinstance(o, dict)]
            text = t(lang, "请问您要预约的是哪一项？", "Which of these would you like to book?")
        else:
            codes = [tracker.get_slot("service"), *POPULAR_SERVICES]
            text = t(lang, "请问您要预约办理什么业务？可以点选常用业务，或直接输入业务名称。",
                     "Which service would you like to book? Pick one below or type its name.")
        dispatcher.utter_message(text=text, buttons=choice_buttons("service", names, codes,
                                                                    MAX_SLOT_BUTTONS))
        return []


class ActionAskBookingDistrict(AskAction):
    def name(self) -> str:
        return "action_ask_booking_district"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        service = tracker.get_slot("booking_service")
        svc = await get_gateway().service_name(service, lang)
        districts = districts_of(await centres_for(service, None, lang))
        if not districts:
            dispatcher.utter_message(text=t(
                lang, f"抱歉，{svc}目前没有可预约的受理地点。请拨打 12345 市民服务热线咨询。",
                f"Sorry, {svc} can't be booked at any centre at the moment. Please call the 12345 "
                "citizen hotline."))
            return [SlotSet(REQUESTED_SLOT, None)]
        known = tracker.get_slot("district")
        if len(districts) <= MAX_DISTRICT_BUTTONS:
            codes = [known, *districts]
            text = t(lang, f"可以在这些区预约办理{svc}，请问您想去哪个区？",
                     f"{svc} can be booked in these districts. Which one suits you?")
        else:
            codes = [known, *COMMON_DISTRICTS]
            text = t(lang, f"请问您想去哪个区办理{svc}？各区都可以办理，直接输入区名即可，例如“浦东”“徐汇”。",
                     f"Which district would you like to go to for {svc}? Every district handles "
                     "it: just type yours, e.g. \"Pudong\" or \"Xuhui\".")
        dispatcher.utter_message(text=text, buttons=choice_buttons("district", districts, codes,
                                                                    MAX_DISTRICT_BUTTONS))
        return []


class ActionAskBookingCenter(AskAction):
    def name(self) -> str:
        return "action_ask_booking_center"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        service = tracker.get_slot("booking_service")
        district = tracker.get_slot("booking_district")
        items = await centres_for(service, district, lang)
        svc = await get_gateway().service_name(service, lang)
        if not items:  # validation keeps this from happening; never ask with an empty list
            dispatcher.utter_message(text=t(lang, f"抱歉，没有找到可以办理{svc}的地点。",
                                            f"Sorry, I found no place handling {svc}."))
            return [SlotSet(REQUESTED_SLOT, None)]
        where = items[0].district.name if items[0].district else ""
        lines = "\n".join(f"{i}. {c.name} — {c.address}（{c.hours_summary}）" if lang == "zh"
                          else f"{i}. {c.name} — {c.address} ({c.hours_summary})"
                          for i, c in enumerate(items, 1))
        text = t(lang, f"{where}有 {len(items)} 个地方可以办理{svc}，请选择：\n{lines}",
                 f"{len(items)} places in {where} handle {svc}. Which one?\n{lines}")
        dispatcher.utter_message(text=text, buttons=choice_buttons(
            "center_id", {c.id: c.name for c in items}))
        return []


class ActionAskBookingSlotId(AskAction):
    def name(self) -> str:
        return "action_ask_booking_slot_id"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        center = tracker.get_slot("booking_center")
        service = tracker.get_slot("booking_service")
        data = await free_slots(center, service, lang)
        items = slot_items(data)
        center_name = (data.center.name if data else "") or center
        svc = (data.service.name if data else "") or service
        if not items:
            dispatcher.utter_message(text=t(
                lang, f"{center_name}近两周办理{svc}的预约已满。您可以重新预约并选择其他地点，"
                      "或拨打 12345 市民服务热线咨询。",
                f"{center_name} has no free times for {svc} in the next two weeks. You can start "
                "again and choose another place, or call the 12345 citizen hotline."))
            return [SlotSet(REQUESTED_SLOT, None)]
        today = dates.today()
        asked = tracker.get_slot("booking_date")
        start = start_day(tracker)
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
        dispatcher.utter_message(text="\n".join(notes), buttons=choice_buttons(
            "slot_id", {str(s["slot_id"]): button_title(s, lang, today) for s in chosen}))
        return []


class ActionAskBookingConfirmed(AskAction):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        info = tracker.get_slot("booking_slot_info") or {}
        center_id = tracker.get_slot("booking_center")
        service = tracker.get_slot("booking_service")
        try:
            centre = await get_gateway().centre(center_id, lang)
            place, address = centre.name, centre.address
        except NotFound:
            place, address = center_id, ""
        svc = await get_gateway().service_name(service, lang)
        name = mask_name(pii.decrypt(tracker.get_slot("contact_name")) or "")
        last4 = tracker.get_slot("contact_phone_last4") or "****"
        when = when_label(info, lang) if info.get("date") else ""
        text = t(lang,
                 f"请确认预约信息：\n业务：{svc}\n地点：{place}（{address}）\n"
                 f"时间：{when}\n预约人：{name}（手机尾号 {last4}）\n确认预约吗？",
                 f"Please check the booking:\nService: {svc}\nWhere: {place} "
                 f"({address})\nWhen: {when}\nName: {name} (mobile ending {last4})\n"
                 "Shall I book it?")
        dispatcher.utter_message(text=text, buttons=confirm_buttons(
            lang, ("确认预约", "Yes, book it"), ("不用了", "No")))
        return [] if tracker.get_slot("booking_attempt") else [SlotSet("booking_attempt",
                                                                       new_attempt())]


"""cancel_appointment_form: booking number -> last 4 digits of the phone (verified by a lookup,
which also shows what will be cancelled) -> confirmation -> `action_cancel_appointment`.

The fixed-text questions are `utter_ask_*` responses in bot/domain/appointments.yml.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import get_gateway
from actions.api.models import Booking
from actions.booking_slots import slot_started
from actions.base import cleared
from actions.forms import (ResetFormAction, VerifiedByPhoneLast4, confirm_buttons, is_payload,
                           locked_message)
from actions.i18n import lang_of, t, unavailable
from actions.labels import when_label
from privacy.parsing import TRY_LATER_OR_CALL, normalize

CANCEL_FORM = "cancel_appointment_form"
CANCEL_SLOTS = ("booking_no", "phone_last4", "booking_found", "cancel_confirmed")
_BOOKING_NO = re.compile(r"(?<![A-Za-z0-9])[Aa][Pp]\s*\d{6}\s*[A-Za-z0-9]{8}(?![A-Za-z0-9])")


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


def booking_summary(view: Booking) -> dict:
    """What the confirmation and the answer show (all masked or public), as a slot keeps it."""
    return {"booking_no": view.booking_no, "status": view.status, "slot": view.slot.dict(),
            "center": {"name": view.center.name, "address": view.center.address,
                       "phone": view.center.phone},
            "service": view.service.name}


class ValidateCancelAppointmentForm(VerifiedByPhoneLast4):
    form = CANCEL_FORM
    own_slots = CANCEL_SLOTS

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

    async def extract_booking_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return self.extract_reference(tracker, "booking_no", find_booking_no)

    async def validate_booking_no(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self.validate_reference(value, dispatcher, tracker, "booking_no", r"[A-Z0-9]{4,32}")

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
            view = await get_gateway().lookup_booking(number, last4, lang)
        except NotFound:
            return self._not_found(dispatcher, lang)
        except Rejected as exc:
            if exc.status == 429:
                dispatcher.utter_message(text=locked_message(lang))
                return self.stop(["booking_no"], None)
            return self._not_found(dispatcher, lang)
        summary = booking_summary(view)
        if view.status == "cancelled":
            dispatcher.utter_message(text=t(
                lang, f"预约 {summary['booking_no']} 已经取消过了，无需再次取消。",
                f"Booking {summary['booking_no']} is already cancelled; nothing more to do."))
            return self.stop(["booking_no"], None)
        if slot_started(summary["slot"]):
            when = when_label(summary["slot"], lang)
            dispatcher.utter_message(text=t(
                lang, f"预约 {summary['booking_no']}（{when}）的时间已经开始或已过，无法取消。",
                f"Booking {summary['booking_no']} ({when}) has already "
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
        dispatcher.utter_message(text=text, buttons=confirm_buttons(
            lang, ("确认取消", "Yes, cancel it"), ("保留预约", "No, keep it")))
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
            return cleared(CANCEL_SLOTS)
        try:
            view = await get_gateway().cancel_booking(number, last4, lang)
        except NotFound:
            dispatcher.utter_message(text=t(
                lang, "没有找到与该预约号和手机尾号相符的预约，未做任何更改。",
                "I couldn't find a booking matching that number and phone digits; nothing was "
                "changed."))
            return cleared(CANCEL_SLOTS)
        except Rejected as exc:
            if exc.status == 429:
                dispatcher.utter_message(text=locked_message(lang))
            elif exc.code == "booking_in_past":
                dispatcher.utter_message(text=t(lang, "这个预约的时间已经开始或已过，无法取消。",
                                                "This appointment has already started or passed, "
                                                "so it can't be cancelled."))
            else:
                dispatcher.utter_message(text=t(lang, "抱歉，取消没有成功。" + TRY_LATER_OR_CALL["zh"],
                                                "Sorry, the cancellation didn't go through. "
                                                + TRY_LATER_OR_CALL["en"]))
            return cleared(CANCEL_SLOTS)
        except DataServiceUnavailable:
            # Cancelling is idempotent: keep the verified booking so "yes" can simply be repeated.
            dispatcher.utter_message(text=unavailable(lang))
            return [SlotSet("cancel_confirmed", None)]
        slot = view.slot.dict()
        dispatcher.utter_message(text=t(
            lang,
            f"已为您取消预约 {view.booking_no}：{view.service.name}，{view.center.name}，"
            f"{when_label(slot, 'zh')}。名额已释放。如需重新预约，告诉我“预约”即可。",
            f"Booking {view.booking_no} is cancelled: {view.service.name} at "
            f"{view.center.name}, {when_label(slot, 'en')}. The place has been released. "
            "If you need a new time, just say \"book an appointment\"."))
        return cleared(CANCEL_SLOTS)


class ActionResetCancelAppointmentForm(ResetFormAction):
    own_slots = CANCEL_SLOTS

    def name(self) -> str:
        return "action_reset_cancel_appointment_form"

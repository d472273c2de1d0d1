"""Submit of appointment_form: `action_book_appointment` books with an Idempotency-Key made of
the sender, the slot and the booking attempt, so a retried "yes" never books twice."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import secrets as pii
from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import get_gateway
from actions.api.models import Booking
from actions.base import cleared
from actions.booking_form import APPOINTMENT_FORM, BOOKING_SLOTS
from actions.booking_slots import idempotency_key
from actions.forms import ResetFormAction
from actions.i18n import lang_of, t
from actions.labels import when_label
from privacy.parsing import TRY_LATER_OR_CALL


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
            return cleared(BOOKING_SLOTS)  # the form ended without a confirmation: nothing to book
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
            return cleared(BOOKING_SLOTS)
        key = idempotency_key(tracker.sender_id, str(slot_id), tracker.get_slot("booking_attempt"))
        try:
            booking = await get_gateway().book(int(slot_id), name, phone, lang, idempotency_key=key)
        except (NotFound, Rejected) as exc:
            code = exc.code if isinstance(exc, Rejected) else "slot_not_found"
            if code in ("slot_full", "slot_in_past", "slot_not_found"):
                dispatcher.utter_message(text=t(lang, "抱歉，这个时间刚刚被约满了。请重新选择一个时间：",
                                                "Sorry, that time has just been fully booked. "
                                                "Please choose another time:"))
                return [SlotSet("booking_slot_id", None), SlotSet("booking_slot_info", None),
                        SlotSet("booking_confirmed", None), FollowupAction(APPOINTMENT_FORM)]
            dispatcher.utter_message(text=t(lang, "抱歉，预约没有成功。" + TRY_LATER_OR_CALL["zh"],
                                            "Sorry, the booking didn't go through. "
                                            + TRY_LATER_OR_CALL["en"]))
            return cleared(BOOKING_SLOTS)
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
            documents = (await get_gateway().service(booking.service.code, lang)).documents
        except (DataServiceUnavailable, NotFound):
            pass
        dispatcher.utter_message(text=booking_message(booking, documents,
                                                      tracker.get_slot("contact_phone_last4")
                                                      or phone[-4:], lang))
        return cleared(BOOKING_SLOTS)


def booking_message(booking: Booking, documents: list[str], last4: str, lang: str) -> str:
    center, slot, phone = booking.center, booking.slot.dict(), booking.center.phone
    where_zh = f"{center.name}（{center.address}" + (f"，电话 {phone}）" if phone else "）")
    where_en = f"{center.name} ({center.address}" + (f", tel. {phone})" if phone else ")")
    bring = "\n".join(f"- {d}" for d in documents)
    zh = (f"预约成功！预约号：{booking.booking_no}\n业务：{booking.service.name}\n"
          f"地点：{where_zh}\n时间：{when_label(slot, 'zh')}\n"
          + (f"请携带：\n{bring}\n" if bring else "")
          + f"如需取消，请告诉我预约号和手机号后四位（尾号 {last4}）。")
    en = (f"You're booked! Booking number: {booking.booking_no}\n"
          f"Service: {booking.service.name}\nWhere: {where_en}\n"
          f"When: {when_label(slot, 'en')}\n"
          + (f"Please bring:\n{bring}\n" if bring else "")
          + f"To cancel, tell me the booking number and the last 4 digits of your mobile "
            f"(ending {last4}).")
    return t(lang, zh, en)


class ActionResetAppointmentForm(ResetFormAction):
    """After "stop": the next booking starts from scratch."""

    own_slots = BOOKING_SLOTS

    def name(self) -> str:
        return "action_reset_appointment_form"


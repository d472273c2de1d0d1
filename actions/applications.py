"""Status of the citizen's own application (application_status_form).

Application number (SH + 13 digits) -> last 4 digits of the phone given when applying ->
`POST /v1/applications/lookup?lang=` -> status, service, latest progress note, expected completion
and centre, in the citizen's language. An unknown number and wrong digits get the same neutral
answer with a "try again" button; a locked number (429) is said so. Both slots are cleared after
every lookup, so a later lookup asks for the digits again.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dates
from actions.api.dataservice import NotFound, Rejected
from actions.api.models import Application
from actions.base import DataAction
from actions.forms import ResetFormAction, VerifiedByPhoneLast4, is_payload, locked_message
from actions.i18n import t
from actions.labels import day_label, moment_label
from privacy.parsing import normalize

FORM = "application_status_form"
_APPLICATION_NO = re.compile(r"(?<![A-Za-z0-9])[Ss]\s*[Hh][\s-]*((?:\d[\s-]*){12}\d)(?!\d)")
_BARE_DIGITS = re.compile(r"(?:\d[\s-]*){12}\d")
OPEN_STATUSES = {"submitted", "under_review", "need_more_documents", "approved", "ready_for_pickup"}


APPLICATION_SLOTS = ("application_no", "phone_last4")


def find_application_no(text: str, answering: bool) -> str | None:
    """"SH2026110500123", "sh 2026 1105 00123"; when answering the question also the 13 digits
    alone."""
    text = normalize(text)
    if is_payload(text):
        return None
    if m := _APPLICATION_NO.search(text):
        return "SH" + re.sub(r"\D", "", m[1])
    if answering and _BARE_DIGITS.fullmatch(text):
        return "SH" + re.sub(r"\D", "", text)
    return None


class ValidateApplicationStatusForm(VerifiedByPhoneLast4):
    form = FORM
    own_slots = APPLICATION_SLOTS

    def name(self) -> str:
        return "validate_application_status_form"

    own_intents = frozenset({"check_application_status"})
    hints = {
        "application_no": ("受理编号为 SH 加 13 位数字，例如 SH2026110500123，印在受理回执上。",
                           "The application number is SH followed by 13 digits, e.g. "
                           "SH2026110500123; it is printed on your receipt."),
        "phone_last4": ("请发送申请时所留手机号的后四位数字，例如 5590。",
                        "Please send the last 4 digits of the mobile number given on the "
                        "application, e.g. 5590."),
    }

    async def extract_application_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return self.extract_reference(tracker, "application_no", find_application_no)

    async def validate_application_no(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self.validate_reference(value, dispatcher, tracker, "application_no", r"SH\d{13}")


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(dates.SHANGHAI) if moment.tzinfo else moment


def status_message(data: Application, lang: str) -> str:
    service = data.service.name or data.service.code
    status = data.status
    latest = data.history[-1] if data.history else None
    lines = [t(lang, f"受理编号 {data.application_no}（{service}）",
               f"Application {data.application_no} ({service})"),
             t(lang, f"当前状态：{status.label}", f"Status: {status.label}")]
    if latest and latest.note:
        at = _moment(latest.at)
        when = moment_label(at, lang) if at else ""
        lines.append(t(lang, f"最新进展（{when}）：{latest.note}",
                       f"Latest update ({when}): {latest.note}"))
    expected = _moment(data.expected_done_at)
    if expected and status.code in OPEN_STATUSES:
        lines.append(t(lang, f"预计办结：{day_label(expected.date(), lang)}",
                       f"Expected completion: {day_label(expected.date(), lang)}"))
    center = data.center
    if center:
        phone = center.phone
        lines.append(t(lang,
                       f"受理地点：{center.name}（{center.address}"
                       + (f"，电话 {phone}）" if phone else "）"),
                       f"Centre: {center.name} ({center.address}"
                       + (f", tel. {phone})" if phone else ")")))
    note = data.note
    if note and (not latest or note != latest.note):
        lines.append(t(lang, f"说明：{note}", f"Note: {note}"))
    return "\n".join(lines)


class ActionCheckApplicationStatus(DataAction):
    """Submit of application_status_form."""

    forgets = APPLICATION_SLOTS  # whatever happens: the next lookup asks again

    def name(self) -> str:
        return "action_check_application_status"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: DomainDict, lang: str) -> list[dict[str, Any]]:
        number, last4 = tracker.get_slot("application_no"), tracker.get_slot("phone_last4")
        if not (number and last4):
            return []
        try:
            data = await self.gateway.lookup_application(number, last4, lang)
        except (NotFound, Rejected) as exc:
            if isinstance(exc, Rejected) and exc.status == 429:
                dispatcher.utter_message(text=locked_message(lang))
                return []
            # One answer for "no such number" and "wrong digits": existence is never revealed.
            dispatcher.utter_message(
                text=t(lang, "没有查到与该受理编号和手机尾号相符的申请。请核对受理回执上的编号和申请时所留的手机号后再试。",
                       "I couldn't find an application matching that number and phone digits. "
                       "Please check the number on your receipt and the mobile number you gave "
                       "when applying, then try again."),
                buttons=[{"title": t(lang, "重新查询", "Try again"),
                          "payload": "/check_application_status"}])
            return []
        dispatcher.utter_message(text=status_message(data, lang))
        return []


class ActionResetApplicationStatusForm(ResetFormAction):
    own_slots = APPLICATION_SLOTS

    def name(self) -> str:
        return "action_reset_application_status_form"

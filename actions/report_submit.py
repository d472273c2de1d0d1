"""The end of a 12345 report: the summary the citizen confirms, then `POST /v1/tickets` (type,
category, location, channel, language) and the ticket number with the expected response time."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import work_orders
from actions.api.dataservice import DataServiceUnavailable, Rejected
from actions.api.gateway import get_gateway
from actions.base import DataAction
from actions.forms import ResetFormAction, confirm_buttons
from actions.i18n import lang_of, t
from actions.issue_words import ISSUE_KEYWORDS, match_issue_type
from actions.work_orders import channel_of
from privacy import redact_text

REPORT_SLOTS = ("issue_type", "issue_location", "issue_district", "issue_description",
                "report_confirmed", "issue_category", "category_options", "ticket_type")


def ticket_type_of(tracker: Tracker) -> str:
    """The message type the classification gave (a complaint when it gave none)."""
    kind = tracker.get_slot("ticket_type")
    return kind if kind in work_orders.TYPES else "complaint"


def legacy_issue_type(tracker: Tracker) -> str:
    """The older fixed issue type: the citizen's words for it, else "other"."""
    slot = tracker.get_slot("issue_type") or ""
    return (slot if slot in ISSUE_KEYWORDS else None) or match_issue_type(slot) or \
        match_issue_type(tracker.get_slot("issue_description") or "") or "other"


def chosen_category_title(tracker: Tracker, lang: str) -> str | None:
    code = tracker.get_slot("issue_category")
    items = (tracker.get_slot("category_options") or {}).get("items") or []
    chosen = next((o for o in items if o.get("code") == code), None)
    return work_orders.option_title(chosen, lang) if chosen else None


class ActionAskReportConfirmed(Action):
    """The summary the citizen confirms before anything is submitted."""

    def name(self) -> str:
        return "action_ask_report_issue_form_report_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        district = tracker.get_slot("issue_district")
        try:
            district_name = await get_gateway().district_name(district, lang)
        except DataServiceUnavailable:
            district_name = district
        location = tracker.get_slot("issue_location")
        description = tracker.get_slot("issue_description")
        kind = work_orders.type_name(ticket_type_of(tracker), lang)
        category = chosen_category_title(tracker, lang) or tracker.get_slot("issue_category")
        text = t(
            lang,
            f"请确认您要向 12345 反映的{kind}：\n- 类别：{category}\n- 区：{district_name}\n"
            f"- 位置：{location}\n- 描述：{description}\n"
            "确认提交吗？如需修改，直接告诉我，比如“区是徐汇区”“地址是漕溪北路100号”。",
            f"Please check your {kind} to 12345:\n- Category: {category}\n- District: {district_name}\n"
            f"- Location: {location}\n- Description: {description}\n"
            "Shall I submit it? To change something just tell me, e.g. \"the district is Xuhui\".")
        dispatcher.utter_message(text=text, buttons=confirm_buttons(
            lang, ("确认提交", "Submit"), ("不提交了", "Don't submit")))
        return []


class ActionSubmitReportIssue(DataAction):
    # Filed or not (an outage: not, as far as we know), the report starts afresh next time.
    forgets = REPORT_SLOTS

    def name(self) -> str:
        return "action_submit_report_issue"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict, lang: str) -> list[dict]:
        # The citizen's own numbers in the free text are not the ticket's business (the tracker
        # store redacts them too): privacy/.
        body = {
            "issue_type": legacy_issue_type(tracker),
            "type": ticket_type_of(tracker),
            "category": tracker.get_slot("issue_category"),
            "description": redact_text(tracker.get_slot("issue_description") or ""),
            "location": redact_text(tracker.get_slot("issue_location") or ""),
            "district": tracker.get_slot("issue_district"),
            "channel": channel_of(tracker),
            "language": lang,
        }
        if not all(body.values()) or tracker.get_slot("report_confirmed") is not True:
            dispatcher.utter_message(text=t(
                lang, "抱歉，信息还不完整，没有提交。请再说一次您要反映的问题。",
                "Sorry, some details were missing, so nothing was submitted. Please tell me "
                "the problem again."))
            return []
        try:
            ticket = await self.gateway.create_ticket(**body)
        except Rejected:
            dispatcher.utter_message(text=t(
                lang, "抱歉，系统没有接受这条诉求，没有提交成功。您可以换个说法再试，或直接拨打 12345 市民服务热线反映。",
                "Sorry, the report was not accepted, so nothing was filed. Please try again in "
                "other words, or call the 12345 citizen hotline."))
            return []
        expected = ticket.expected_response
        number = ticket.ticket_no
        dispatcher.utter_message(text=t(
            lang,
            f"已提交！您的 12345 工单号是 {number}（状态：{ticket.status_label or '已受理'}）。\n"
            f"{expected.zh or expected.text}\n"
            f"请保存好工单号。想了解进度，随时对我说“查询工单 {number}”，或拨打 12345 市民服务热线。",
            f"Submitted! Your 12345 ticket number is {number} "
            f"(status: {ticket.status_label or 'Received'}).\n"
            f"{expected.en or expected.text}\n"
            f"Please keep the number. To follow up, just ask me \"status of ticket {number}\" "
            "or call the 12345 citizen hotline."))
        return [SlotSet("last_ticket_no", number)]


class ActionResetReportIssueForm(ResetFormAction):
    """After the citizen stops the form: forget the half-filled report."""

    own_slots = REPORT_SLOTS

    def name(self) -> str:
        return "action_reset_report_issue_form"

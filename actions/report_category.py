"""The report's category question (report_issue_form's `issue_category`).

The description is classified in the work-order taxonomy (`POST /v1/tickets/classify`) and the
prediction offered for the citizen to confirm or correct with buttons; the type and the place the
classification found fill what is still empty. Before it, once per report: the emergency numbers
when the description tells of danger now (actions/emergency.py). A consultation the catalogue
cannot answer is offered as a 12345 consultation; one mostly about a catalogue service
(「外地的驾驶证可以在上海换证吗」) gets that service guide's answers first.
"""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import emergency, work_orders
from actions.api.dataservice import DataServiceUnavailable
from actions.api.gateway import get_gateway
from actions.base import set_this_turn
from actions.hotline import LOCATION_MAX, first_level_state
from actions.i18n import lang_of, t
from actions.resolution import service_the_message_is_about
from actions.services import follow_up_buttons
from privacy.redaction import redact_text


class ActionAskIssueCategory(Action):
    """The predicted category (with the message type) for the citizen to confirm, its
    alternatives, and "something else"; or every first-level class when the prediction is unsure.
    A place the classification found in the description fills the location and district, so the
    form does not ask for them."""

    def name(self) -> str:
        return "action_ask_report_issue_form_issue_category"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        state = tracker.get_slot("category_options")
        events: list[dict] = []
        if not state:
            description = tracker.get_slot("issue_description") or ""
            danger = emergency.warning(description, lang)
            if danger:  # the emergency numbers before anything else, once per report
                dispatcher.utter_message(text=danger)
            result = await work_orders.classify_or_none(description, lang)
            events += _found_in_text(tracker, result)
            state = ({"predicted": True, "items": work_orders.options_of(result)}
                     if work_orders.confident(result) else await first_level_state(lang))
            if work_orders.type_code(result) == "consultation":
                # The catalogue service the question named, if any: the catalogue answers first.
                state["service"] = await _service_named(tracker, description, lang)
            events.append(SlotSet("category_options", state))
        options = state.get("items") or []
        kind = tracker.get_slot("ticket_type") or next(
            (e["value"] for e in events if e.get("name") == "ticket_type"), None)
        buttons = work_orders.category_buttons(
            options, lang, first_is_prediction=bool(state.get("predicted")))
        if state.get("predicted") and options:
            title = work_orders.option_title(options[0], lang)
            text = t(lang, f"我理解这是一条{work_orders.type_name(kind, lang)}，属于“{title}”。"
                     "对吗？不对的话请选择其他类别。",
                     f"I understand this as a {work_orders.type_name(kind, lang)} about "
                     f"\"{title}\". Is that right? If not, please pick another category.")
            if kind == "consultation" and state.get("service"):
                text = await _catalogue_first(state["service"], lang) + text
                buttons = (follow_up_buttons(state["service"], "", lang, where=False) + buttons
                           + [{"title": t(lang, "不用了", "No ticket needed"), "payload": "/deny"}])
            elif kind == "consultation":
                # A question the service catalogue could not answer: 12345 can.
                text = t(lang, "这个问题我没法直接回答，可以作为咨询工单转给 12345 相关部门答复。",
                         "I can't answer this one myself, but I can pass it to the right "
                         "department as a 12345 consultation. ") + text
        elif options:
            text = t(lang, "请选择这件事最接近的类别：", "Which of these is it closest to?")
        else:
            text = t(lang, "请用几个字说说这件事属于哪方面，比如“环境污染”“交通管理”。",
                     "In a few words, what area is it about, e.g. \"pollution\" or \"traffic\"?")
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return events


async def _service_named(tracker: Tracker, text: str, lang: str) -> str | None:
    """The catalogue service of this turn's message: the NLU's span as the context action resolved
    it, else the one service the whole description is mostly about (report_issue examples mark
    no service spans)."""
    service = set_this_turn(tracker, "service")[1]
    if service:
        return service
    try:
        return await service_the_message_is_about(get_gateway(), text, lang)
    except DataServiceUnavailable:
        return None


async def _catalogue_first(service: str, lang: str) -> str:
    """A consultation about a catalogue service (「外地的驾驶证可以在上海换证吗」): the service guide's
    answers are offered before the 12345 consultation ticket."""
    try:
        name = await get_gateway().service_name(service, lang)
    except DataServiceUnavailable:
        name = None
    about = t(lang, f"关于「{name}」，", f"About {name}, ") if name else ""
    return t(lang, f"{about}办事指南可以直接回答所需材料、费用和办理时限（点下方按钮）；"
                   "如果您问的是别的，可以作为咨询工单转给 12345 相关部门答复。",
             f"{about}the service guide answers the documents needed, the fee and the processing "
             "time (buttons below); if your question is about something else, I can pass it to "
             "the right department as a 12345 consultation. ")


def _found_in_text(tracker: Tracker, result: dict | None) -> list[dict]:
    """The message type and the place the classification found, for what is still empty."""
    if not result:
        return []
    events = []
    kind = work_orders.type_code(result)
    if kind and not tracker.get_slot("ticket_type"):
        events.append(SlotSet("ticket_type", kind))
    location = result.get("location") or {}
    place = work_orders.location_text(location)
    if place and not tracker.get_slot("issue_location"):
        events.append(SlotSet("issue_location", redact_text(place)[:LOCATION_MAX]))
    district = work_orders.district_code(location)
    if district and not tracker.get_slot("issue_district"):
        events.append(SlotSet("issue_district", district))
    return events

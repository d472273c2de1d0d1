"""12345 hotline: report a city problem (report_issue_form; its words in actions/issue_words.py, its
category question in actions/report_category.py, its summary and submission in
actions/report_submit.py; following a ticket: actions/ticket_status.py).

The report starts from the citizen's own words: the whole first message is the description when
it says what is wrong, the data service classifies it in the work-order taxonomy
(`POST /v1/tickets/classify`, actions/work_orders.py) and the citizen confirms or corrects the
category with buttons; a place the message names fills the location and district, and the form
asks only for what is still missing. The citizen confirms a summary before `POST /v1/tickets`
(type, category, location, channel, language); the answer quotes the ticket number and the expected
response time. The older fixed issue-type vocabulary (`GET /v1/tickets/issue-types`) is still
filled from the words, silently ("other" when unclear).
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import emergency, work_orders
from actions.api.dataservice import DataServiceUnavailable
from actions.api.gateway import get_gateway
from actions.base import set_this_turn
from actions.forms import CityFormValidation, choice_buttons
from actions.i18n import lang_of, t
from actions.issue_words import describes_problem
from actions.resolution import resolve
from actions.work_orders import OTHER
from privacy.redaction import redact_text

# Slots the report's validation sets besides its required ones (rasa-sdk returns only those).
SIDE_SLOTS = ("category_options", "ticket_type")
DESCRIPTION_MAX = 2000  # limits of POST /v1/tickets
LOCATION_MAX = 200
# Intents that are never an answer to a form question: stop, help, a garbage question.
NOT_ANSWERS = {"deny", "help", "ask_garbage_sorting"}
# Questions answered in the middle of a form (the rules answer, then the form asks again). The
# domain keeps them out of the forms' free-text mappings; for the report's free-text answers they
# are a digression only when they name what they ask about, because descriptions are often
# classified as questions ("施工队每天干到两点，要多久才能完工" reads as a processing-time question).
QUESTION_INTENTS = frozenset({"ask_office_hours", "ask_service_fee", "ask_service_requirements",
                              "ask_processing_time"})
# Marks an answer to "which district?" that the context action could not resolve.
UNRESOLVED = "?unresolved:"


# ---------------------------------------------------------------------------------------------
# report_issue_form

def _activation(tracker: Tracker) -> bool:
    """The form validates its prefilled slots when a new report starts (nothing requested yet)."""
    return tracker.get_slot("requested_slot") is None


def _named(tracker: Tracker, entity_name: str) -> bool:
    return any(e.get("entity") == entity_name for e in tracker.latest_message.get("entities", []))


def _district_given_now(tracker: Tracker) -> bool:
    """Did this message name a district (the context action set the shared slot this turn)?"""
    return set_this_turn(tracker, "district")[1] is not None


async def _district_of(location: str | None, lang: str) -> str | None:
    """The district a location names ("浦东新区张杨路500号"), when the resolver is confident."""
    if not location:
        return None
    try:
        found = await resolve(get_gateway(), "districts", location, lang)
    except DataServiceUnavailable:
        return None
    return found.code


# What is left of an answer once masked numbers (a phone or ID number, "138******78") and their
# separators are taken out: nothing means the citizen gave a number, not a place.
_MASKED_NUMBER = re.compile(r"[0-9Xx*＊+\-()（）\s]+")
# A message at the confirmation that corrects the place ("change the location to …", "地址改成…").
_CORRECTS_PLACE = re.compile(r"\b(?:location|address|place)\b|地址|位置|地点", re.IGNORECASE)


async def _place_in(text: str, lang: str) -> str | None:
    """The place (road with house number, landmark with exit) the data service reads in a text."""
    result = await work_orders.classify_or_none(text, lang)
    return work_orders.location_text((result or {}).get("location"))


async def _whole_place(text: str, span: str, lang: str) -> str:
    """The NLU's span of a place widened to what the data service reads around it in the same
    message: "Caoxi North Road" -> "100 Caoxi North Road", 徐家汇地铁站 -> 徐家汇地铁站3号口."""
    result = await work_orders.classify_or_none(text, lang)
    location = (result or {}).get("location") or {}
    for part in (location.get("road"), location.get("landmark")):
        if isinstance(part, str) and len(part) > len(span) and span.lower() in part.lower():
            return part
    return span


def is_digression(tracker: Tracker) -> bool:
    """A question (QUESTION_INTENTS) that names what it asks about: a service, or for opening
    hours a district or a service."""
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    if intent not in QUESTION_INTENTS:
        return False
    named = {e.get("entity") for e in message.get("entities") or []}
    return bool(named & ({"service", "district"} if intent == "ask_office_hours" else {"service"}))


def question_as_answer(tracker: Tracker, slot: str) -> dict[str, Any]:
    """The text of a message classified as a question that is really the answer to `slot`
    (the domain's free-text mapping leaves question intents out); {} for anything else."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if (intent not in QUESTION_INTENTS or tracker.get_slot("requested_slot") != slot
            or is_digression(tracker)):
        return {}
    return {slot: tracker.latest_message.get("text") or ""}


def _picked_category(tracker: Tracker) -> str | None:
    """The category a button carries (/inform{"issue_category": "..."})."""
    return next((str(e.get("value")) for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == "issue_category" and e.get("value")), None)


async def first_level_state(lang: str) -> dict:
    """Every first-level class as an option (none when the data service is down)."""
    try:
        items = await work_orders.first_level_options(lang)
    except DataServiceUnavailable:
        items = []
    return {"predicted": False, "items": items}


class ValidateReportIssueForm(CityFormValidation):
    form = "report_issue_form"
    own_intents = frozenset({"report_issue"})

    def name(self) -> str:
        return "validate_report_issue_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        # rasa-sdk returns only the form's required slots; the category state and the ticket
        # type set by the extraction below travel with them.
        before = {slot: tracker.get_slot(slot) for slot in SIDE_SLOTS}
        events = await super().run(dispatcher, tracker, domain)
        return events + [SlotSet(slot, tracker.slots.get(slot)) for slot in SIDE_SLOTS
                         if tracker.slots.get(slot) != before[slot]]

    async def extract_issue_category(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: dict) -> dict[str, Any]:
        """The answer to "is it this category?": a button, "yes", a category typed by name, or
        words the data service classifies again."""
        if tracker.get_slot("requested_slot") != "issue_category":
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in NOT_ANSWERS or is_digression(tracker):
            return {}
        lang = lang_of(tracker)
        state = tracker.get_slot("category_options") or {}
        options = state.get("items") or []
        picked = _picked_category(tracker)
        if picked == OTHER:
            return {"issue_category": None, "category_options": await first_level_state(lang)}
        if picked:
            return {"issue_category": picked if any(o["code"] == picked for o in options) else None}
        if intent == "affirm" and state.get("predicted") and options:
            return {"issue_category": options[0]["code"]}
        text = tracker.latest_message.get("text") or ""
        typed = work_orders.matching_option(text, options)
        if typed:
            return {"issue_category": typed["code"]}
        result = await work_orders.classify_or_none(text, lang)
        if work_orders.confident(result):
            return {"issue_category": None,
                    "category_options": {"predicted": True, "items": work_orders.options_of(result)}}
        dispatcher.utter_message(text=t(lang, "抱歉，我没能确定这属于哪一类。",
                                        "Sorry, I couldn't tell which kind of matter that is."))
        return {"issue_category": None, "category_options": await first_level_state(lang)}

    async def extract_issue_location(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: dict) -> dict[str, Any]:
        if (tracker.get_slot("requested_slot") == "report_confirmed"
                and not set_this_turn(tracker, "issue_location")[0]
                and _CORRECTS_PLACE.search(tracker.latest_message.get("text") or "")):
            # "change the location to …" read without its place: the data service's parse finds it.
            place = await _place_in(tracker.latest_message.get("text") or "", lang_of(tracker))
            return {"issue_location": place} if place else {}
        return question_as_answer(tracker, "issue_location")

    async def extract_issue_description(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: dict) -> dict[str, Any]:
        if not _activation(tracker):
            return question_as_answer(tracker, "issue_description")
        # A new report: nothing of an earlier one's category carries over.
        return {"issue_category": None, "category_options": None, "ticket_type": None}

    async def validate_issue_location(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict) -> dict[str, Any]:
        lang = lang_of(tracker)
        if _activation(tracker) and not _named(tracker, "location"):
            return {"issue_location": None}  # left from an earlier report
        location = " ".join(str(value or "").split())
        if _named(tracker, "location"):
            location = await _whole_place(tracker.latest_message.get("text") or "", location, lang)
        redacted = redact_text(location)[:LOCATION_MAX]
        if redacted != location and not _MASKED_NUMBER.sub("", redacted):
            # A phone number where the place was asked for: not stored, and the citizen hears why.
            dispatcher.utter_message(text=t(
                lang, "这看起来是一个号码，不是地点。请告诉我问题发生的具体位置，比如路名和门牌号。",
                "That looks like a number, not a place. Please tell me where it happens, e.g. a "
                "street and number."))
            return {"issue_location": None}
        location = redacted
        if len(location.replace(" ", "")) < 2:
            dispatcher.utter_message(text=t(
                lang, "请告诉我具体位置，比如路名和门牌号，或者两条路的路口。",
                "Please tell me where exactly, e.g. a street and number, or a junction."))
            return {"issue_location": None}
        result: dict[str, Any] = {"issue_location": location}
        # "浦东新区张杨路500号" already says which district: no need to ask. It also wins over a
        # district left from an earlier question, but not over one given in this same message.
        if not _district_given_now(tracker):
            code = await _district_of(location, lang)
            if code:
                result["issue_district"] = code
        return result

    async def extract_issue_district(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: dict) -> dict[str, Any]:
        # The report keeps its own district, copied from the shared `district` slot (which the
        # context action resolves from every message) only when this message answers or
        # corrects it: never from an earlier question about a service centre, nor from a
        # question in the middle of the report ("徐汇的中心几点开门" is answered by a rule, then the
        # form asks again). An answer the context action could not resolve goes to
        # validate_issue_district, so the citizen hears why and gets the buttons.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in NOT_ANSWERS or is_digression(tracker):
            return {}
        given = set_this_turn(tracker, "district")[1]
        if given:
            return {"issue_district": given}
        if tracker.get_slot("requested_slot") == "issue_district":
            return {"issue_district": UNRESOLVED + (tracker.latest_message.get("text") or "")[:40]}
        return {}

    async def validate_issue_district(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: dict) -> dict[str, Any]:
        if _activation(tracker) and not _district_given_now(tracker):
            # Left from an earlier report: not where this problem is, unless the location just
            # named one (validated before this).
            return {"issue_district": await _district_of(tracker.get_slot("issue_location"),
                                                         lang_of(tracker))}
        # The context action resolves it to a code; anything else is asked again.
        if isinstance(value, str) and re.fullmatch(r"[a-z_]{2,32}", value):
            return {"issue_district": value}
        if isinstance(value, str) and value.startswith(UNRESOLVED):
            dispatcher.utter_message(text=t(
                lang_of(tracker), f"抱歉，我没认出“{value[len(UNRESOLVED):]}”是上海的哪个区。",
                f"Sorry, I couldn't tell which Shanghai district \"{value[len(UNRESOLVED):]}\" is."))
        return {"issue_district": None}

    async def validate_issue_description(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: dict) -> dict[str, Any]:
        lang = lang_of(tracker)
        text = redact_text(" ".join(str(value or "").split()))[:DESCRIPTION_MAX]
        if tracker.get_slot("requested_slot") != "issue_description":
            # The first message: keep it only if it already says what is wrong (danger always
            # does: 「着火了！」 must reach the emergency numbers without a "please describe it").
            kept = describes_problem(text) or emergency.emergencies(text)
            return {"issue_description": text if kept else None}
        if len(text.replace(" ", "")) < 5:
            dispatcher.utter_message(text=t(
                lang, "请再多说几句，比如发生了什么、持续多久了，方便相关部门处理。",
                "Please add a few more words - what is happening and for how long - so the "
                "department can act on it."))
            return {"issue_description": None}
        return {"issue_description": text}

    async def validate_report_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {"report_confirmed": True if value is True else None}


class ActionAskDistrict(Action):
    def name(self) -> str:
        return "action_ask_report_issue_form_issue_district"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        text = t(lang, "这个位置在哪个区？", "Which district is that in?")
        try:
            districts = await get_gateway().districts(lang)
        except DataServiceUnavailable:
            districts = []
        buttons = choice_buttons("district", {d.code: d.name for d in districts})
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return []

"""12345 hotline: report a city problem (report_issue_form) and follow a ticket (ticket_status_form).

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
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import get_gateway
from actions.api.models import Ticket
from actions.base import AskText, DataAction, set_this_turn
from actions.dates import SHANGHAI, local_time
from actions.i18n import lang_of, t, unavailable
from actions.resolution import resolve
from actions import work_orders
from actions.work_orders import OTHER, channel_of
from privacy import redact_text

REPORT_SLOTS = ["issue_type", "issue_location", "issue_district", "issue_description",
                "report_confirmed", "issue_category", "category_options", "ticket_type"]
# Slots the report's validation sets besides its required ones (rasa-sdk returns only those).
SIDE_SLOTS = ("category_options", "ticket_type")
TICKET_NO = re.compile(r"12345-\d{8}-[0-9A-Z]{4,8}")
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

# Words that say "I want to report something" without saying what: a first message made only of
# them (plus the issue-type word) does not describe the problem yet.
_GENERIC = re.compile(
    r"我要|我想|想要|投诉|投訴|举报|舉報|反映|反應|报修|報修|报个修|一下|这个|那个|问题|問題|打电话|帮我|请问|"
    r"怎么|怎样|找谁|热线|市民|诉求|你好|您好|有人|能不能|管管|12345|"
    r"\b(i|want|would|like|to|need|a|an|the|report|complaint|complain|file|make|about|problem|issue|"
    r"please|can|how|do|hotline|city|hi|hello|there|is|it|there's)\b",
    re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Mainland mobile numbers in free text are masked before they reach a slot or the ticket.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{2})(\d{2})(?![0-9])")

# Free text -> issue-type code. Longer (more specific) keywords weigh more; a tie is "unclear".
ISSUE_KEYWORDS: dict[str, list[str]] = {
    "noise": ["噪音", "噪声", "吵", "扰民", "擾民", "广场舞", "施工", "打桩", "装修", "狗叫", "半夜",
              "夜里", "noise", "noisy", "loud", "construction", "renovation", "drilling", "piling",
              "square danc", "barking", "music"],
    "road_damage": ["坑", "路面", "塌陷", "破损", "地砖", "马路", "道路", "路破", "pothole", "road",
                    "pavement", "paving", "tiles", "collapsed", "crack"],
    "streetlight": ["路灯", "路燈", "灯不亮", "灯坏", "streetlight", "street light", "street lamp",
                    "road light", "lamp"],
    "garbage_collection": ["垃圾", "清运", "垃圾桶", "垃圾厢房", "garbage", "trash", "rubbish", "bins",
                           "overflowing"],
    "illegal_parking": ["停车", "停車", "违停", "違停", "乱停", "parking", "parked", "park "],
    "water_supply": ["停水", "自来水", "水发黄", "水压", "没水", "供水", "tap water", "water supply",
                     "no water", "yellow water", "water pressure"],
    "drainage": ["下水道", "排水", "积水", "堵", "淹", "drain", "flood", "sewer", "waterlogged"],
    "greenery": ["树", "樹", "绿化", "草坪", "tree", "greenery", "grass", "branch"],
    "public_facility": ["井盖", "窨井", "站牌", "红绿灯", "紅綠燈", "信号灯", "护栏", "座椅", "设施",
                        "manhole", "bus stop", "traffic light", "bench", "railing", "facility"],
    "pollution": ["油烟", "油煙", "污染", "废水", "偷排", "臭", "异味", "废气", "pollution", "smoke",
                  "smell", "fumes", "waste water", "discharg"],
    "other": ["其他", "其它", "other"],
}


# ---------------------------------------------------------------------------------------------
# Pure helpers (unit-tested without the data service)

def mask_mobiles(text: str) -> str:
    return _MOBILE.sub(lambda m: m[1] + "******" + m[4], text)


def _keyword_hit(text: str, keyword: str) -> bool:
    if keyword.isascii():
        return re.search(r"(?<![a-z])" + re.escape(keyword), text) is not None
    return keyword in text


def match_issue_type(text: str, types: list[dict] | None = None) -> str | None:
    """The issue-type code a citizen's words point to, or None when unclear.

    `types` is the data service's vocabulary ({"code", "label"}); codes outside it are dropped.
    """
    value = " ".join((text or "").split()).lower()
    if not value:
        return None
    known = {t_["code"] for t_ in types} if types else set(ISSUE_KEYWORDS)
    if value in known:  # a button payload carries the code itself
        return value
    for item in types or []:
        if value == str(item.get("label", "")).lower():
            return item["code"]
    scores: dict[str, int] = {}
    for code, keywords in ISSUE_KEYWORDS.items():
        if code not in known:
            continue
        score = sum(len(k) for k in keywords if _keyword_hit(value, k))
        if score:
            scores[code] = score
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def describes_problem(text: str) -> bool:
    """Whether a first message says what is wrong (not just "I want to report something")."""
    rest = _GENERIC.sub(" ", text or "")
    cjk = len(_CJK.findall(rest))
    words = len(_LATIN_WORD.findall(rest))
    return cjk >= 5 or words >= 4 or (cjk >= 3 and words >= 2)


def find_ticket_no(text: str) -> str | None:
    m = TICKET_NO.search((text or "").upper())
    return m[0] if m else None


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


async def _first_level_state(lang: str) -> dict:
    try:
        items = await work_orders.first_level_options(lang)
    except DataServiceUnavailable:
        items = []
    return {"predicted": False, "items": items}


class ValidateReportIssueForm(FormValidationAction):
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
            return {"issue_category": None, "category_options": await _first_level_state(lang)}
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
        return {"issue_category": None, "category_options": await _first_level_state(lang)}

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
        location = mask_mobiles(location)[:LOCATION_MAX]
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
        text = mask_mobiles(" ".join(str(value or "").split()))[:DESCRIPTION_MAX]
        if tracker.get_slot("requested_slot") != "issue_description":
            # The first message: keep it only if it already says what is wrong.
            return {"issue_description": text if describes_problem(text) else None}
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
            result = await work_orders.classify_or_none(
                tracker.get_slot("issue_description") or "", lang)
            events += _found_in_text(tracker, result)
            state = ({"predicted": True, "items": work_orders.options_of(result)}
                     if work_orders.confident(result) else await _first_level_state(lang))
            events.append(SlotSet("category_options", state))
        options = state.get("items") or []
        kind = tracker.get_slot("ticket_type") or next(
            (e["value"] for e in events if e.get("name") == "ticket_type"), None)
        if state.get("predicted") and options:
            title = work_orders.option_title(options[0], lang)
            text = t(lang, f"我理解这是一条{work_orders.type_name(kind, lang)}，属于“{title}”。"
                     "对吗？不对的话请选择其他类别。",
                     f"I understand this as a {work_orders.type_name(kind, lang)} about "
                     f"\"{title}\". Is that right? If not, please pick another category.")
            if kind == "consultation":
                # A question the service catalogue could not answer: 12345 can.
                text = t(lang, "这个问题我没法直接回答，可以作为咨询工单转给 12345 相关部门答复。",
                         "I can't answer this one myself, but I can pass it to the right "
                         "department as a 12345 consultation. ") + text
        elif options:
            text = t(lang, "请选择这件事最接近的类别：", "Which of these is it closest to?")
        else:
            text = t(lang, "请用几个字说说这件事属于哪方面，比如“环境污染”“交通管理”。",
                     "In a few words, what area is it about, e.g. \"pollution\" or \"traffic\"?")
        dispatcher.utter_message(text=text, buttons=work_orders.category_buttons(
            options, lang, first_is_prediction=bool(state.get("predicted"))) or None)
        return events


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
        events.append(SlotSet("issue_location", mask_mobiles(place)[:LOCATION_MAX]))
    district = work_orders.district_code(location)
    if district and not tracker.get_slot("issue_district"):
        events.append(SlotSet("issue_district", district))
    return events


class ActionAskIssueLocation(AskText):
    zh = "问题发生在哪里？请告诉我具体位置，比如路名门牌号或路口，例如“漕溪北路和南丹路路口”。"
    en = ("Where exactly is the problem? Please give a street and number or a junction, e.g. "
          "\"Caoxi North Road and Nandan Road\".")

    def name(self) -> str:
        return "action_ask_report_issue_form_issue_location"


class ActionAskIssueDescription(AskText):
    zh = "请简单描述一下问题：发生了什么、持续多久了、造成了什么影响。"
    en = ("Please describe the problem in a sentence or two: what is happening, since when, "
          "and how it affects people.")

    def name(self) -> str:
        return "action_ask_report_issue_form_issue_description"


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
        buttons = [{"title": d.name, "payload": f'/inform{{"district": "{d.code}"}}'}
                   for d in districts]
        dispatcher.utter_message(text=text, buttons=buttons or None)
        return []


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
        dispatcher.utter_message(text=text, buttons=[
            {"title": t(lang, "确认提交", "Submit"), "payload": "/affirm"},
            {"title": t(lang, "不提交了", "Don't submit"), "payload": "/deny"},
        ])
        return []


class ActionSubmitReportIssue(DataAction):
    def name(self) -> str:
        return "action_submit_report_issue"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        try:
            return await self.answer(dispatcher, tracker, domain, lang)
        except DataServiceUnavailable:
            # Not filed (as far as we know): the citizen hears so and starts again later.
            dispatcher.utter_message(text=unavailable(lang))
            return [SlotSet(slot, None) for slot in REPORT_SLOTS]

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
        clear = [SlotSet(slot, None) for slot in REPORT_SLOTS]
        if not all(body.values()) or tracker.get_slot("report_confirmed") is not True:
            dispatcher.utter_message(text=t(
                lang, "抱歉，信息还不完整，没有提交。请再说一次您要反映的问题。",
                "Sorry, some details were missing, so nothing was submitted. Please tell me "
                "the problem again."))
            return clear
        try:
            ticket = await self.gateway.create_ticket(**body)
        except Rejected:
            dispatcher.utter_message(text=t(
                lang, "抱歉，系统没有接受这条诉求，没有提交成功。您可以换个说法再试，或直接拨打 12345 市民服务热线反映。",
                "Sorry, the report was not accepted, so nothing was filed. Please try again in "
                "other words, or call the 12345 citizen hotline."))
            return clear
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
        return clear + [SlotSet("last_ticket_no", number)]


class ActionResetReportIssueForm(Action):
    """After the citizen stops the form: forget the half-filled report."""

    def name(self) -> str:
        return "action_reset_report_issue_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        return [SlotSet(slot, None) for slot in REPORT_SLOTS]


# ---------------------------------------------------------------------------------------------
# ticket_status_form

class ValidateTicketStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_status_form"

    async def validate_ticket_no(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: dict) -> dict[str, Any]:
        number = find_ticket_no(str(value or ""))
        if number:
            return {"ticket_no": number}
        if tracker.get_slot("requested_slot") == "ticket_no":
            dispatcher.utter_message(text=t(
                lang_of(tracker),
                "这个号码好像不是工单号。12345 工单号的格式类似 12345-20261128-7K3QXM。",
                "That doesn't look like a ticket number. A 12345 ticket number looks like "
                "12345-20261128-7K3QXM."))
        return {"ticket_no": None}


class ActionAskTicketNo(Action):
    def name(self) -> str:
        return "action_ask_ticket_status_form_ticket_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        last = tracker.get_slot("last_ticket_no")
        text = t(lang,
                 "请告诉我工单号（格式类似 12345-20261128-7K3QXM，提交诉求时会告诉您）。"
                 "找不到工单号的话，可以拨打 12345 热线，用登记的电话查询。",
                 "What is the ticket number? It looks like 12345-20261128-7K3QXM and was given "
                 "when you reported. If you can't find it, call the 12345 hotline with the phone "
                 "number you gave.")
        buttons = ([{"title": t(lang, f"刚才提交的 {last}", f"The one I just filed: {last}"),
                     "payload": f'/inform{{"ticket_no": "{last}"}}'}] if last else None)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionCheckTicketStatus(DataAction):
    def name(self) -> str:
        return "action_check_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        return await super().run(dispatcher, tracker, domain) + [SlotSet("ticket_no", None)]

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict, lang: str) -> list[dict]:
        number = find_ticket_no(tracker.get_slot("ticket_no") or "")
        if not number:
            dispatcher.utter_message(text=t(
                lang, "请提供工单号，格式类似 12345-20261128-7K3QXM。",
                "Please give me the ticket number, e.g. 12345-20261128-7K3QXM."))
            return []
        try:
            ticket = await self.gateway.ticket(number, lang)
        except (NotFound, Rejected):
            dispatcher.utter_message(text=t(
                lang,
                f"没有找到工单号 {number} 的记录。请核对一下号码（注意字母和数字），"
                "或拨打 12345 市民服务热线查询。",
                f"I couldn't find a ticket with the number {number}. Please check it (letters "
                "and digits), or call the 12345 citizen hotline."))
            return []
        dispatcher.utter_message(text=render_ticket(ticket, lang))
        return []


def render_ticket(ticket: Ticket, lang: str) -> str:
    status = ticket.status
    district = ticket.district.name if ticket.district else ""
    kind = ticket.issue_type.label if ticket.issue_type else ""
    latest = ticket.history[-1] if ticket.history else None
    lines = [t(lang,
               f"工单 {ticket.ticket_no}（{kind}，{district}）当前状态：{status.label}。",
               f"Ticket {ticket.ticket_no} ({kind}, {district}) is now: {status.label}.")]
    if latest and latest.note:
        when = local_time(latest.at or None)
        lines.append(t(lang, f"最新进展（{when}）：{latest.note}",
                       f"Latest update ({when}): {latest.note}"))
    expected = ticket.expected_response
    if status.code in ("resolved", "closed"):
        lines.append(t(lang, "如对处理结果不满意，可以拨打 12345 市民服务热线反映。",
                       "If you are not satisfied with the outcome, call the 12345 citizen hotline."))
    elif expected and expected.respond_by:
        overdue = expected.respond_by < datetime.now(SHANGHAI).date().isoformat()
        if overdue:
            lines.append(t(lang,
                           f"已超过预计答复日期（{expected.respond_by}），您可以拨打 12345 市民服务热线催办。",
                           f"The expected reply date ({expected.respond_by}) has passed; you can "
                           "call the 12345 citizen hotline to chase it."))
        elif expected.text:
            lines.append(expected.text)
    return "\n".join(lines)

"""Service questions: what a service needs, what it costs, how long it takes.

`action_answer_service_question` answers the `question` slot (set by action_extract_context when a
question intent arrives) for the `service` slot from `GET /v1/services/{code}`, so the answer to a
"which service?" clarification still answers the original question. Without a service it asks
which one: the ambiguous candidates (`service_options`) when there are some, else popular services.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable, NotFound
from actions.api.gateway import get_gateway
from actions.api.models import ServiceDetail
from actions.context import ContextualAnswer
from actions.forms import CityFormValidation
from actions.i18n import bullet_list, lang_of, t

REQUIREMENTS, FEE, TIME = "ask_service_requirements", "ask_service_fee", "ask_processing_time"
QUESTIONS = (REQUIREMENTS, FEE, TIME)
# Offered when the citizen names no service: the most asked-about ones.
POPULAR = ("residence_permit", "passport", "social_security_card", "hk_macau_permit",
           "resident_id_card", "housing_fund_withdrawal")
MAX_OPTIONS = 4

_TOPIC = {REQUIREMENTS: ("办理条件和材料", "requirements"), FEE: ("费用", "fee"),
          TIME: ("办理时限", "processing time")}

_EXAMPLE = {REQUIREMENTS: ("居住证要什么材料", "residence permit documents"),
            FEE: ("居住证要多少钱", "residence permit fee"),
            TIME: ("居住证要多久", "how long does a residence permit take")}


def current_question(tracker: Tracker) -> str:
    """The question of the latest message if it is one, else the one remembered in `question`."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent in QUESTIONS:
        return intent
    remembered = tracker.get_slot("question")
    return remembered if remembered in QUESTIONS else REQUIREMENTS


def payload(intent: str, service: str) -> str:
    return f"/{intent}{json.dumps({'service': service})}"


async def service_names(lang: str) -> dict[str, str]:
    return {item.code: item.name for item in await get_gateway().services(lang)}


async def ask_which_service(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str,
                            button_intent: str = "inform") -> None:
    """Buttons of the ambiguous candidates, else of popular services (titles in `lang`)."""
    options = [o for o in (tracker.get_slot("service_options") or [])
               if isinstance(o, dict) and o.get("code")][:MAX_OPTIONS]
    try:
        names = await service_names(lang)
    except DataServiceUnavailable:
        names = {}
    topic_zh, topic_en = _TOPIC[current_question(tracker)]
    if options:
        text = t(lang, f"有几项业务比较接近，您想了解的是哪一项的{topic_zh}？",
                 f"A few services match. Which one would you like the {topic_en} for?")
        choices = [(o["code"], names.get(o["code"]) or o.get("name") or o["code"]) for o in options]
    else:
        if button_intent == "inform":  # inside service_question_form: a bare name answers
            example_zh, example_en = "居住证", "residence permit"
        else:  # no form waits for a bare name: ask for the whole question
            example_zh, example_en = _EXAMPLE[button_intent]
        text = t(lang, f"请问您想了解哪项业务的{topic_zh}？可以点选常见事项，或直接告诉我（如“{example_zh}”）。",
                 f"Which service would you like the {topic_en} for? Pick a common one below or "
                 f"type it (e.g. \"{example_en}\").")
        choices = [(code, names[code]) for code in POPULAR if code in names]
    buttons = [{"title": name, "payload": payload(button_intent, code)} for code, name in choices]
    dispatcher.utter_message(text=text, buttons=buttons)


def format_answer(data: ServiceDetail, question: str, lang: str) -> str:
    name = data.name or data.code
    if question == FEE:
        return t(lang, f"「{name}」的费用：{data.fee}", f"{name}, fee: {data.fee}")
    if question == TIME:
        return t(lang, f"「{name}」的办理时限：{data.processing_time}",
                 f"{name}, processing time: {data.processing_time}")
    lines = [t(lang, f"「{name}」办理指南", f"{name}: what you need"),
             t(lang, f"申请条件：{data.eligibility}", f"Who can apply: {data.eligibility}")]
    if data.documents:
        lines += [t(lang, "所需材料：", "Documents:"), bullet_list(data.documents)]
    if data.online:
        lines.append(t(lang, f"网上办理：{data.online}", f"Apply online: {data.online}"))
    if data.online_url:
        lines.append(t(lang, f"办理入口：{data.online_url}", f"Link: {data.online_url}"))
    if data.department:
        lines.append(t(lang, f"受理部门：{data.department}", f"Handled by: {data.department}"))
    return "\n".join(lines)


def follow_up_buttons(code: str, question: str, lang: str, *, where: bool = True) -> list[dict]:
    """The other questions about the same service, and (with `where`) where to go."""
    titles = {REQUIREMENTS: t(lang, "所需材料", "Documents needed"), FEE: t(lang, "费用", "Fee"),
              TIME: t(lang, "办理时限", "Processing time"),
              "find_service_center": t(lang, "去哪里办", "Where to apply")}
    intents = (*QUESTIONS, "find_service_center") if where else QUESTIONS
    return [{"title": titles[intent], "payload": payload(intent, code)}
            for intent in intents if intent != question]


class ActionAnswerServiceQuestion(ContextualAnswer):
    def name(self) -> str:
        return "action_answer_service_question"

    async def missing(self, tracker: Tracker) -> str | None:
        return None if tracker.get_slot("service") else "service"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        question = current_question(tracker)
        service = tracker.get_slot("service")
        # Asked here only outside service_question_form (e.g. a digression in another form): the
        # buttons repeat the question itself, so a click answers it wherever the dialogue is.
        if not service:
            await ask_which_service(dispatcher, tracker, lang, button_intent=question)
            return []
        try:
            data = await self.gateway.service(service, lang)
        except NotFound:
            await ask_which_service(dispatcher, tracker, lang, button_intent=question)
            return [SlotSet("service", None)]
        # In the middle of another form (a report, a booking) "where to apply" would start a
        # second form: the rules answer only the three questions there, then the form asks again.
        dispatcher.utter_message(text=format_answer(data, question, lang),
                                 buttons=follow_up_buttons(data.code, question, lang,
                                                           where=not tracker.active_loop_name))
        return [SlotSet("service_options", None)]


class ValidateServiceQuestionForm(CityFormValidation):
    """The service comes from the context action (a custom mapping). An answer it could not place
    gets the hint; an ambiguous one is understood (it set `service` to None and `service_options`,
    which the question then offers)."""

    form = "service_question_form"
    own_intents = frozenset(QUESTIONS)
    hints = {"service": ("抱歉，没能确定是哪项业务。", "Sorry, I couldn't tell which service that is.")}

    def name(self) -> str:
        return "validate_service_question_form"


class ActionAskServiceQuestionFormService(Action):
    """service_question_form's "which service?": candidates or popular services as buttons."""

    def name(self) -> str:
        return "action_ask_service_question_form_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        await ask_which_service(dispatcher, tracker, lang_of(tracker))
        return []

"""nlu_fallback: a message the NLU could not place. One that names a service the catalogue knows
gets that service's menu, not "I didn't quite understand", and does not count towards handing
the conversation to a person. A message telling of danger now starts the 12345 report (whose first
question gives the emergency numbers) whether it was read as a fallback, out of scope or a bare
fragment."""
from __future__ import annotations

import pytest

from actions.centers import ActionAnswerCenterQuestion
from actions.handoff import failed_twice
from actions.out_of_context import (ActionAnswerOutOfScope, ActionAnswerUnclear,
                                     ActionInformWithoutContext)
from actions.services import ActionAnswerServiceQuestion
from tests.actions.conftest import entity, make_tracker, texts

pytestmark = pytest.mark.asyncio


def unclear(text: str, lang: str, service: str | None = None, span: str | None = None,
            active_loop: str | None = None):
    """The tracker after a fallback message; `service`: the code the context action resolved."""
    tracker = make_tracker(text, intent="nlu_fallback", slots={"language": lang},
                           entities=[entity("service", span)] if span else None,
                           active_loop=active_loop)
    if service:
        tracker.events.append({"event": "slot", "name": "service", "value": service})
    return tracker


def ranked(tracker, *ranking: tuple[str, float]):
    """`tracker` with the NLU's intent ranking set (best first)."""
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return tracker


def payloads(dispatcher) -> set[str]:
    return {b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []}


@pytest.mark.parametrize("lang, text, span, said", [
    ("zh", "我想办居住证", "居住证", "您想了解这项业务的什么？"),
    ("zh", "社保卡丢了怎么补", "社保卡", "您想了解这项业务的什么？"),
    ("en", "residence permit thing, help??", "residence permit", "What would you like to know about it?"),
])
async def test_a_named_service_gets_its_menu(dispatcher, lang, text, span, said):
    tracker = unclear(text, lang, "residence_permit", span)
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []
    assert texts(dispatcher) == [said]
    assert '/ask_service_requirements{"service": "residence_permit"}' in payloads(dispatcher)
    assert '/ask_service_fee{"service": "residence_permit"}' in payloads(dispatcher)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_nothing_named_is_not_understood(dispatcher, lang):
    await ActionAnswerUnclear().run(dispatcher, unclear("asdf qwer 啊啊", lang), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


async def test_inside_a_form_the_form_keeps_the_floor(dispatcher):
    """A form waits for its answer: the service's menu would lead away from it."""
    tracker = unclear("居住证那个", "zh", "residence_permit", "居住证", active_loop="booking_form")
    await ActionAnswerUnclear().run(dispatcher, tracker, {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


def conversation(*turns: tuple[str, str | None]):
    """Citizen turns (intent, service code resolved in that turn or None), oldest first."""
    tracker = make_tracker("", intent="greet")
    tracker.events = []
    for intent, service in turns:
        tracker.events.append({"event": "user", "text": "…",
                               "parse_data": {"intent": {"name": intent, "confidence": 0.3}}})
        if service:
            tracker.events.append({"event": "slot", "name": "service", "value": service})
        tracker.events.append({"event": "action", "name": "action_answer_unclear"})
    return tracker


def test_two_misunderstandings_in_a_row_count():
    assert failed_twice(conversation(("nlu_fallback", None), ("nlu_fallback", None)))
    assert not failed_twice(conversation(("nlu_fallback", None), ("greet", None)))


@pytest.mark.parametrize("turns", [
    [("nlu_fallback", "residence_permit"), ("nlu_fallback", None)],
    [("nlu_fallback", None), ("nlu_fallback", "passport")],
])
def test_a_turn_answered_with_a_service_menu_is_not_a_misunderstanding(turns):
    assert not failed_twice(conversation(*turns))


async def assert_starts_the_report(dispatcher, action, intent: str, lang: str, text: str) -> None:
    """The 12345 report starts at once with the whole message as its description."""
    tracker = make_tracker(text, intent=intent, slots={"language": lang})
    events = await action().run(dispatcher, tracker, {})
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "issue_description": text}
    assert [e["name"] for e in events if e["event"] == "followup"] == ["report_issue_form"]
    assert dispatcher.messages == []


# -- danger now, whatever the NLU made of it (actions/emergency.py) --------------------------------

@pytest.mark.parametrize("action, intent", [(ActionAnswerOutOfScope, "out_of_scope"),
                                            (ActionAnswerUnclear, "nlu_fallback"),
                                            (ActionInformWithoutContext, "inform")])
@pytest.mark.parametrize("lang, text", [("zh", "楼道里一股煤气味"),
                                        ("en", "we are stuck in the elevator at Block 3")])
async def test_danger_read_as_anything_starts_the_report(dispatcher, action, intent, lang, text):
    """The report's first question then gives the numbers (tests/actions/test_work_orders.py)."""
    await assert_starts_the_report(dispatcher, action, intent, lang, text)


@pytest.mark.parametrize("lang, said", [("zh", "急救 120"), ("en", "ambulance 120")])
async def test_danger_inside_another_form_gets_the_numbers_at_once(dispatcher, lang, said):
    tracker = make_tracker("a man collapsed / 有人晕倒了", intent="out_of_scope",
                           slots={"language": lang}, active_loop="appointment_form")
    assert await ActionAnswerOutOfScope().run(dispatcher, tracker, {}) == []
    assert len(texts(dispatcher)) == 1 and said in texts(dispatcher)[0]


@pytest.mark.parametrize("lang, text", [("zh", "明天上海会下雨吗"), ("en", "play some jazz")])
async def test_out_of_scope_is_refused_politely(dispatcher, lang, text):
    tracker = make_tracker(text, intent="out_of_scope", slots={"language": lang})
    assert await ActionAnswerOutOfScope().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


def out_of_scope(text: str, lang: str, report_issue: float):
    return ranked(make_tracker(text, intent="out_of_scope", slots={"language": lang}),
                  ("out_of_scope", 1 - report_issue), ("report_issue", report_issue))


@pytest.mark.parametrize("lang, text", [
    ("zh", "菜市场缺斤少两怎么办"),
    ("en", "the vegetable stall at my wet market keeps cheating people on the scales"),
])
async def test_out_of_scope_with_a_report_close_behind_is_the_report(dispatcher, lang, text):
    """Short city matters the NLU took for small talk were refused; the classifier places them."""
    events = await ActionAnswerOutOfScope().run(dispatcher, out_of_scope(text, lang, 0.32), {})
    assert [e["name"] for e in events if e["event"] == "followup"] == ["report_issue_form"]
    assert [e["value"] for e in events if e.get("name") == "issue_description"] == [text]
    assert await ActionAnswerOutOfScope().run(dispatcher, out_of_scope(text, lang, 0.05), {}) == []


@pytest.mark.parametrize("lang, text", [("zh", "帮我放首周杰伦的歌"), ("en", "play some jazz")])
async def test_out_of_scope_half_read_as_a_report_still_needs_the_classifier(dispatcher, lang, text):
    tracker = out_of_scope(text, lang, 0.32)
    assert await ActionAnswerOutOfScope().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


# -- a complaint or praise said outright, whatever the NLU made of it ------------------------------

@pytest.mark.parametrize("action, intent", [(ActionAnswerOutOfScope, "out_of_scope"),
                                            (ActionAnswerUnclear, "nlu_fallback"),
                                            (ActionAnswerCenterQuestion, "find_service_center"),
                                            (ActionAnswerServiceQuestion, "ask_service_fee")])
@pytest.mark.parametrize("lang, text", [
    ("zh", "我要投诉徐汇区漕溪北路那家饭店的油烟，熏得我们家窗户都不能开"),
    ("zh", "表扬一下静安区政务服务中心的窗口工作人员，办事特别耐心"),
    ("en", "I want to praise the staff at the Xuhui service centre"),
    ("en", "I'd like to complain about the construction noise next to my building in Minhang"),
])
async def test_a_named_complaint_or_praise_starts_the_report(dispatcher, action, intent, lang, text):
    """"I want to praise the staff at the Xuhui service centre" fell back between the centre intents
    and was answered "I didn't quite understand"; 「我要表扬一下长宁区政务服务中心的小王」 got the list
    of Changning's centres."""
    await assert_starts_the_report(dispatcher, action, intent, lang, text)


@pytest.mark.parametrize("lang, text", [
    ("en", "The bus 946 is always late in the morning, I waited 40 minutes today"),
    ("zh", "946路公交车早上老是晚点，今天等了四十分钟"),
])
async def test_a_fallback_with_a_report_close_behind_is_the_report(dispatcher, lang, text):
    tracker = ranked(unclear(text, lang), ("nlu_fallback", 0.5), ("ask_office_hours", 0.32),
                     ("report_issue", 0.22))
    events = await ActionAnswerUnclear().run(dispatcher, tracker, {})
    assert [e["name"] for e in events if e["event"] == "followup"] == ["report_issue_form"]
    tracker.latest_message["intent_ranking"][2]["confidence"] = 0.1  # a report far behind
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []


@pytest.mark.parametrize("lang, text", [("zh", "我想表扬一下12345的接线员，态度特别好"),
                                        ("en", "I want to praise the 12345 operator, she was so kind")])
async def test_named_praise_the_nlu_ranks_as_a_report_needs_no_sure_class(dispatcher, lang, text):
    """No class fits the hotline's own staff well (the classifier is unsure): the citizen said it
    is praise and the NLU half-agreed, so the report starts and the citizen picks the class."""
    tracker = ranked(unclear(text, lang), ("nlu_fallback", 0.5), ("report_issue", 0.4))
    events = await ActionAnswerUnclear().run(dispatcher, tracker, {})
    assert [e["name"] for e in events if e["event"] == "followup"] == ["report_issue_form"]


@pytest.mark.parametrize("lang, text", [("zh", "我要投诉你这个机器人太笨了"),
                                        ("en", "I want to praise you, you are a clever bot")])
async def test_named_praise_of_the_bot_is_no_report(dispatcher, lang, text):
    """Neither the classifier nor the NLU sees a city matter (the NLU read bot_challenge)."""
    tracker = ranked(unclear(text, lang), ("nlu_fallback", 0.5), ("bot_challenge", 0.45))
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


@pytest.mark.parametrize("lang, text", [("en", "can you suggest a good movie for tonight"),
                                        ("zh", "建议你给我讲个笑话")])
async def test_naming_a_suggestion_is_not_enough(dispatcher, lang, text):
    """"suggest" is everyday chit-chat too: only complaint, praise and report make a report."""
    tracker = make_tracker(text, intent="out_of_scope", slots={"language": lang})
    assert await ActionAnswerOutOfScope().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize("lang, text", [("zh", "我的投诉到哪个环节了"),
                                        ("en", "my complaint about the noise, any result?")])
async def test_asking_after_a_filed_complaint_is_not_a_new_one(dispatcher, lang, text):
    tracker = ranked(unclear(text, lang), ("nlu_fallback", 0.5), ("check_ticket_status", 0.4))
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


async def test_a_named_complaint_inside_a_form_leaves_the_form_the_floor(dispatcher):
    tracker = make_tracker("我要投诉这个预约系统太难用", intent="nlu_fallback",
                           slots={"language": "zh"}, active_loop="appointment_form")
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


@pytest.mark.parametrize("lang, text", [("zh", "我要投诉路灯坏了"), ("en", "I want to complain about a broken streetlight")])
async def test_without_the_data_service_a_named_complaint_is_not_lost(down_client, dispatcher, lang,
                                                                       text):
    """The classifier cannot confirm it: the citizen gets the usual answer, never an error."""
    tracker = make_tracker(text, intent="nlu_fallback", slots={"language": lang})
    assert await ActionAnswerUnclear().run(dispatcher, tracker, {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_default"]


def test_a_fallback_that_became_a_report_is_not_a_misunderstanding():
    tracker = conversation(("nlu_fallback", None), ("nlu_fallback", None))
    tracker.events.insert(1, {"event": "slot", "name": "issue_description", "value": "我要投诉……"})
    assert not failed_twice(tracker)

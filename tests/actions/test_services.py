"""Service questions against the real data service: requirements, fee, processing time, the
"which service?" clarification (candidates or popular services), unknown codes and an outage."""
from __future__ import annotations

import pytest

from rasa_sdk.events import SlotSet

from actions.services import (ActionAnswerServiceQuestion, ActionAskServiceQuestionFormService,
                              ValidateServiceQuestionForm)
from tests.actions.conftest import after_form, entity, make_tracker, slot_events, texts

pytestmark = pytest.mark.asyncio
DOMAIN: dict = {"forms": {"service_question_form": {"required_slots": ["service"]}}}


async def answer(tracker, dispatcher):
    """The answer once service_question_form knows the service (the context set by then)."""
    return await ActionAnswerServiceQuestion().run(
        dispatcher, after_form(tracker, "service_question_form"), DOMAIN)


async def ask(tracker, dispatcher):
    return await ActionAskServiceQuestionFormService().run(dispatcher, tracker, DOMAIN)


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


# -- answers -----------------------------------------------------------------------------------

async def test_requirements_zh_lists_eligibility_documents_and_online(dispatcher):
    tracker = make_tracker("护照怎么办理", intent="ask_service_requirements",
                           entities=[entity("service", "护照")],
                           slots={"service": "passport", "question": "ask_service_requirements"})
    events = await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "「普通护照」" in text
    assert "申请条件：" in text and "- 居民身份证" in text
    assert "随申办" in text and "一网通办" in text and "https://" in text
    assert slot_events(events) == {"service_options": None}
    payloads = [b["payload"] for b in buttons(dispatcher)]
    assert '/ask_service_fee{"service": "passport"}' in payloads
    assert '/find_service_center{"service": "passport"}' in payloads
    assert not any(p.startswith("/ask_service_requirements") for p in payloads)


async def test_requirements_en(dispatcher):
    tracker = make_tracker("what documents do I need for a residence permit",
                           intent="ask_service_requirements",
                           slots={"service": "residence_permit", "language": "en",
                                  "question": "ask_service_requirements"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "Shanghai Residence Permit" in text
    assert "Who can apply:" in text and "Documents:" in text and "- Resident ID card" in text
    assert "Suishenban" in text and "Apply online:" in text
    assert {b["title"] for b in buttons(dispatcher)} == {"Fee", "Processing time", "Where to apply"}


@pytest.mark.parametrize("lang, titles", [("zh", ["费用", "办理时限"]),
                                          ("en", ["Fee", "Processing time"])])
async def test_in_the_middle_of_a_report_no_where_to_apply(lang, titles, dispatcher):
    """The report form answers documents, fee and time questions and asks again; a centre
    question would start another form, so its button is not offered there."""
    tracker = make_tracker('/ask_service_requirements{"service": "passport"}',
                           intent="ask_service_requirements", active_loop="report_issue_form",
                           slots={"service": "passport", "language": lang,
                                  "requested_slot": "issue_category"})
    await ActionAnswerServiceQuestion().run(dispatcher, tracker, DOMAIN)
    assert [b["title"] for b in buttons(dispatcher)] == titles


@pytest.mark.parametrize("lang,expected", [("zh", "「普通护照」的费用：每本120元。"),
                                           ("en", "Ordinary Passport, fee: CNY 120 per passport.")])
async def test_fee(lang, expected, dispatcher):
    tracker = make_tracker("passport fee", intent="ask_service_fee",
                           slots={"service": "passport", "language": lang, "question": "ask_service_fee"})
    await answer(tracker, dispatcher)
    assert texts(dispatcher) == [expected]


@pytest.mark.parametrize("lang,expected", [("zh", "7个工作日"), ("en", "7 working days")])
async def test_processing_time(lang, expected, dispatcher):
    tracker = make_tracker("护照要多久", intent="ask_processing_time",
                           slots={"service": "passport", "language": lang,
                                  "question": "ask_processing_time"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert expected in text
    assert ("办理时限" if lang == "zh" else "processing time") in text


async def test_clarification_answers_the_original_question(dispatcher):
    """The citizen asked the fee, then picked the service: the answer is the fee."""
    tracker = make_tracker('/inform{"service": "business_license"}', intent="inform",
                           entities=[entity("service", "business_license")],
                           slots={"service": "business_license", "question": "ask_service_fee",
                                  "service_options": [{"code": "business_license", "name": "x"}]},
                           active_loop="service_question_form")
    events = await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("「企业设立登记（营业执照）」的费用：免费")
    assert slot_events(events)["service_options"] is None


async def test_latest_question_wins_over_the_remembered_one(dispatcher):
    tracker = make_tracker("要多久", intent="ask_processing_time",
                           slots={"service": "passport", "question": "ask_service_fee"})
    await answer(tracker, dispatcher)
    assert "办理时限" in texts(dispatcher)[0]


# -- which service? ------------------------------------------------------------------------------

async def test_without_service_answer_asks_with_question_buttons(dispatcher):
    """Outside the service form (e.g. a digression in center_form) the buttons repeat the question."""
    tracker = make_tracker("要多少钱", intent="ask_service_fee",
                           slots={"question": "ask_service_fee"}, active_loop="center_form")
    events = await answer(tracker, dispatcher)
    assert events == []
    assert "哪项业务的费用" in texts(dispatcher)[0] and "“居住证要多少钱”" in texts(dispatcher)[0]
    found = buttons(dispatcher)
    assert len(found) == 6
    assert {"title": "普通护照", "payload": '/ask_service_fee{"service": "passport"}'} in found


async def test_form_asks_among_the_candidates_zh(dispatcher):
    tracker = make_tracker("营业执照怎么收费", intent="ask_service_fee",
                           entities=[entity("service", "营业执照")],
                           slots={"question": "ask_service_fee", "service_options": [
                               {"code": "business_license", "name": "企业设立登记（营业执照）"},
                               {"code": "individual_business_license", "name": "个体工商户登记（营业执照）"}]})
    await ask(tracker, dispatcher)
    assert "哪一项的费用" in texts(dispatcher)[0]
    assert buttons(dispatcher) == [
        {"title": "企业设立登记（营业执照）", "payload": '/inform{"service": "business_license"}'},
        {"title": "个体工商户登记（营业执照）",
         "payload": '/inform{"service": "individual_business_license"}'}]


async def test_form_asks_among_the_candidates_with_english_titles(dispatcher):
    """The candidates' names follow the reply language, whatever language they were resolved in."""
    tracker = make_tracker("business licence fee", intent="ask_service_fee",
                           slots={"language": "en", "question": "ask_service_fee", "service_options": [
                               {"code": "business_license", "name": "企业设立登记（营业执照）"},
                               {"code": "individual_business_license", "name": "个体工商户登记（营业执照）"}]})
    await ask(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("A few services match. Which one would you like the fee for?")
    assert [b["title"] for b in buttons(dispatcher)][0] == "Business Licence (company registration)"


@pytest.mark.parametrize("lang,title,phrase", [
    ("zh", "上海市居住证", "哪项业务的办理条件和材料"),
    ("en", "Shanghai Residence Permit", "Which service would you like the requirements for?")])
async def test_form_offers_popular_services(lang, title, phrase, dispatcher):
    tracker = make_tracker("要带什么材料", intent="ask_service_requirements",
                           slots={"language": lang, "question": "ask_service_requirements"})
    await ask(tracker, dispatcher)
    assert phrase in texts(dispatcher)[0]
    found = buttons(dispatcher)
    assert len(found) == 6
    assert {"title": title, "payload": '/inform{"service": "residence_permit"}'} in found


@pytest.mark.parametrize("lang,text,hint", [
    ("zh", "就是那个", "抱歉，没能确定是哪项业务。"),
    ("en", "that one", "Sorry, I couldn't tell which service that is.")])
async def test_form_says_when_the_answer_was_not_recognised(lang, text, hint, dispatcher):
    tracker = make_tracker(text, intent="inform", active_loop="service_question_form",
                           slots={"question": "ask_service_fee", "requested_slot": "service",
                                  "language": lang})
    events = await ValidateServiceQuestionForm().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == [hint] and slot_events(events) == {"service": None}
    await ask(tracker, dispatcher)
    assert texts(dispatcher)[1].startswith(("请问您想了解哪项业务的费用？", "Which service would you like the fee"))


async def test_an_ambiguous_answer_is_understood_and_gets_the_candidates(dispatcher):
    tracker = make_tracker("营业执照", intent="inform", active_loop="service_question_form",
                           slots={"question": "ask_service_fee", "requested_slot": "service"})
    # The context action found several services: `service` cleared, the candidates kept.
    tracker.add_slots([SlotSet("service_options", [{"code": "business_license"},
                                                   {"code": "individual_business_license"}]),
                       SlotSet("service", None)])
    await ValidateServiceQuestionForm().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == []  # no "could not tell": the question offers the candidates


async def test_unknown_code_asks_again(dispatcher):
    tracker = make_tracker("fee", intent="ask_service_fee",
                           slots={"service": "no_such_service", "language": "en"})
    events = await answer(tracker, dispatcher)
    assert slot_events(events) == {"service": None}
    assert "Which service would you like the fee for?" in texts(dispatcher)[0]
    assert buttons(dispatcher)


# -- outage ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,phrase", [("zh", "系统暂时无法查询"), ("en", "can't look that up")])
async def test_outage_is_a_polite_reply_with_12345(down_client, lang, phrase, dispatcher):
    tracker = make_tracker("passport fee", intent="ask_service_fee",
                           slots={"service": "passport", "language": lang})
    assert await answer(tracker, dispatcher) == []
    [text] = texts(dispatcher)
    assert phrase in text and "12345" in text


async def test_outage_still_asks_which_service(down_client, dispatcher):
    tracker = make_tracker("what do I need", intent="ask_service_requirements",
                           slots={"language": "en"})
    await ask(tracker, dispatcher)
    assert "Which service" in texts(dispatcher)[0]
    assert buttons(dispatcher) == []


# -- the whole turn in one call ----------------------------------------------------------------
# An informational question outside a form reaches the answer action directly (the context action
# does not run for it): the action extracts the context itself, then answers or says what is missing.

async def test_a_question_outside_a_form_is_answered_with_its_own_context(dispatcher):
    tracker = make_tracker("how much is a passport", intent="ask_service_fee",
                           entities=[entity("service", "passport")], slots={"language": "zh"})
    events = await ActionAnswerServiceQuestion().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {"language": "en", "question": "ask_service_fee",
                                   "service": "passport", "service_options": None}
    assert texts(dispatcher) == ["Ordinary Passport, fee: CNY 120 per passport."]


async def test_a_question_without_a_service_hands_over_to_the_form_silently(dispatcher):
    tracker = make_tracker("办这个要带什么材料", intent="ask_service_requirements")
    events = await ActionAnswerServiceQuestion().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {"question": "ask_service_requirements",
                                   "context_missing": "service"}
    assert dispatcher.messages == []  # service_question_form asks "which service?"


async def test_the_answer_after_the_form_clears_what_was_missing(dispatcher):
    tracker = make_tracker("居住证", intent="inform", slots={
        "service": "residence_permit", "question": "ask_service_fee", "context_missing": "service"})
    events = await answer(tracker, dispatcher)
    assert slot_events(events)["context_missing"] is None
    assert texts(dispatcher)[0].startswith("「上海市居住证」的费用")

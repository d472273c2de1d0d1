"""The 12345 report in the work-order taxonomy, against the real data service: the category the
data service predicts for the citizen's own words, confirmed or corrected with buttons, the place
taken from the text, the ticket filed with type, category and channel (zh and en); a consultation
the catalogue cannot answer offered as a consultation work order; a bare fragment in a fresh
conversation refused."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import SlotSet

from actions import work_orders
from actions.api.gateway import get_gateway
from actions.hotline import ValidateReportIssueForm
from actions.report_category import ActionAskIssueCategory
from actions.report_submit import ActionAskReportConfirmed, ActionSubmitReportIssue
from actions.out_of_context import ActionAcknowledgeWithoutContext, ActionInformWithoutContext
from actions.work_orders import OTHER
from tests.actions.conftest import entity, make_tracker, slot_events, texts

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "bot/domain/hotline.yml").read_text(encoding="utf-8"))

LONG_ZH = ("我是徐汇区田林东路75弄的居民，想反映一个问题。小区门口的田林东路人行道上，最近两个月有几家商户"
           "把桌椅和货架摆到人行道上，晚上还有烧烤摊占道经营，行人只能走到机动车道上，老人和小孩都很危险。"
           "我们跟居委会说过好几次，一直没有改善，希望城管部门尽快来处理，恢复人行道通行。谢谢！")
LONG_EN = ("Hello, I live in Jing'an District. For about three weeks the restaurant at 88 Yuyuan Road "
           "has been pouring its kitchen waste water and oil into the storm drain every night. The "
           "whole street smells terrible, the drain is now blocked and there are rats. We asked the "
           "owner to stop but nothing changed. Please send someone to check and stop the pollution.")
CONSULTATION_ZH = "请问我们小区明年能不能通上管道燃气，想咨询一下老小区燃气管道改造是怎么安排的"


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


async def run_form(text, intent, slots, requested, dispatcher, entities=None, candidates=None):
    """One turn of report_issue_form: the validation action, then the question it asks next
    (here only the category question, the one this module is about)."""
    tracker = make_tracker(text, intent=intent, entities=entities,
                           slots={**slots, "requested_slot": requested},
                           active_loop="report_issue_form" if requested else None)
    tracker.add_slots([SlotSet(k, v) for k, v in (candidates or {}).items()])
    events = await ValidateReportIssueForm().run(dispatcher, tracker, DOMAIN)
    return {**slots, **slot_events(events)}


# -- pure helpers ---------------------------------------------------------------------------------

RESULT = {"type": {"code": "complaint", "name": "投诉", "score": 0.7}, "score": 0.8, "confident": True,
          "category": {"level1": {"code": "01", "name": "城乡建设"},
                       "level2": {"code": "0102", "name": "城市建设和市政管理"}},
          "alternatives": [{"level1": {"code": "01", "name": "城乡建设"},
                            "level2": {"code": "0102", "name": "城市建设和市政管理"}, "score": 0.8},
                           {"level1": {"code": "04", "name": "环境保护"},
                            "level2": {"code": "0402", "name": "环境污染"}, "score": 0.12},
                           {"category": {"level1": {"code": "13", "name": "政法"},
                                         "level2": {"code": "1308", "name": "社会治安"}},
                            "score": 0.05}],
          "location": {"district": "xuhui", "road": "田林东路75弄"}}


def test_options_put_the_prediction_first_without_repeats():
    options = work_orders.options_of(RESULT)
    assert [o["code"] for o in options] == ["0102", "0402", "1308"]
    assert options[0] == {"code": "0102", "level1": "城乡建设", "level2": "城市建设和市政管理",
                          "type": "complaint"}


def test_unlikely_alternatives_are_not_offered():
    """A sure prediction leaves the other classes near 0 in an arbitrary order: no buttons for them,
    only the prediction and "something else"."""
    sure = {**RESULT, "score": 0.9999, "alternatives": [
        {"level1": {"code": "02", "name": "党务政务"}, "level2": {"code": "0202", "name": "港澳台侨"},
         "score": 0.00001},
        {"level1": {"code": "04", "name": "环境保护"}, "level2": {"code": "0402", "name": "环境污染"},
         "score": 0.049},
        {"level1": {"code": "07", "name": "经济管理"}, "level2": {"code": "0702", "name": "保险证券期货"}}]}
    options = work_orders.options_of(sure)
    assert [o["code"] for o in options] == ["0102"]
    buttons = work_orders.category_buttons(options, "en", first_is_prediction=True)
    assert [b["payload"] for b in buttons] == ['/inform{"issue_category": "0102"}',
                                               '/inform{"issue_category": "%s"}' % OTHER]


def test_a_low_score_is_not_offered_as_the_answer():
    assert work_orders.confident(RESULT)
    assert not work_orders.confident({**RESULT, "confident": False})  # the data service's word
    without_flag = {k: v for k, v in RESULT.items() if k != "confident"}
    assert not work_orders.confident({**without_flag, "score": 0.1})
    assert work_orders.confident(without_flag)
    assert not work_orders.confident(None)


def test_buttons_confirm_correct_or_something_else():
    options = work_orders.options_of(RESULT)
    zh = work_orders.category_buttons(options, "zh", first_is_prediction=True)
    assert zh[0] == {"title": "对，是“城乡建设 › 城市建设和市政管理”",
                     "payload": '/inform{"issue_category": "0102"}'}
    assert zh[-1]["payload"] == '/inform{"issue_category": "%s"}' % OTHER
    assert len(zh) == 4
    en = work_orders.category_buttons(options[:1], "en", first_is_prediction=False)
    assert en == [{"title": "城乡建设 › 城市建设和市政管理", "payload": '/inform{"issue_category": "0102"}'}]


def test_location_and_district_of_a_classification():
    assert work_orders.location_text({"road": "漕溪北路100号", "landmark": "徐家汇地铁站"}) == \
        "漕溪北路100号 徐家汇地铁站"
    assert work_orders.location_text({"district": "xuhui"}) is None
    assert work_orders.district_code({"district": {"code": "pudong", "name": "浦东新区"}}) == "pudong"
    assert work_orders.district_code({"district": "DROP TABLE"}) is None


def test_channel_from_metadata_or_the_input_channel():
    tracker = make_tracker("hi", metadata={"channel": "wechat"})
    assert work_orders.channel_of(tracker) == "wechat"
    tracker = make_tracker("hi")
    tracker.events[0]["input_channel"] = "socketio"
    assert work_orders.channel_of(tracker) == "socketio"
    assert work_orders.channel_of(make_tracker("hi", metadata={"channel": "WeChat Mini!"})) == \
        "wechatmini"
    assert work_orders.channel_of(make_tracker("hi")) == "assistant"


# -- against the data service -----------------------------------------------------------------------

async def test_long_pasted_complaint_zh_becomes_a_ticket_in_three_turns(dispatcher):
    # Turn 1: the whole message is the description; the category is predicted and offered, the
    # place is taken from the text, so nothing else needs asking.
    slots = await run_form(LONG_ZH, "report_issue", {"language": "zh"}, None, dispatcher,
                           candidates={"issue_description": LONG_ZH})
    assert slots["issue_description"] == LONG_ZH
    tracker = make_tracker(LONG_ZH, "report_issue", slots=slots)
    events = await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)
    slots.update(slot_events(events))
    [question] = texts(dispatcher)
    assert "属于“城乡建设" in question and "对吗" in question
    assert slots["ticket_type"] == "complaint"
    assert "田林东路" in slots["issue_location"] and slots["issue_district"] == "xuhui"
    confirm = buttons(dispatcher)[0]
    assert confirm["title"].startswith("对，是“城乡建设")
    # Turn 2: the citizen clicks "yes"; the summary follows.
    code = confirm["payload"].split('"')[-2]
    slots = await run_form(confirm["payload"], "inform", slots, "issue_category", dispatcher,
                           entities=[entity("issue_category", code)])
    assert slots["issue_category"] == code
    await ActionAskReportConfirmed().run(dispatcher, make_tracker(slots=slots), DOMAIN)
    assert "类别：城乡建设" in texts(dispatcher)[-1] and "区：徐汇区" in texts(dispatcher)[-1]
    # Turn 3: "确认提交" files the ticket with type, category, location and channel.
    submit = make_tracker("/affirm", "affirm", slots={**slots, "report_confirmed": True},
                          metadata={"channel": "wechat"})
    events = await ActionSubmitReportIssue().run(dispatcher, submit, DOMAIN)
    number = slot_events(events)["last_ticket_no"]
    ticket = await get_gateway().ticket(number, "zh")
    assert ticket.type.code == "complaint"
    assert ticket.category.level1.name == "城乡建设"
    assert ticket.channel == "wechat" and "田林东路" in ticket.location


async def test_long_pasted_complaint_en_with_a_corrected_category(dispatcher):
    slots = await run_form(LONG_EN, "report_issue", {"language": "en"}, None, dispatcher,
                           candidates={"issue_description": LONG_EN})
    tracker = make_tracker(LONG_EN, "report_issue", slots=slots)
    slots.update(slot_events(await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)))
    assert "Is that right?" in texts(dispatcher)[0]
    assert slots["issue_district"] == "jingan" and "Yuyuan Road" in slots["issue_location"]
    # "Something else": every first-level class as a button; the citizen picks one.
    slots = await run_form(f'/inform{{"issue_category": "{OTHER}"}}', "inform", slots,
                           "issue_category", dispatcher, entities=[entity("issue_category", OTHER)])
    assert slots["issue_category"] is None
    await ActionAskIssueCategory().run(dispatcher, make_tracker(slots=slots), DOMAIN)
    first_level = [b for b in dispatcher.messages[-1]["buttons"]]
    assert len(first_level) == 15 and "Which of these" in texts(dispatcher)[-1]
    environment = next(b for b in first_level if b["title"].startswith("Environmental"))
    code = environment["payload"].split('"')[-2]
    slots = await run_form(environment["payload"], "inform", slots, "issue_category", dispatcher,
                           entities=[entity("issue_category", code)])
    assert slots["issue_category"] == code


async def test_yes_takes_the_prediction_and_nonsense_gets_the_list(dispatcher):
    slots = await run_form(LONG_ZH, "report_issue", {"language": "zh"}, None, dispatcher,
                           candidates={"issue_description": LONG_ZH})
    tracker = make_tracker(LONG_ZH, "report_issue", slots=slots)
    slots.update(slot_events(await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)))
    predicted = slots["category_options"]["items"][0]["code"]
    assert (await run_form("对的", "affirm", slots, "issue_category", dispatcher))[
        "issue_category"] == predicted
    unclear = await run_form("asdf qwer", "inform", slots, "issue_category", dispatcher)
    assert unclear["issue_category"] is None
    assert unclear["category_options"]["predicted"] is False
    assert len(unclear["category_options"]["items"]) == 15
    assert "没能确定" in texts(dispatcher)[-1]


async def test_a_consultation_the_catalogue_cannot_answer_is_offered_as_a_work_order(dispatcher):
    slots = await run_form(CONSULTATION_ZH, "report_issue", {"language": "zh"}, None, dispatcher,
                           candidates={"issue_description": CONSULTATION_ZH})
    tracker = make_tracker(CONSULTATION_ZH, "report_issue", slots=slots)
    slots.update(slot_events(await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)))
    assert slots["ticket_type"] == "consultation"
    assert texts(dispatcher)[0].startswith("这个问题我没法直接回答，可以作为咨询工单转给 12345")
    assert not any(b["payload"].startswith("/ask_service") for b in buttons(dispatcher))


@pytest.mark.parametrize("lang, text, first", [
    ("zh", "楼道里一股很浓的煤气味，好像哪家漏气了，在徐汇区田林东路75弄", "如果现在有人身危险"),
    ("en", "there is a strong gas smell in our stairwell at 75 Tianlin East Road, Xuhui",
     "If anyone is in danger"),
    # Too short to pass as a description of a problem, but danger is kept as one.
    ("zh", "着火了！", "如果现在有人身危险"),
    ("en", "i smell gas", "If anyone is in danger"),
])
async def test_danger_gets_the_emergency_numbers_before_the_category(lang, text, first, dispatcher):
    slots = await run_form(text, "report_issue", {"language": lang}, None, dispatcher,
                           candidates={"issue_description": text})
    tracker = make_tracker(text, "report_issue", slots=slots)
    slots.update(slot_events(await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)))
    said = texts(dispatcher)
    assert slots["issue_description"] == text
    assert said[0].startswith(first) and ("962777" in said[0] or "119" in said[0])
    assert len(said) == 2 and buttons(dispatcher)  # then the category question, as always
    # Asked again (after a digression), the numbers are not repeated.
    dispatcher.messages.clear()
    await ActionAskIssueCategory().run(dispatcher, make_tracker("", slots=slots), DOMAIN)
    assert len(texts(dispatcher)) == 1 and "如果现在" not in texts(dispatcher)[0]
    assert "If anyone" not in texts(dispatcher)[0]


@pytest.mark.parametrize("span", [True, False], ids=["span", "no span"])
@pytest.mark.parametrize("lang, text, said", [
    ("zh", "请问外地的驾驶证可以在上海换证吗？想咨询一下", "关于「机动车驾驶证换证」，办事指南可以直接回答"),
    ("en", "Can I swap my driving licence from another province for a Shanghai one?",
     "About Driving Licence Renewal, the service guide answers"),
])
async def test_a_consultation_the_catalogue_answers_offers_the_guide_first(lang, text, said, span,
                                                                            dispatcher):
    slots = await run_form(text, "report_issue", {"language": lang}, None, dispatcher,
                           candidates={"issue_description": text})
    tracker = make_tracker(text, "report_issue", slots=slots)
    if span:  # the context action resolved the service span the NLU marked; else the whole text
        tracker.events.append({"event": "slot", "name": "service",
                               "value": "driving_license_renewal"})
    slots.update(slot_events(await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)))
    assert slots["ticket_type"] == "consultation"
    assert texts(dispatcher)[-1].startswith(said)
    offered = [b["payload"] for b in buttons(dispatcher)]
    # The guide's three answers first (the report form answers them and asks again), then the
    # category to confirm for a consultation ticket, and "no ticket needed" to stop.
    assert offered[:3] == [f'/{q}{{"service": "driving_license_renewal"}}' for q in
                           ("ask_service_requirements", "ask_service_fee", "ask_processing_time")]
    assert any("issue_category" in p for p in offered[3:-1])
    assert offered[-1] == "/deny"
    # Asked again after an answer, the question keeps its guide buttons.
    again = make_tracker("", "ask_service_requirements", slots=slots, active_loop="report_issue_form")
    dispatcher.messages.clear()
    await ActionAskIssueCategory().run(dispatcher, again, DOMAIN)
    assert texts(dispatcher)[-1].startswith(said)


@pytest.mark.parametrize("text", [
    "办驾驶证的窗口工作人员态度恶劣，排了三个小时队还被骂，我要投诉",  # a complaint
    "老人走失了怎么办",  # a consultation about a lost person, not the elderly care subsidy
    "咨询一下老年人手机套餐有没有优惠",  # "老年人" names no catalogue service
])
async def test_a_matter_merely_mentioning_a_service_is_not_sent_to_the_guide(text, dispatcher):
    slots = await run_form(text, "report_issue", {"language": "zh"}, None, dispatcher,
                           candidates={"issue_description": text})
    tracker = make_tracker(text, "report_issue", slots=slots)
    await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)
    assert "办事指南" not in texts(dispatcher)[-1]
    assert not any(b["payload"].startswith("/ask_service") for b in buttons(dispatcher))


@pytest.mark.parametrize("text", ["图库", "camera360", "35的平方根"])
async def test_a_bare_fragment_in_a_fresh_conversation_is_refused(text, dispatcher):
    await ActionInformWithoutContext().run(dispatcher, make_tracker(text), DOMAIN)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


def half_read(text: str, report_issue: float, entities=None, intent: str = "inform"):
    """The NLU's reading of a report it misread (an address-heavy one as inform, 「不对，…」 as deny):
    `intent` first, report_issue behind it."""
    tracker = make_tracker(text, intent, entities=entities)
    tracker.latest_message["intent_ranking"] = [{"name": intent, "confidence": 1 - report_issue},
                                                {"name": "report_issue", "confidence": report_issue}]
    return tracker


@pytest.mark.parametrize("text", ["徐汇区漕溪北路100号门口的路灯坏了一个星期了",
                                  "the streetlight outside 100 Caoxi North Road in Xuhui is broken"])
async def test_a_report_read_as_an_address_starts_the_12345_report(text, dispatcher):
    events = await ActionInformWithoutContext().run(dispatcher, half_read(text, 0.46), DOMAIN)
    assert slot_events(events) == {"issue_description": text}
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["report_issue_form"]
    assert dispatcher.messages == []


@pytest.mark.parametrize("text", ["图库", "camera360", "35的平方根"])
async def test_a_fragment_is_refused_even_with_report_issue_behind_it(text, dispatcher):
    """The classifier must agree: out-of-scope fragments get no confident category."""
    events = await ActionInformWithoutContext().run(dispatcher, half_read(text, 0.3), DOMAIN)
    assert events == [] and [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


@pytest.mark.parametrize("intent,text", [
    ("deny", "不对，工资少发了"),
    ("affirm", "对的，我家楼下烧烤店天天半夜噪音扰民"),
    ("deny", "no, nobody fixed the streetlight"),
])
async def test_a_complaint_read_as_yes_or_no_starts_the_12345_report(intent, text, dispatcher):
    tracker = half_read(text, 0.3, intent=intent)
    events = await ActionAcknowledgeWithoutContext().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {"issue_description": text}
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["report_issue_form"]
    assert dispatcher.messages == []


@pytest.mark.parametrize("intent,text", [("affirm", "好的"), ("deny", "不用了"),
                                         ("affirm", "yes please"), ("deny", "no thanks")])
async def test_a_bare_yes_or_no_gets_anything_else(intent, text, dispatcher):
    """Even with report_issue behind it: the classifier must place the message."""
    tracker = half_read(text, 0.3, intent=intent)
    events = await ActionAcknowledgeWithoutContext().run(dispatcher, tracker, DOMAIN)
    assert events == [] and [m.get("response") for m in dispatcher.messages] == ["utter_anything_else"]


async def test_a_bare_service_name_gets_what_about_it(dispatcher):
    tracker = make_tracker("居住證", entities=[entity("service", "居住證")], slots={"language": "zh"})
    tracker.events.append({"event": "slot", "name": "service", "value": "residence_permit"})
    await ActionInformWithoutContext().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == ["您想了解这项业务的什么？"]
    assert '/ask_service_fee{"service": "residence_permit"}' in {b["payload"] for b in buttons(dispatcher)}


async def test_classification_outage_still_asks(down_client, dispatcher):
    tracker = make_tracker(LONG_EN, "report_issue", slots={"language": "en",
                                                            "issue_description": LONG_EN})
    events = await ActionAskIssueCategory().run(dispatcher, tracker, DOMAIN)
    assert "what area is it about" in texts(dispatcher)[0]
    assert slot_events(events)["category_options"] == {"predicted": False, "items": []}

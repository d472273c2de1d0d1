"""12345 hotline against the real data service: issue-type mapping, report_issue_form validation
and questions, submitting a ticket and following it up, in zh and en, and an outage."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import SlotSet

from actions.hotline import ActionAskDistrict, QUESTION_INTENTS, ValidateReportIssueForm
from actions.issue_words import describes_problem, match_issue_type
from actions.report_submit import (REPORT_SLOTS, ActionAskReportConfirmed, ActionResetReportIssueForm,
                                   ActionSubmitReportIssue, legacy_issue_type)
from actions.ticket_status import ActionAskTicketNo, ActionCheckTicketStatus, ValidateTicketStatusForm
from tests.actions.conftest import entity, make_tracker, render_response, slot_events, texts

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "bot/domain/hotline.yml").read_text(encoding="utf-8"))
TICKET = re.compile(r"12345-\d{8}-[0-9A-Z]{6}")
SEEDED_IN_PROGRESS = "12345-20261118-W4TZ6R"  # streetlight, Yangpu, in progress
SEEDED_RESOLVED = "12345-20261103-K7M2QX"  # noise, Xuhui, resolved

REPORT = {"issue_type": "路灯", "issue_location": "宜山路700弄门口", "issue_district": "xuhui",
          "issue_description": "小区门口两盏路灯不亮已经三天了，晚上很黑", "report_confirmed": True,
          "issue_category": "0102", "ticket_type": "complaint"}
CATEGORY = {"code": "0102", "level1": "城乡建设", "level2": "城市建设和市政管理", "type": "complaint"}
CATEGORY_EN = {"code": "0102", "level1": "Urban and rural construction",
               "level2": "City construction and municipal management", "type": "complaint"}


def form_tracker(text: str, intent: str = "inform", *, candidates: dict | None = None,
                 requested: str | None = None, slots: dict | None = None,
                 entities: list | None = None, form: str = "report_issue_form"):
    """A tracker as the form hands it to its validation action: candidates are the trailing
    slot events of this turn; `requested=None` is the form's activation."""
    tracker = make_tracker(text, intent=intent, entities=entities,
                           slots={**(slots or {}), "requested_slot": requested},
                           active_loop=form if requested else None)
    tracker.add_slots([SlotSet(k, v) for k, v in (candidates or {}).items()])
    return tracker


async def validate(tracker, dispatcher, action=ValidateReportIssueForm):
    return slot_events(await action().run(dispatcher, tracker, DOMAIN))


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


# -- pure helpers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,code", [
    ("路灯坏了", "streetlight"), ("噪音", "noise"), ("半夜施工", "noise"), ("违章停车", "illegal_parking"),
    ("下水道堵了", "drainage"), ("自来水发黄", "water_supply"), ("人行道地砖松了", "road_damage"),
    ("井盖丢了", "public_facility"), ("红绿灯坏了", "public_facility"), ("树倒了", "greenery"),
    ("油烟扰民", None),  # noise (扰民) and pollution (油烟) weigh the same: ask
    ("偷排废水", "pollution"), ("垃圾好几天没人清", "garbage_collection"),
    ("pothole", "road_damage"), ("broken street lamp", "streetlight"), ("noise", "noise"),
    ("parking illegally", "illegal_parking"), ("blocked drain", "drainage"),
    ("tap water is yellow", "water_supply"), ("fallen tree", "greenery"),
    ("missing manhole cover", "public_facility"), ("bins are overflowing", "garbage_collection"),
    ("小广告", None), ("graffiti", None), ("", None),
    ("streetlight", "streetlight"), ("other", "other"),  # button payloads carry the code
])
def test_issue_words_map_to_the_vocabulary(text, code):
    assert match_issue_type(text) == code


def test_labels_of_the_data_service_map_to_their_code():
    types = [{"code": "streetlight", "label": "Broken streetlight"}, {"code": "other", "label": "Other"}]
    assert match_issue_type("broken streetlight", types) == "streetlight"
    assert match_issue_type("噪音", types) is None  # not in this vocabulary


@pytest.mark.parametrize("text,expected", [
    ("路灯坏了，在漕溪北路和南丹路路口", True), ("楼下广场舞太吵了，想投诉", True),
    ("小区门口天天违章停车", True), ("我要投诉", False), ("12345 投诉 噪音", False), ("举报群租", False),
    ("the streetlight is broken at Caoxi North Road and Nandan Road", True),
    ("I want to report a problem", False), ("12345 complaint noise", False),
])
def test_first_message_describes_the_problem(text, expected):
    assert describes_problem(text) is expected


@pytest.mark.parametrize("text,masked", [
    ("楼下工地半夜打桩，联系我 138 1234 5678 谢谢", "楼下工地半夜打桩，联系我 138******78 谢谢"),
    ("Drilling all night next door, call me on +86-138-1234-5678",
     "Drilling all night next door, call me on 138******78"),
])
async def test_grouped_mobile_numbers_in_a_description_are_masked(dispatcher, text, masked):
    tracker = form_tracker(text, requested="issue_description", candidates={"issue_description": text})
    assert (await validate(tracker, dispatcher))["issue_description"] == masked


# -- report_issue_form: validation ----------------------------------------------------------------

async def test_activation_zh_keeps_a_describing_first_message(dispatcher):
    text = "路灯坏了，在漕溪北路和南丹路路口"
    tracker = form_tracker(text, "report_issue", entities=[
        entity("issue_type", "路灯坏了"), entity("location", "漕溪北路和南丹路路口")], candidates={
        "issue_type": "路灯坏了", "issue_location": "漕溪北路和南丹路路口", "issue_description": text})
    slots = await validate(tracker, dispatcher)
    assert slots["issue_location"] == "漕溪北路和南丹路路口"
    assert slots["issue_description"] == text
    assert slots["issue_category"] is None  # asked next: the prediction for the citizen to confirm
    assert "issue_district" not in slots  # the junction names no district: it will be asked
    assert texts(dispatcher) == []


async def test_activation_drops_a_generic_first_message(dispatcher):
    tracker = form_tracker("12345 投诉 噪音", "report_issue", entities=[entity("issue_type", "噪音")],
                           candidates={"issue_type": "噪音", "issue_description": "12345 投诉 噪音"})
    slots = await validate(tracker, dispatcher)
    assert slots == {"issue_description": None, "issue_category": None}
    assert texts(dispatcher) == []  # nothing to complain about: the form just asks


async def test_a_new_report_forgets_what_an_earlier_one_left(dispatcher):
    # Prefilled at activation from earlier turns: an old report's category and place, and a
    # district asked about for a service centre. Only what this message says counts.
    text = "楼下广场舞太吵了，每天晚上十点多还不停"
    tracker = form_tracker(text, "report_issue",
                           slots={**REPORT, "report_confirmed": None, "ticket_type": "praise",
                                  "category_options": {"predicted": True, "items": [CATEGORY]}},
                           candidates={"issue_location": "宜山路700弄门口",
                                       "issue_district": "xuhui", "issue_description": text})
    events = await ValidateReportIssueForm().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {
        "issue_location": None, "issue_district": None, "issue_description": text,
        "issue_category": None, "category_options": None, "ticket_type": None}


async def test_a_new_report_naming_the_same_district_keeps_it(dispatcher):
    text = "徐汇区宜山路700弄门口路灯坏了好几天"
    tracker = form_tracker(text, "report_issue", slots={"district": "xuhui"},
                           entities=[entity("location", "徐汇区宜山路700弄门口")],
                           candidates={"issue_location": "徐汇区宜山路700弄门口", "district": "xuhui",
                                       "issue_description": text})
    slots = await validate(tracker, dispatcher)
    assert slots["issue_district"] == "xuhui"


@pytest.mark.parametrize("slots,expected", [
    ({"issue_type": "路灯坏了"}, "streetlight"),
    ({"issue_type": "greenery"}, "greenery"),  # a code
    ({"issue_description": "想举报有人在路边偷排废水，味道很大"}, "pollution"),
    ({"issue_type": "小广告", "issue_description": "电线杆上全是小广告，路灯也不亮"}, "streetlight"),
    ({"issue_description": "K8县丁字街的商户乱摆摊"}, "other"),
])
def test_the_older_issue_type_comes_from_the_words(slots, expected):
    assert legacy_issue_type(make_tracker(slots=slots)) == expected


async def test_location_naming_a_district_fills_the_district(dispatcher):
    tracker = form_tracker("浦东新区张杨路500号门口", requested="issue_location",
                           candidates={"issue_location": "浦东新区张杨路500号门口"})
    slots = await validate(tracker, dispatcher)
    assert slots == {"issue_location": "浦东新区张杨路500号门口", "issue_district": "pudong"}


async def test_location_keeps_a_district_given_in_the_same_message(dispatcher):
    tracker = form_tracker("徐汇，浦东新区张杨路500号", requested="issue_location",
                           candidates={"district": "xuhui", "issue_location": "浦东新区张杨路500号"})
    assert (await validate(tracker, dispatcher))["issue_district"] == "xuhui"


async def test_location_naming_a_district_replaces_an_earlier_one(dispatcher):
    # The district was left from an earlier question (e.g. about a service centre).
    tracker = form_tracker("地址是浦东新区张杨路500号", requested="report_confirmed",
                           candidates={"issue_location": "浦东新区张杨路500号"},
                           slots={**REPORT, "report_confirmed": None})
    assert (await validate(tracker, dispatcher))["issue_district"] == "pudong"


async def test_location_en_without_district(dispatcher):
    tracker = form_tracker("near 500 Zhangyang Road", requested="issue_location",
                           slots={"language": "en"},
                           candidates={"issue_location": "near 500 Zhangyang Road"})
    assert await validate(tracker, dispatcher) == {"issue_location": "near 500 Zhangyang Road"}


@pytest.mark.parametrize("lang, text, span, whole", [
    ("en", "the streetlight outside 100 Caoxi North Road in Xuhui is broken", "Caoxi North Road",
     "100 Caoxi North Road"),
    ("en", "the drain at Xujiahui metro station exit 3 is blocked", "Xujiahui metro station",
     "Xujiahui metro station exit 3"),
    ("zh", "漕溪北路100号门口路灯坏了", "漕溪北路", "漕溪北路100号"),
    ("zh", "徐家汇地铁站3号口积水很深", "徐家汇地铁站", "徐家汇地铁站3号口"),
])
async def test_location_keeps_house_number_and_exit(dispatcher, lang, text, span, whole):
    """The NLU may tag only the road or the station: the place is kept whole."""
    tracker = form_tracker(text, "report_issue", entities=[entity("location", span)],
                           slots={"language": lang}, candidates={"issue_location": span})
    assert (await validate(tracker, dispatcher))["issue_location"] == whole


@pytest.mark.parametrize("lang, text, span, whole", [
    ("en", "change the location to 150 Caoxi North Road", "Caoxi North Road", "150 Caoxi North Road"),
    ("en", "change the location to 150 Caoxi North Road", None, "150 Caoxi North Road"),
    ("zh", "地址改成徐家汇地铁站3号口", "徐家汇地铁站3号口", "徐家汇地铁站3号口"),
    ("zh", "位置不对，是漕溪北路150号", None, "漕溪北路150号"),
])
async def test_location_corrected_at_the_confirmation(dispatcher, lang, text, span, whole):
    """With or without the NLU's entity, the new place replaces the old one and the summary is
    asked again."""
    tracker = form_tracker(text, requested="report_confirmed",
                           entities=[entity("location", span)] if span else None,
                           candidates={"issue_location": span} if span else None,
                           slots={**REPORT, "issue_location": "100 Caoxi North Road",
                                  "report_confirmed": None, "language": lang})
    slots = await validate(tracker, dispatcher)
    assert slots["issue_location"] == whole
    assert slots.get("report_confirmed") is None


async def test_too_short_location_is_asked_again(dispatcher):
    tracker = form_tracker("x", requested="issue_location", candidates={"issue_location": "x"},
                           slots={"language": "en"})
    assert (await validate(tracker, dispatcher))["issue_location"] is None
    assert "where exactly" in texts(dispatcher)[0]


@pytest.mark.parametrize("lang, text, said", [
    ("zh", "13812345678", "这看起来是一个号码，不是地点"),
    ("zh", "+86 138-1234-5678", "这看起来是一个号码，不是地点"),
    ("en", "138 1234 5678", "That looks like a number, not a place"),
    ("en", "310101199001011234", "That looks like a number, not a place"),
])
async def test_a_number_is_not_taken_as_the_place(dispatcher, lang, text, said):
    """A citizen who answers the place question with a phone or ID number is asked again; the
    number is never stored, not even masked, as the place."""
    tracker = form_tracker(text, requested="issue_location", candidates={"issue_location": text},
                           slots={"language": lang})
    assert (await validate(tracker, dispatcher))["issue_location"] is None
    assert said in texts(dispatcher)[0]


async def test_a_place_with_a_number_in_it_is_kept(dispatcher):
    tracker = form_tracker("漕溪北路100号 13812345678", requested="issue_location",
                           candidates={"issue_location": "漕溪北路100号 13812345678"})
    assert (await validate(tracker, dispatcher))["issue_location"] == "漕溪北路100号 138******78"


async def test_unrecognised_district_answer_is_explained(dispatcher):
    tracker = form_tracker("火星区", requested="issue_district")
    assert (await validate(tracker, dispatcher))["issue_district"] is None
    assert "没认出“火星区”" in texts(dispatcher)[0]


async def test_stop_at_the_district_question_is_left_to_the_stop_rule(dispatcher):
    # "算了" must not fill anything, so the form rejects and the stop rule runs.
    tracker = form_tracker("算了", intent="deny", requested="issue_district")
    assert await validate(tracker, dispatcher) == {}
    assert texts(dispatcher) == []


async def test_district_correction_at_the_confirmation(dispatcher):
    tracker = form_tracker("in Xuhui", requested="report_confirmed", candidates={"district": "xuhui"},
                           slots={**REPORT, "issue_district": "pudong", "report_confirmed": None})
    assert (await validate(tracker, dispatcher))["issue_district"] == "xuhui"


async def test_a_question_about_another_districts_centres_leaves_the_report_alone(dispatcher):
    # The context action resolved the question's district into the shared slot; the report
    # keeps its own, and nothing is filled, so a rule answers and the form asks again.
    tracker = form_tracker("what are the office hours of Xuhui centres?", "ask_office_hours",
                           requested="issue_location", entities=[entity("district", "Xuhui")],
                           candidates={"district": "xuhui"},
                           slots={"language": "en", "issue_category": "0102"})
    assert "issue_district" not in await validate(tracker, dispatcher)
    assert texts(dispatcher) == []


async def test_short_description_is_asked_again_and_phones_are_masked(dispatcher):
    short = form_tracker("很吵", requested="issue_description",
                         candidates={"issue_description": "很吵"})
    assert (await validate(short, dispatcher))["issue_description"] is None
    assert "多说几句" in texts(dispatcher)[0]
    text = "工地每天晚上十点以后还在打桩，电话13812345678"
    full = form_tracker(text, requested="issue_description", candidates={"issue_description": text})
    assert (await validate(full, dispatcher))["issue_description"] == \
        "工地每天晚上十点以后还在打桩，电话138******78"


@pytest.mark.parametrize("text,intent,entities,requested", [
    ("how much is a passport", "ask_service_fee", [entity("service", "passport")],
     "issue_location"),
    ("what are the office hours of Xuhui centres?", "ask_office_hours",
     [entity("district", "Xuhui")], "issue_type"),
    ("居住证要带什么材料", "ask_service_requirements", [entity("service", "居住证")],
     "issue_description"),
])
async def test_a_question_naming_its_subject_is_a_digression(text, intent, entities, requested,
                                                             dispatcher):
    # Nothing is filled, so the form rejects and a rule answers the question, then asks again.
    tracker = form_tracker(text, intent=intent, entities=entities, requested=requested,
                           slots={"language": "en"})
    assert await validate(tracker, dispatcher) == {}
    assert texts(dispatcher) == []


@pytest.mark.parametrize("text,intent,requested", [
    ("施工队每天晚上干到两点，要多久才能完工", "ask_processing_time", "issue_description"),
    ("the community centre on my street is always closed during opening hours",
     "ask_office_hours", "issue_description"),
    ("outside the metro exit, how much longer will this take", "ask_processing_time",
     "issue_location"),
])
async def test_a_description_read_as_a_question_is_still_the_answer(text, intent, requested,
                                                                    dispatcher):
    tracker = form_tracker(text, intent=intent, requested=requested)
    assert (await validate(tracker, dispatcher))[requested] == text


def test_forms_leave_questions_out_of_their_free_text_answers():
    partners = yaml.safe_load((ROOT / "bot/domain/partners.yml").read_text(encoding="utf-8"))
    for domain in (DOMAIN, partners):
        for name, slot in domain["slots"].items():
            for mapping in slot["mappings"]:
                if mapping["type"] == "from_text" and "not_intent" in mapping:
                    assert set(QUESTION_INTENTS) <= set(mapping["not_intent"]), name


# -- report_issue_form: questions ----------------------------------------------------------------

@pytest.mark.parametrize("lang,expected", [("zh", "事情发生在哪里"), ("en", "Where did it happen")])
async def test_location_question(lang, expected, dispatcher):
    assert expected in render_response("utter_ask_report_issue_form_issue_location", {"language": lang})


@pytest.mark.parametrize("lang,expected", [("zh", "发生了什么"), ("en", "what is happening")])
async def test_description_question(lang, expected, dispatcher):
    assert expected in render_response("utter_ask_report_issue_form_issue_description",
                                       {"language": lang})


async def test_district_question_has_the_districts_as_buttons(dispatcher):
    await ActionAskDistrict().run(dispatcher, make_tracker(slots={"language": "en"}), DOMAIN)
    assert texts(dispatcher)[0] == "Which district is that in?"
    assert {"title": "Pudong New Area", "payload": '/inform{"district": "pudong"}'} in buttons(dispatcher)
    assert len(buttons(dispatcher)) == 16


@pytest.mark.parametrize("lang,expected", [
    ("zh", ["反映的投诉", "类别：城乡建设 › 城市建设和市政管理", "区：徐汇区", "位置：宜山路700弄门口",
            "确认提交吗"]),
    ("en", ["your complaint", "Category: Urban and rural construction › City construction",
            "District: Xuhui District", "Shall I submit it?"]),
])
async def test_confirmation_summary(lang, expected, dispatcher):
    options = {"predicted": True, "items": [CATEGORY_EN if lang == "en" else CATEGORY]}
    tracker = make_tracker(slots={**REPORT, "report_confirmed": None, "language": lang,
                                  "category_options": options})
    await ActionAskReportConfirmed().run(dispatcher, tracker, DOMAIN)
    [text] = texts(dispatcher)
    for part in expected:
        assert part in text
    assert [b["payload"] for b in buttons(dispatcher)] == ["/affirm", "/deny"]


# -- submitting and following up -----------------------------------------------------------------

async def test_submit_zh_then_follow_the_ticket(dispatcher):
    events = await ActionSubmitReportIssue().run(
        dispatcher, make_tracker("对", "affirm", slots={**REPORT, "language": "zh"}), DOMAIN)
    [text] = texts(dispatcher)
    number = TICKET.search(text)[0]
    assert "已提交" in text and "已受理" in text
    assert "我们将在3个工作日内" in text and "查询工单" in text
    slots = slot_events(events)
    assert slots["last_ticket_no"] == number
    assert all(slots[s] is None for s in ("issue_type", "issue_location", "issue_description",
                                          "report_confirmed", "issue_category", "ticket_type",
                                          "category_options"))

    followed = make_tracker(f"查一下工单{number}", "check_ticket_status",
                            slots={"ticket_no": number, "language": "zh"})
    events = await ActionCheckTicketStatus().run(dispatcher, followed, DOMAIN)
    status = texts(dispatcher)[-1]
    assert f"工单 {number}（路灯故障，徐汇区）当前状态：已受理" in status
    assert "12345热线已受理您的诉求" in status
    assert slot_events(events) == {"ticket_no": None}


async def test_submit_en(dispatcher):
    tracker = make_tracker("yes", "affirm", slots={
        **REPORT, "issue_type": "flooded", "issue_location": "Hutai Road underpass",
        "issue_description": "The underpass floods after every rain", "language": "en"})
    await ActionSubmitReportIssue().run(dispatcher, tracker, DOMAIN)
    [text] = texts(dispatcher)
    assert text.startswith("Submitted! Your 12345 ticket number is 12345-")
    # The response time of the category (城市建设和市政管理: 3 working days).
    assert "We will respond within 3 working days" in text and "status of ticket" in text


async def test_submit_with_missing_details_files_nothing(dispatcher):
    tracker = make_tracker("yes", "affirm", slots={**REPORT, "issue_location": None, "language": "en"})
    events = await ActionSubmitReportIssue().run(dispatcher, tracker, DOMAIN)
    assert "nothing was submitted" in texts(dispatcher)[0]
    assert "last_ticket_no" not in slot_events(events)


async def test_submit_refused_by_the_data_service(dispatcher):
    tracker = make_tracker("对", "affirm", slots={**REPORT, "issue_district": "atlantis"})
    events = await ActionSubmitReportIssue().run(dispatcher, tracker, DOMAIN)
    assert "没有提交成功" in texts(dispatcher)[0] and "12345" in texts(dispatcher)[0]
    assert slot_events(events)["report_confirmed"] is None


async def test_submit_outage(down_client, dispatcher):
    events = await ActionSubmitReportIssue().run(
        dispatcher, make_tracker("对", "affirm", slots=REPORT), DOMAIN)
    assert "12345" in texts(dispatcher)[0] and "稍后再试" in texts(dispatcher)[0]
    slots = slot_events(events)
    assert slots["report_confirmed"] is None and "last_ticket_no" not in slots


async def test_reset_after_stopping(dispatcher):
    events = await ActionResetReportIssueForm().run(dispatcher, make_tracker(slots=REPORT), DOMAIN)
    assert slot_events(events) == {slot: None for slot in REPORT_SLOTS}
    assert {"issue_category", "category_options", "ticket_type"} <= set(REPORT_SLOTS)


@pytest.mark.parametrize("lang,expected", [
    ("zh", ["（路灯故障，杨浦区）当前状态：处理中", "经排查为电缆故障"]),
    ("en", ["(Broken streetlight, Yangpu District) is now: In progress", "A cable fault was found"]),
])
async def test_status_of_a_ticket_in_progress(lang, expected, dispatcher):
    tracker = make_tracker(SEEDED_IN_PROGRESS, slots={"ticket_no": SEEDED_IN_PROGRESS, "language": lang})
    await ActionCheckTicketStatus().run(dispatcher, tracker, DOMAIN)
    [text] = texts(dispatcher)
    for part in expected:
        assert part in text


async def test_status_of_a_resolved_ticket(dispatcher):
    tracker = make_tracker(SEEDED_RESOLVED, slots={"ticket_no": SEEDED_RESOLVED, "language": "en"})
    await ActionCheckTicketStatus().run(dispatcher, tracker, DOMAIN)
    [text] = texts(dispatcher)
    assert "is now: Resolved" in text and "the citizen confirmed on a follow-up call" in text
    assert "not satisfied" in text


@pytest.mark.parametrize("lang,expected", [("zh", "没有找到工单号 12345-20260101-ABCDEF"),
                                           ("en", "couldn't find a ticket with the number 12345-20260101-ABCDEF")])
async def test_unknown_ticket(lang, expected, dispatcher):
    tracker = make_tracker(slots={"ticket_no": "12345-20260101-ABCDEF", "language": lang})
    events = await ActionCheckTicketStatus().run(dispatcher, tracker, DOMAIN)
    assert expected in texts(dispatcher)[0]
    assert slot_events(events) == {"ticket_no": None}


async def test_status_outage(down_client, dispatcher):
    tracker = make_tracker(slots={"ticket_no": SEEDED_IN_PROGRESS, "language": "en"})
    events = await ActionCheckTicketStatus().run(dispatcher, tracker, DOMAIN)
    assert "12345 citizen hotline" in texts(dispatcher)[0]
    assert slot_events(events) == {"ticket_no": None}


# -- ticket_status_form ---------------------------------------------------------------------------

async def test_ticket_number_in_free_text_is_normalised(dispatcher):
    tracker = form_tracker("my number is 12345-20261118-w4tz6r", requested="ticket_no",
                           candidates={"ticket_no": "my number is 12345-20261118-w4tz6r"},
                           form="ticket_status_form")
    slots = await validate(tracker, dispatcher, ValidateTicketStatusForm)
    assert slots == {"ticket_no": SEEDED_IN_PROGRESS}


async def test_not_a_ticket_number(dispatcher):
    tracker = form_tracker("123456", requested="ticket_no", candidates={"ticket_no": "123456"},
                           form="ticket_status_form", slots={"language": "en"})
    assert (await validate(tracker, dispatcher, ValidateTicketStatusForm))["ticket_no"] is None
    assert "looks like 12345-20261128-7K3QXM" in texts(dispatcher)[0]


async def test_ticket_question_offers_the_ticket_just_filed(dispatcher):
    tracker = make_tracker(slots={"last_ticket_no": "12345-20261128-7K3QXM", "language": "zh"})
    await ActionAskTicketNo().run(dispatcher, tracker, DOMAIN)
    assert "工单号" in texts(dispatcher)[0]
    assert buttons(dispatcher) == [{"title": "刚才提交的 12345-20261128-7K3QXM",
                                    "payload": '/inform{"ticket_no": "12345-20261128-7K3QXM"}'}]


async def test_entity_mapping_of_the_report(dispatcher):
    # The form's activation with an entity for the location and one for the issue (en).
    text = "the streetlight is broken at Caoxi North Road and Nandan Road"
    tracker = form_tracker(text, "report_issue", slots={"language": "en"},
                           entities=[entity("issue_type", "streetlight is broken"),
                                     entity("location", "Caoxi North Road and Nandan Road")],
                           candidates={"issue_type": "streetlight is broken",
                                       "issue_location": "Caoxi North Road and Nandan Road",
                                       "issue_description": text})
    slots = await validate(tracker, dispatcher)
    assert slots["issue_location"] == "Caoxi North Road and Nandan Road"
    assert slots["issue_description"] == text

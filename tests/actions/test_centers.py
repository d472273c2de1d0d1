"""Service centres and office hours against the real data service: listing by district / service /
kind of centre, holiday-aware hours (statutory holiday, weekend, make-up working day, no calendar
yet), holidays named instead of dates (any year, read by the data service), center_form's district
question and its skip, an outage."""
from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk import Tracker

from actions import dates
from actions.center_wording import day_label
from actions.centers import (ActionAnswerCenterQuestion, ActionAskCenterFormDistrict,
                             ActionShowMoreCenters, ValidateCenterForm)
from tests.actions.conftest import after_form, entity, make_tracker, slot_events, texts

pytestmark = pytest.mark.asyncio
DOMAIN = {"forms": {"center_form": {"required_slots": ["district"]}}}
PUDONG_COMMUNITY = 6  # community affairs centres of Pudong in the seed data


# The questions below name fixed days (Saturday 5 December 2026 ...), and how a reply labels a day
# ("明天", the year) depends on today: the assistant's clock is fixed so the suite passes on any date.
FIXED_TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(dates, "today", lambda: FIXED_TODAY)


async def answer(tracker, dispatcher):
    """The answer once center_form has what it needs (the context set by then)."""
    return await ActionAnswerCenterQuestion().run(dispatcher, after_form(tracker, "center_form"),
                                                  DOMAIN)


def conversation(turns: list[tuple], slots: dict | None = None,
                 active_loop: str | None = None) -> Tracker:
    """A tracker whose history holds several user messages (question, then form answers);
    a turn is (text, intent, entities) or (text, intent, entities, {slot: value set that turn})."""
    events: list[dict] = []
    latest: dict = {}
    for text, intent, entities, *sets in turns:
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities}
        events.append({"event": "user", "text": text, "parse_data": latest})
        events += [{"event": "slot", "name": k, "value": v} for k, v in (sets[0] if sets else {}).items()]
        events.append({"event": "action", "name": "center_form"})
    return Tracker("test-user", dict(slots or {}), latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def hours_question(text: str, day: str, slots: dict, span: str = "周六", lang: str = "zh"):
    return make_tracker(text, intent="ask_office_hours",
                        entities=[entity("district", "浦东"), entity("date", span)],
                        slots={"district": "pudong", "date": day, "language": lang, **slots})


# -- finding centres ---------------------------------------------------------------------------

async def test_find_in_a_district_lists_three_with_address_phone_and_hours(dispatcher):
    tracker = make_tracker("浦东有哪些办事大厅", intent="find_service_center",
                           entities=[entity("district", "浦东")], slots={"district": "pudong"})
    events = await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("浦东新区的受理中心共 14 个：")
    assert text.count("地址：") == 3 and text.count("电话：021-") == 3
    assert text.count("   今天：") == 3 and text.count("平时：") == 3
    assert "另有 11 个中心未列出。" in text and "“浦东新区哪里能办居住证”" in text
    assert slot_events(events)["date"] is None  # a date belongs to one question


async def test_find_by_district_and_service_en(dispatcher):
    tracker = make_tracker("which center in Pudong handles the residence permit",
                           intent="find_service_center",
                           entities=[entity("district", "Pudong"), entity("service", "residence permit")],
                           slots={"district": "pudong", "service": "residence_permit", "language": "en"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("Service centres for Shanghai Residence Permit in Pudong New Area: 6 in all.")
    assert "Address: " in text and "Phone: 021-" in text and "Usual hours: Mon–Fri" in text
    assert "3 more not listed." in text and "narrow it down" not in text


async def test_kind_of_centre_narrows_the_list(dispatcher):
    tracker = make_tracker("浦东的社区事务受理中心在哪", intent="find_service_center",
                           entities=[entity("district", "浦东")], slots={"district": "pudong"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith(f"浦东新区的社区事务受理服务中心共 {PUDONG_COMMUNITY} 个：")
    names = [line for line in text.splitlines() if line[:1].isdigit()]
    assert len(names) == 3 and all("社区事务受理服务中心" in n for n in names)


async def test_service_absent_from_the_district_falls_back_to_the_city(dispatcher):
    tracker = make_tracker("崇明哪里办护照", intent="find_service_center",
                           entities=[entity("district", "崇明"), entity("service", "护照")],
                           slots={"district": "chongming", "service": "passport"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("崇明区没有能办理「普通护照」的中心，全市可以办理的地点如下。")
    assert "全市能办理「普通护照」的受理中心共 2 个" in text
    assert "出入境" in text and "民生路1500号" in text


async def test_service_without_district_lists_the_city(dispatcher):
    """center_form skipped the district: a passport is handled at two halls in the whole city."""
    tracker = make_tracker("where do I go to apply for a passport", intent="find_service_center",
                           entities=[entity("service", "passport")],
                           slots={"service": "passport", "language": "en"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("Service centres for Ordinary Passport in Shanghai: 2 in all.")
    assert "Exit-Entry" in text and "more not listed" not in text


async def test_district_answered_in_the_form_answers_the_original_question(dispatcher):
    tracker = conversation([("附近有没有办事大厅", "find_service_center", []),
                            ("徐汇", "inform", [entity("district", "徐汇")])],
                           slots={"district": "xuhui", "requested_slot": None})
    await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("徐汇区的受理中心共 5 个：")


async def test_without_district_or_service_it_asks_for_the_district(dispatcher):
    tracker = make_tracker("办事大厅在哪", intent="find_service_center")
    await answer(tracker, dispatcher)
    assert "请问您在哪个区" in texts(dispatcher)[0]


async def test_nothing_found(dispatcher):
    tracker = make_tracker("centre", intent="find_service_center",
                           slots={"district": "atlantis", "language": "en"})
    await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("Sorry, I couldn't find a matching service centre.")
    assert "12345" in texts(dispatcher)[0]


async def test_find_shows_the_day_asked_about(dispatcher):
    tracker = make_tracker("浦东出入境 2026-12-06 开吗", intent="find_service_center",
                           entities=[entity("district", "浦东"), entity("date", "2026-12-06")],
                           slots={"district": "pudong", "date": "2026-12-06"})
    events = await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "12月6日（周日）：休息（周末）" in text
    assert slot_events(events)["date"] is None  # a date belongs to one question


async def test_service_from_a_digression_does_not_narrow_the_question(dispatcher):
    """Asked for a centre, then the passport fee in between: still all centres of the district."""
    tracker = conversation([("附近有没有办事大厅", "find_service_center", [], {"service": None}),
                            ("护照多少钱", "ask_service_fee", [entity("service", "护照")],
                             {"service": "passport"}),
                            ("浦东", "inform", [entity("district", "浦东")], {"district": "pudong"})],
                           slots={"service": "passport", "district": "pudong"})
    await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("浦东新区的受理中心共 14 个：")


async def test_service_asked_before_narrows_the_follow_up(dispatcher):
    """'护照要什么材料' then '浦东哪里办': the passport hall of Pudong."""
    tracker = conversation([("护照要什么材料", "ask_service_requirements", [entity("service", "护照")],
                             {"service": "passport"}),
                            ("浦东哪里办", "find_service_center", [entity("district", "浦东")],
                             {"district": "pudong"})],
                           slots={"service": "passport", "district": "pudong"})
    await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("浦东新区能办理「普通护照」的受理中心共 1 个：")


# -- the rest of a cut list --------------------------------------------------------------------

async def show_more(listing: dict | None, dispatcher, lang: str = "zh") -> dict:
    tracker = make_tracker("显示更多" if lang == "zh" else "show more", intent="show_more",
                           slots={"center_list": listing, "language": lang})
    return slot_events(await ActionShowMoreCenters().run(dispatcher, tracker, DOMAIN))


async def test_a_cut_list_offers_the_rest_and_shows_it_page_by_page(dispatcher):
    tracker = make_tracker("浦东有哪些办事大厅", intent="find_service_center",
                           entities=[entity("district", "浦东")], slots={"district": "pudong"})
    listing = slot_events(await answer(tracker, dispatcher))["center_list"]
    assert dispatcher.messages[0]["buttons"] == [{"title": "显示其余 11 个", "payload": "/show_more"}]
    assert listing["shown"] == 3

    listing = (await show_more(listing, dispatcher))["center_list"]
    text = texts(dispatcher)[1]
    assert text.startswith("浦东新区的受理中心（续，共 14 个）：\n4. ")
    assert [line[:2] for line in text.splitlines() if line[:1].isdigit()] == ["4.", "5.", "6."]
    assert "另有 8 个中心未列出。" in text and "可以问得更具体些" not in text
    assert dispatcher.messages[1]["buttons"][0]["title"] == "显示其余 8 个"
    assert listing["shown"] == 6

    for _ in range(3):  # 7–9, 10–12, 13–14: the last page offers nothing more
        slots = await show_more(listing, dispatcher)
        listing = slots["center_list"]
    assert listing is None and dispatcher.messages[-1]["buttons"] == []
    assert "14. " in texts(dispatcher)[-1] and "未列出" not in texts(dispatcher)[-1]


async def test_the_rest_of_an_office_hours_answer_en(dispatcher):
    tracker = hours_question("is the Pudong community affairs center open on Saturday", "2026-12-05",
                             {}, span="Saturday", lang="en")
    listing = slot_events(await answer(tracker, dispatcher))["center_list"]
    assert dispatcher.messages[0]["buttons"] == [{"title": "Show the other 2", "payload": "/show_more"}]
    slots = await show_more(listing, dispatcher, "en")
    text = texts(dispatcher)[1]
    assert text.startswith("On Saturday 5 December, community affairs centres in Pudong New Area (continued):")
    assert [line.endswith("closed (weekend)") for line in text.splitlines() if line.startswith("- ")] == [True, True]
    assert slots == {"center_list": None}


async def test_nothing_to_continue(dispatcher):
    assert await show_more(None, dispatcher) == {"center_list": None}
    assert texts(dispatcher)[0].startswith("没有更多可以显示的了。")


# -- office hours ------------------------------------------------------------------------------

async def test_pudong_community_centres_on_saturday(dispatcher):
    """'浦东的社区事务受理中心周六开门吗': the next Saturday, community centres only."""
    saturday = dates.parse("周六")
    tracker = hours_question("浦东的社区事务受理中心周六开门吗", saturday.isoformat(), {})
    events = await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert day_label(saturday, "zh") in text and "周六" in text
    assert f"浦东新区的社区事务受理服务中心共 {PUDONG_COMMUNITY} 个" in text or "都不开门" in text
    assert all("社区事务受理服务中心" in line for line in text.splitlines() if line.startswith("- "))
    assert slot_events(events)["date"] is None  # a date belongs to one question


async def test_regular_saturday_open_first_with_ranges(dispatcher):
    tracker = hours_question("浦东的社区事务受理中心周六开门吗", "2026-12-05", {})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith(f"12月5日（周六），浦东新区的社区事务受理服务中心共 {PUDONG_COMMUNITY} 个，其中 3 个开门：")
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert all(line.endswith("09:00–12:00") for line in lines[:3])
    assert lines[3].endswith("休息（周末）")
    assert "另有 2 个中心未列出（当天都不开门）。" in text


async def test_regular_saturday_en(dispatcher):
    tracker = hours_question("is the Pudong community affairs center open on Saturday", "2026-12-05",
                             {}, span="Saturday", lang="en")
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("On Saturday 5 December, 3 of the 6 community affairs centres in Pudong "
                           "New Area are open:")
    assert "closed (weekend)" in text and "2 more not listed (all closed that day)." in text


@pytest.mark.parametrize("lang,phrases", [
    ("zh", ["{day}，浦东新区的社区事务受理服务中心（共 6 个）都不开门：休息（国庆节）。",
            "平时办公时间：周一至周五", "{day}是国庆节法定节假日。"]),
    ("en", ["On {day}, none of the 6 community affairs centres in Pudong New Area are open: "
            "closed (National Day).", "{day} is a statutory public holiday (National Day)."])])
async def test_statutory_holiday(lang, phrases, dispatcher):
    tracker = hours_question("浦东社区事务受理中心10月1日开门吗", "2026-10-01", {}, span="10月1日",
                             lang=lang)
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    day = day_label(date(2026, 10, 1), lang)  # "10月1日（周四）" / "Thursday 1 October" (+ year)
    for phrase in phrases:
        assert phrase.format(day=day) in text


async def test_today_in_english(dispatcher):
    tracker = hours_question("is the Pudong community affairs centre open today", dates.today().isoformat(),
                             {}, span="today", lang="en")
    await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("Today (")


async def test_makeup_working_day(dispatcher):
    tracker = hours_question("浦东社区事务受理中心10月10日上班吗", "2026-10-10", {}, span="10月10日")
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "共 6 个，都开门：" in text
    assert "调休工作日，按工作日时间办公。" in text and "国庆节" in text
    assert "13:30–17:00" in text


async def test_year_without_official_calendar_says_so(dispatcher):
    tracker = hours_question("浦东社区事务受理中心2027年3月3日开门吗", "2027-03-03", {},
                             span="2027年3月3日")
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "都开门" in text and "尚未公布" in text


async def test_holiday_named_instead_of_a_date(dispatcher):
    """'国庆节开门吗': the date parser leaves `date` empty; the action finds the next National Day."""
    tracker = make_tracker("国庆节浦东社区事务受理中心开不开", intent="ask_office_hours",
                           entities=[entity("district", "浦东"), entity("date", "国庆节")],
                           slots={"district": "pudong", "date": "2026-12-05"})  # an old date
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert "国庆节" in text and "休息" in text and "10月1日" in text


def holiday_question(text: str, span: str, lang: str = "zh"):
    return make_tracker(text, intent="ask_office_hours",
                        entities=[entity("district", "浦东"), entity("date", span)],
                        slots={"district": "pudong", "language": lang})


@pytest.mark.parametrize("today, text, span, lang, phrases", [
    # Lunar holidays in years past any table the assistant ever kept: the data service computes them.
    (date(2030, 11, 1), "过年浦东社区事务受理中心开门吗", "过年", "zh",
     ["2031年1月23日（周四）是春节，属于法定节假日", "尚未公布"]),
    (date(2030, 11, 1), "is the pudong community centre open at chinese new year", "chinese new year",
     "en", ["Thursday 23 January 2031 is Spring Festival, a statutory public holiday",
            "not published yet"]),
    (date(2029, 1, 10), "端午节浦东社区事务受理中心开不开", "端午节", "zh",
     ["6月16日（周六）是端午节"]),
    (date(2030, 1, 10), "is the pudong community centre open on mid-autumn festival", "mid-autumn festival",
     "en", ["Thursday 12 September is Mid-Autumn Festival"]),
])
async def test_a_holiday_of_any_year_is_found_by_the_data_service(today, text, span, lang, phrases,
                                                                  monkeypatch, dispatcher):
    monkeypatch.setattr(dates, "today", lambda: today)
    await answer(holiday_question(text, span, lang), dispatcher)
    [reply] = texts(dispatcher)
    for phrase in phrases:
        assert phrase in reply


async def test_during_the_days_off_a_named_holiday_means_today(monkeypatch, dispatcher):
    """Asked on 3 October 2026, "十一" is this National Day break (1-7 October), not next year's."""
    monkeypatch.setattr(dates, "today", lambda: date(2026, 10, 3))
    await answer(holiday_question("十一浦东社区事务受理中心开门吗", "十一"), dispatcher)
    [reply] = texts(dispatcher)
    assert reply.startswith("今天 10月3日（周六），") and "休息（国庆节）" in reply


async def test_a_span_that_names_no_holiday_is_today(dispatcher):
    await answer(holiday_question("圣诞节浦东社区事务受理中心开门吗", "圣诞节"), dispatcher)
    assert texts(dispatcher)[0].startswith("今天")


@pytest.mark.parametrize("lang,phrase", [("zh", "系统暂时无法查询"), ("en", "can't look that up")])
async def test_a_holiday_asked_during_an_outage_is_a_polite_reply(down_client, lang, phrase, dispatcher):
    assert await answer(holiday_question("国庆节浦东中心开门吗", "国庆节", lang), dispatcher) == []
    assert phrase in texts(dispatcher)[0]


@pytest.mark.parametrize("text,lang", [("浦东的社区事务受理中心周六开门吗", "zh"),
                                       ("is the pudong community centre open on saturday", "en")])
async def test_a_day_the_model_missed_is_read_from_the_question(text, lang, dispatcher):
    """No date entity (the model missed it), no date slot: still the Saturday asked about."""
    saturday = dates.parse("周六")
    tracker = make_tracker(text, intent="ask_office_hours", entities=[entity("district", "浦东")],
                           slots={"district": "pudong", "language": lang})
    await answer(tracker, dispatcher)
    assert day_label(saturday, lang) in texts(dispatcher)[0]

async def test_stale_date_is_not_used(dispatcher):
    """A date left in the slot by an earlier question does not answer a question without one."""
    tracker = make_tracker("浦东社区事务受理中心几点开门", intent="ask_office_hours",
                           entities=[entity("district", "浦东")],
                           slots={"district": "pudong", "date": "2026-10-01"})
    events = await answer(tracker, dispatcher)
    assert texts(dispatcher)[0].startswith("今天")
    assert slot_events(events)["date"] is None  # a date belongs to one question


async def test_hours_after_the_district_was_asked(dispatcher):
    tracker = conversation([("周日办事大厅开门吗", "ask_office_hours", [entity("date", "周日")]),
                            ("静安", "inform", [entity("district", "静安")])],
                           slots={"district": "jingan", "date": "2026-12-06"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("12月6日（周日），静安区的受理中心（共 5 个）都不开门：休息（周末）。")


async def test_stale_service_ignored_when_a_kind_of_centre_is_named(dispatcher):
    tracker = hours_question("浦东的社区事务受理中心周六开门吗", "2026-12-05", {"service": "passport"})
    await answer(tracker, dispatcher)
    assert f"社区事务受理服务中心共 {PUDONG_COMMUNITY} 个" in texts(dispatcher)[0]


async def test_service_hours_name_the_service(dispatcher):
    tracker = make_tracker("护照大厅周六开门吗", intent="ask_office_hours",
                           entities=[entity("service", "护照"), entity("date", "周六")],
                           slots={"service": "passport", "date": "2026-12-05"})
    await answer(tracker, dispatcher)
    [text] = texts(dispatcher)
    assert text.startswith("12月5日（周六），全市能办理「普通护照」的受理中心共 2 个，都开门：")
    assert "09:00–17:00" in text and "09:00–12:00" in text


# -- center_form -------------------------------------------------------------------------------

async def test_ask_district_offers_common_districts(dispatcher):
    tracker = make_tracker("办事大厅在哪", intent="find_service_center",
                           slots={"requested_slot": "district"}, active_loop="center_form")
    await ActionAskCenterFormDistrict().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["text"].startswith("请问您在哪个区？")
    assert message["buttons"][0] == {"title": "浦东新区", "payload": '/inform{"district": "pudong"}'}
    assert len(message["buttons"]) == 6


async def test_ask_district_offers_districts_handling_the_service_en(dispatcher):
    tracker = make_tracker("where is the marriage registry", intent="find_service_center",
                           slots={"service": "marriage_registration", "language": "en"})
    await ActionAskCenterFormDistrict().run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["text"].startswith("Which district are you in?")
    assert [b["title"] for b in message["buttons"]] == [
        "Chongming District", "Jing'an District", "Minhang District", "Pudong New Area"]


@pytest.mark.parametrize("intent,entities,answered_by,prefix", [
    ("inform", [entity("district", "火星区")], None, ""),  # the form's hint said it (below)
    ("nlu_fallback", [], None, ""),
    ("ask_service_fee", [], "action_answer_service_question", "回到刚才的问题："),
    ("ask_office_hours", [], "action_extract_context", "")])
async def test_ask_district_again(intent, entities, answered_by, prefix, dispatcher):
    tracker = make_tracker("火星区", intent=intent, entities=entities,
                           slots={"requested_slot": "district"}, active_loop="center_form")
    if answered_by:  # a rule ran this action before the form asks again
        tracker.events.append({"event": "action", "name": answered_by})
    await ActionAskCenterFormDistrict().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher)[0].startswith(prefix + "请问您在哪个区？")


@pytest.mark.parametrize("lang,text,hint", [("zh", "火星区", "抱歉，没有找到这个区。"),
                                            ("en", "Springfield", "Sorry, I couldn't find that district.")])
async def test_a_district_answer_not_placed_gets_the_hint_and_the_question_again(
        lang, text, hint, dispatcher):
    tracker = make_tracker(text, entities=[entity("district", text)], active_loop="center_form",
                           slots={"requested_slot": "district", "language": lang})
    events = await ValidateCenterForm().run(dispatcher, tracker, DOMAIN)
    assert texts(dispatcher) == [hint]
    assert slot_events(events) == {"district": None}  # asked again, not a rejected form


async def test_ask_district_during_an_outage_still_asks(down_client, dispatcher):
    tracker = make_tracker("where is the centre", intent="find_service_center",
                           slots={"language": "en"})
    await ActionAskCenterFormDistrict().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["text"].startswith("Which district are you in?")
    assert not dispatcher.messages[0].get("buttons")


@pytest.mark.parametrize("slots,text,entities,required", [
    ({"service": "passport"}, "办护照去哪里", [entity("service", "护照")], []),
    ({"service": "residence_permit"}, "居住证去哪里办", [entity("service", "居住证")], ["district"]),
    ({}, "办事大厅在哪", [], ["district"]),
    ({"service": "passport", "district": "pudong"}, "浦东哪里办护照", [entity("service", "护照")],
     ["district"]),
    # A kind of centre named without a service: the old service is not used, so ask the district.
    ({"service": "passport"}, "社区事务受理中心在哪", [], ["district"]),
])
async def test_validate_center_form_required_slots(slots, text, entities, required, dispatcher):
    tracker = make_tracker(text, intent="find_service_center", entities=entities, slots=slots)
    found = await ValidateCenterForm().required_slots(["district"], dispatcher, tracker, DOMAIN)
    assert found == required


async def test_validate_center_form_ignores_a_service_from_a_digression(dispatcher):
    tracker = conversation([("附近有没有办事大厅", "find_service_center", []),
                            ("护照多少钱", "ask_service_fee", [entity("service", "护照")],
                             {"service": "passport"})],
                           slots={"service": "passport"}, active_loop="center_form")
    assert await ValidateCenterForm().required_slots(["district"], dispatcher, tracker,
                                                     DOMAIN) == ["district"]


async def test_validate_center_form_ends_the_form_for_a_rare_service(dispatcher):
    tracker = make_tracker("办护照去哪里", intent="find_service_center",
                           entities=[entity("service", "护照")], slots={"service": "passport"},
                           active_loop="center_form")
    events = await ValidateCenterForm().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {"requested_slot": None}


async def test_validate_center_form_during_an_outage_asks_the_district(down_client, dispatcher):
    tracker = make_tracker("办护照去哪里", intent="find_service_center",
                           entities=[entity("service", "护照")], slots={"service": "passport"})
    assert await ValidateCenterForm().required_slots(["district"], dispatcher, tracker,
                                                     DOMAIN) == ["district"]


# -- outage ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,phrase", [("zh", "系统暂时无法查询"), ("en", "can't look that up")])
@pytest.mark.parametrize("intent", ["find_service_center", "ask_office_hours"])
async def test_outage_is_a_polite_reply_with_12345(down_client, intent, lang, phrase, dispatcher):
    tracker = make_tracker("浦东中心", intent=intent, entities=[entity("district", "浦东")],
                           slots={"district": "pudong", "language": lang})
    assert await answer(tracker, dispatcher) == []
    [text] = texts(dispatcher)
    assert phrase in text and "12345" in text


# -- the whole turn in one call ----------------------------------------------------------------

async def test_a_centre_question_outside_a_form_is_answered_with_its_own_context(dispatcher):
    tracker = make_tracker("浦东的社区事务受理中心周六开门吗", intent="ask_office_hours",
                           entities=[entity("district", "浦东"), entity("date", "周六")])
    events = await ActionAnswerCenterQuestion().run(dispatcher, tracker, DOMAIN)
    slots = slot_events(events)
    assert slots["district"] == "pudong" and slots["date"] is None  # the date is used, then dropped
    assert "context_missing" not in slots
    assert texts(dispatcher)[0].startswith("12月5日（周六）")


async def test_a_centre_question_without_a_district_hands_over_to_the_form(dispatcher):
    tracker = make_tracker("办事大厅在哪", intent="find_service_center")
    events = await ActionAnswerCenterQuestion().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events) == {"context_missing": "district"}
    assert dispatcher.messages == []  # center_form asks for the district


async def test_a_service_at_few_centres_needs_no_district_even_in_one_call(dispatcher):
    tracker = make_tracker("where do I renew my passport", intent="find_service_center",
                           entities=[entity("service", "passport")], slots={"language": "en"})
    events = await ActionAnswerCenterQuestion().run(dispatcher, tracker, DOMAIN)
    assert slot_events(events)["service"] == "passport"
    assert "exit-entry" in texts(dispatcher)[0].lower()

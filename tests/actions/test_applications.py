"""application_status_form and action_check_application_status against the REAL data service.

Seeded applications (dataservice/seed/data/applications.yaml): SH2026111200086 is a passport under
review (phone ending 8843), SH2026110500123 an ID card ready for collection (ending 5590).
The data service locks a number after 5 failed attempts: each test uses its own numbers.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker

from actions import dates
from tests.actions.conftest import entity
from tests.actions.test_appointments import Conversation, run_action, slot_values

pytestmark = pytest.mark.asyncio


SAMPLE = yaml.safe_load((Path(__file__).resolve().parents[2] / "dataservice" / "seed" / "data"
                         / "applications.yaml").read_text("utf-8"))


def seeded(iso: str) -> datetime:
    """A sample date as the data service seeded it: moved by whole weeks to before today (the same
    rule as dataservice/seed/applications.py, which this environment cannot import)."""
    written = date.fromisoformat(SAMPLE["written_as_of"])
    weeks = (dates.today() - written - timedelta(days=1)).days // 7
    return datetime.fromisoformat(iso) + timedelta(weeks=weeks)


def conversation(lang: str) -> Conversation:
    return Conversation(sender=f"app-{uuid.uuid4().hex[:8]}", lang=lang)


async def test_status_in_one_message_zh():
    conv = conversation("zh")
    await conv.say("查一下SH2026111200086的进度，手机尾号8843", "check_application_status",
                   [entity("application_no", "SH2026111200086"), entity("phone_last4", "8843")])
    answer = conv.texts[-1]
    latest, expected = seeded("2026-11-13T09:30:00+08:00"), seeded("2026-12-07T17:00:00+08:00")
    for part in ("受理编号 SH2026111200086（普通护照）", "当前状态：审核中",
                 f"最新进展（{latest.month}月{latest.day}日 09:30）：出入境管理部门审核中。",
                 f"预计办结：{expected.month}月{expected.day}日（周一）",
                 "受理地点：上海市公安局徐汇分局出入境接待大厅",
                 "说明：申请正在审核"):
        assert part in answer, part
    # The digits are cleared after use: the next lookup asks again.
    assert conv.slots["phone_last4"] is None and conv.slots["application_no"] is None
    assert conv.active is None
    await conv.say("再查一下进度", "check_application_status")
    assert conv.slots["requested_slot"] == "application_no"


async def test_status_asked_step_by_step_en():
    conv = conversation("en")
    await conv.say("check my application status", "check_application_status")
    assert conv.slots["requested_slot"] == "application_no"
    assert "SH followed by 13 digits" in conv.texts[-1]
    await conv.say("it's sh 2026 1105 00123")  # no entity from the NLU: found in the text
    assert conv.slots["application_no"] == "SH2026110500123"
    assert "last 4 digits" in conv.texts[-1]
    await conv.say("5590")
    answer = conv.texts[-1]
    for part in ("Application SH2026110500123 (Resident ID Card)", "Status: Ready for collection",
                 "The card has arrived at the service point and can be collected.",
                 "Expected completion:", "Huangpu", "Note: Your new ID card is ready."):
        assert part in answer, part
    assert "周" not in answer  # all English


async def test_completed_application_has_no_expected_date():
    conv = conversation("en")
    await conv.say("status of SH2026102800417 last four 3306", "check_application_status",
                   [entity("application_no", "SH2026102800417"), entity("phone_last4", "3306")])
    assert "Status: Completed" in conv.texts[-1] and "Expected completion" not in conv.texts[-1]


async def test_wrong_digits_and_unknown_number_get_one_neutral_answer():
    answers = []
    for number, digits in (("SH2026111800231", "0000"), ("SH2026010100999", "5521")):
        conv = conversation("zh")
        await conv.say(f"{number} 进度", "check_application_status",
                       [entity("application_no", number)])
        await conv.say(digits)
        answers.append(conv.messages[-1])
        assert conv.slots["phone_last4"] is None and conv.slots["application_no"] is None
    assert answers[0] == answers[1]
    assert "没有查到" in answers[0]["text"]
    assert answers[0]["buttons"] == [{"title": "重新查询", "payload": "/check_application_status"}]


async def test_too_many_attempts():
    number = "SH2026" + str(uuid.uuid4().int)[:9]
    conv = conversation("en")
    for _ in range(5):
        await conv.say(f"check {number} last 4 1111", "check_application_status",
                       [entity("application_no", number), entity("phone_last4", "1111")])
        assert "couldn't find an application" in conv.texts[-1]
    await conv.say(f"check {number} last 4 1111", "check_application_status",
                   [entity("application_no", number), entity("phone_last4", "1111")])
    assert "Too many failed attempts" in conv.texts[-1] and "12345" in conv.texts[-1]


async def test_a_malformed_number_is_explained_and_asked_again():
    conv = conversation("zh")
    await conv.say("查办件进度", "check_application_status")
    await conv.say("我的编号是12345")
    assert "SH 加 13 位数字" in conv.texts[0]
    assert conv.slots["requested_slot"] == "application_no"
    await conv.say("2026111200086")  # the digits alone, when it is the question
    assert conv.slots["application_no"] == "SH2026111200086"


async def test_a_full_phone_number_is_cut_to_its_last_4_digits():
    conv = conversation("zh")
    await conv.say("SH2026111200086 进度", "check_application_status",
                   [entity("application_no", "SH2026111200086")])
    await conv.say("手机号13601728843", "inform", [entity("phone_last4", "13601728843")])
    assert "当前状态：审核中" in conv.texts[-1]
    # The domain mapping briefly holds the entity as the NLU saw it; validation replaced it with
    # the last 4 digits before the lookup, and nothing keeps it afterwards.
    assert "8843" in conv.all_values and "13601728843" not in str(conv.slots)


async def test_bad_digits_are_explained():
    conv = conversation("en")
    await conv.say("SH2026111200086 status", "check_application_status",
                   [entity("application_no", "SH2026111200086")])
    await conv.say("88")
    assert "last 4 digits" in conv.texts[0] and conv.slots["requested_slot"] == "phone_last4"


async def test_a_digression_is_rejected_then_the_form_resumes():
    conv = conversation("zh")
    await conv.say("查办件进度", "check_application_status")
    assert await conv.say("护照要带什么材料", "ask_service_requirements",
                          [entity("service", "护照")]) == "rejected"
    await conv.resume()
    assert conv.slots["requested_slot"] == "application_no" and "受理编号" in conv.texts[-1]
    assert await conv.say("算了", "deny") == "rejected"  # the stop rule takes it


async def test_reset_action_clears_both_slots():
    tracker = Tracker("r", {"application_no": "SH2026111200086", "phone_last4": "8843"}, {}, [],
                      False, None, {}, "action_deactivate_loop")
    events, _ = await run_action("action_reset_application_status_form", tracker)
    assert slot_values(events) == {"application_no": None, "phone_last4": None}


async def test_outage_is_polite_and_clears_the_digits(down_client):
    tracker = Tracker("d", {"language": "en", "application_no": "SH2026111200086",
                            "phone_last4": "8843"}, {}, [], False, None, {},
                      "application_status_form")
    events, messages = await run_action("action_check_application_status", tracker)
    assert "12345" in messages[0]["text"] and "try again" in messages[0]["text"]
    assert slot_values(events) == {"application_no": None, "phone_last4": None}

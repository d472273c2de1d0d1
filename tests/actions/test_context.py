"""action_extract_context: language, service, district and date slots after a user turn."""
from __future__ import annotations

import pytest

from actions.context import ActionExtractContext
from tests.actions.conftest import entity, make_tracker, slot_events

pytestmark = pytest.mark.asyncio
DOMAIN: dict = {}


async def run(tracker, dispatcher):
    return slot_events(await ActionExtractContext().run(dispatcher, tracker, DOMAIN))


@pytest.mark.parametrize("text,current,expected", [
    ("can I pay my 电费 online?", "zh", "en"),
    ("我的 passport 快过期了怎么办", "en", "zh"),
    ("how long does a Shanghai residence permit take", "zh", "en"),
    ("居住证要带什么材料？", "en", "zh"),
    ("SH2026110500123", "en", None),  # identifiers carry no language: unchanged
    # Markup and web addresses are not English words.
    ("<script>alert(1)</script> 路灯坏了", "en", "zh"),
    ("https://www.example.com/service/login 这个网址打不开", "en", "zh"),
    ("<b>hello</b>, where do I renew my passport?", "zh", "en"),
    ("1", "zh", None),
])
async def test_language_follows_the_latest_message(text, current, expected, dispatcher):
    slots = await run(make_tracker(text, slots={"language": current}), dispatcher)
    assert slots.get("language") == expected


async def test_change_language_sticks(dispatcher):
    slots = await run(make_tracker("please reply in English", intent="change_language",
                                   slots={"language": "zh"}), dispatcher)
    assert slots["language"] == "en" and slots["language_pinned"] is True
    later = await run(make_tracker("居住证要带什么材料", slots={"language": "en",
                                                           "language_pinned": True}), dispatcher)
    assert "language" not in later


async def test_metadata_hint_decides_when_the_text_does_not(dispatcher):
    slots = await run(make_tracker("SH2026110500123", metadata={"language": "en"},
                                   slots={"language": "zh"}), dispatcher)
    assert slots["language"] == "en"


@pytest.mark.parametrize("span,code", [("居住证", "residence_permit"), ("passport", "passport"),
                                       ("護照", "passport"), ("公积金", "housing_fund_withdrawal")])
async def test_service_span_resolves_to_a_code(span, code, dispatcher):
    slots = await run(make_tracker(f"{span}要什么材料", intent="ask_service_requirements",
                                   entities=[entity("service", span)]), dispatcher)
    assert slots["service"] == code
    assert slots["question"] == "ask_service_requirements"


@pytest.mark.parametrize("intent, text, code", [
    ("ask_service_requirements", "想问一下 公租房 怎么申请 我在浦东工作", "public_rental_housing"),
    ("ask_service_fee", "how much do I pay for public rental housing, I work in Pudong",
     "public_rental_housing"),
])
async def test_a_service_question_without_a_span_finds_the_service_it_is_about(
        intent, text, code, dispatcher):
    """The NLU missed the span (the spaces hid 「公租房」) and the citizen was asked which service."""
    slots = await run(make_tracker(text, intent=intent, entities=[entity("district", "浦东")]),
                      dispatcher)
    assert slots["service"] == code


@pytest.mark.parametrize("text", ["多少钱", "how long does it take",
                                  "我家楼下的饭店油烟很大，我想问问办营业执照要查油烟吗"])
async def test_a_question_not_about_one_service_leaves_the_earlier_one(text, dispatcher):
    """A follow-up names no service; a long message that names one in passing is not about it."""
    slots = await run(make_tracker(text, intent="ask_service_fee",
                                   slots={"service": "passport"}), dispatcher)
    assert "service" not in slots


@pytest.mark.parametrize("span", ["浦东", "Pudong New Area", "pu dong"])
async def test_district_span_resolves_to_a_code(span, dispatcher):
    slots = await run(make_tracker(f"{span} centre", entities=[entity("district", span)]), dispatcher)
    assert slots["district"] == "pudong"


async def test_requested_slot_resolves_the_whole_answer(dispatcher):
    tracker = make_tracker("我想办护照", slots={"requested_slot": "service"},
                           active_loop="appointment_form")
    assert (await run(tracker, dispatcher))["service"] == "passport"


async def test_date_span_becomes_an_iso_date(dispatcher):
    slots = await run(make_tracker("2026-12-05", entities=[entity("date", "2026-12-05")]), dispatcher)
    assert slots["date"] == "2026-12-05"


async def test_outage_leaves_slots_alone(down_client, dispatcher):
    slots = await run(make_tracker("passport fee", entities=[entity("service", "passport")],
                                   slots={"service": "resident_id_card"}), dispatcher)
    assert "service" not in slots


async def test_button_payload_keeps_the_language(dispatcher):
    slots = await run(make_tracker('/inform{"service": "passport"}', slots={"language": "zh"},
                                   entities=[entity("service", "passport")]), dispatcher)
    assert "language" not in slots and slots["service"] == "passport"


def test_action_server_registers_every_action():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert "action_extract_context" in executor.actions

"""Garbage sorting against the real data service: confident answers (with a close match in another
bin), not-sure answers with buttons, unknown items, several items, "which item?", the form's
validation, in zh and en, and an outage."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import SlotSet

from actions.garbage import ActionGarbageSorting, ValidateGarbageForm
from tests.actions.conftest import entity, make_tracker, render_response, slot_events, texts

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "bot/domain/garbage.yml").read_text(encoding="utf-8"))


async def sort(dispatcher, text: str, items: list[str] | None = None, lang: str = "zh",
               slot: str | None = None):
    items = items or []
    tracker = make_tracker(text, "ask_garbage_sorting", entities=[entity("item", i) for i in items],
                           slots={"item": slot if slot is not None else (items[-1] if items else None),
                                  "language": lang})
    return slot_events(await ActionGarbageSorting().run(dispatcher, tracker, DOMAIN))


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


async def test_confident_answer_zh(dispatcher):
    slots = await sort(dispatcher, "香蕉皮怎么分类", ["香蕉皮"])
    [text] = texts(dispatcher)
    assert text.startswith("香蕉皮属于【湿垃圾】，请投放到棕色湿垃圾桶。")
    assert "沥干水分" in text
    assert slots == {"item": None}
    assert buttons(dispatcher) == []


async def test_confident_answer_en(dispatcher):
    await sort(dispatcher, "which bin does a banana peel go in", ["banana peel"], "en")
    [text] = texts(dispatcher)
    assert text.startswith("Banana peel: Household food waste (wet waste) - put it in the brown "
                           "wet waste bin.")
    assert "Drain off liquid" in text


async def test_hazardous_item_en(dispatcher):
    await sort(dispatcher, "how do I get rid of expired medicine", ["expired medicine"], "en")
    assert "Hazardous waste" in texts(dispatcher)[0] and "red hazardous waste bin" in texts(dispatcher)[0]


async def test_close_match_in_another_bin_is_mentioned(dispatcher):
    await sort(dispatcher, "奶茶杯扔哪个桶", ["奶茶杯"])
    [text] = texts(dispatcher)
    assert text.startswith("奶茶杯属于【干垃圾】，请投放到黑色干垃圾桶。")
    assert "如果您指的是“奶茶”，它属于湿垃圾" in text


@pytest.mark.parametrize("lang,expected,titles", [
    ("zh", "不太确定“塑料”属于哪一类", ["塑料瓶", "塑料瓶盖", "塑料盆"]),
    ("en", "I'm not sure how to sort \"塑料\"", ["plastic bottle", "bottle cap", "plastic basin"]),
])
async def test_not_confident_offers_the_closest_matches(lang, expected, titles, dispatcher):
    await sort(dispatcher, "塑料是什么垃圾", ["塑料"], lang)
    assert expected in texts(dispatcher)[0]
    assert [b["title"] for b in buttons(dispatcher)] == titles
    assert buttons(dispatcher)[0]["payload"] == f'/ask_garbage_sorting{{"item": "{titles[0]}"}}'


@pytest.mark.parametrize("lang,expected", [("zh", "不确定“xyzabc”该怎么分类"),
                                           ("en", "I don't know how to sort \"xyzabc\"")])
async def test_unknown_item_asks_to_rephrase(lang, expected, dispatcher):
    await sort(dispatcher, "xyzabc", ["xyzabc"], lang)
    assert expected in texts(dispatcher)[0]
    assert buttons(dispatcher) == []


async def test_several_items_are_all_answered(dispatcher):
    await sort(dispatcher, "西瓜皮和电池怎么扔", ["西瓜皮", "电池"])
    first, second = texts(dispatcher)
    assert first.startswith("西瓜皮属于【湿垃圾】") and second.startswith("普通干电池属于【干垃圾】")


@pytest.mark.parametrize("lang, more", [("zh", "还有 2 样"), ("en", "2 more")])
async def test_a_long_list_of_items_offers_the_rest(dispatcher, lang, more):
    items = ["西瓜皮", "电池", "塑料瓶", "旧报纸", "过期药品"]
    await sort(dispatcher, "这些怎么扔：" + "、".join(items), items, lang)
    assert len(texts(dispatcher)) == 4 and texts(dispatcher)[-1].startswith(more)
    assert [(b["title"], b["payload"]) for b in dispatcher.messages[-1]["buttons"]] == [
        ("旧报纸", '/ask_garbage_sorting{"item": "旧报纸"}'),
        ("过期药品", '/ask_garbage_sorting{"item": "过期药品"}')]


@pytest.mark.parametrize("lang,expected", [("zh", "您想问哪样东西怎么分类"), ("en", "Which item")])
async def test_no_item_asks_which(lang, expected, dispatcher):
    # A digression inside another form without an item: ask, the form then resumes.
    slots = await sort(dispatcher, "垃圾分类", [], lang)
    assert texts(dispatcher)[0].startswith(expected)
    assert slots == {"item": None}


async def test_outage(down_client, dispatcher):
    slots = await sort(dispatcher, "电池是什么垃圾", ["电池"])
    assert "12345" in texts(dispatcher)[0]
    assert slots == {"item": None}


@pytest.mark.parametrize("lang,expected", [("zh", "什么东西要扔"), ("en", "Which item do you want")])
async def test_item_question(lang, expected):
    assert expected in render_response("utter_ask_garbage_form_item", {"language": lang})


# -- garbage_form validation ----------------------------------------------------------------------

def form_tracker(text: str, intent: str, candidates: dict | None = None,
                 requested: str | None = None):
    tracker = make_tracker(text, intent, slots={"requested_slot": requested},
                           active_loop="garbage_form" if requested else None)
    tracker.add_slots([SlotSet(k, v) for k, v in (candidates or {}).items()])
    return tracker


async def validate(tracker, dispatcher):
    return slot_events(await ValidateGarbageForm().run(dispatcher, tracker, DOMAIN))


async def test_question_without_entity_but_with_an_item(dispatcher):
    assert await validate(form_tracker("榴莲壳扔哪", "ask_garbage_sorting"), dispatcher) == \
        {"item": "榴莲壳扔哪"}


async def test_question_without_an_item_is_asked(dispatcher):
    assert await validate(form_tracker("这个垃圾怎么分类", "ask_garbage_sorting"), dispatcher) == {}


async def test_entity_item_is_kept(dispatcher):
    tracker = form_tracker("电池是什么垃圾", "ask_garbage_sorting", {"item": " 电池 "})
    assert await validate(tracker, dispatcher) == {"item": "电池"}


async def test_answer_to_which_item(dispatcher):
    tracker = form_tracker("old phone", "inform", {"item": "old phone"}, requested="item")
    assert await validate(tracker, dispatcher) == {"item": "old phone"}

"""Partner data against the real data service: utility bills behind a verification factor (found,
not found, locked out), transport cards (active, lost, low balance, unknown), in zh and en, the
form's validation and questions, and an outage."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.events import SlotSet

from actions.centers import ActionShowMoreCenters
from actions.partners import (
    ActionAskUtilityAccountNo, ActionAskUtilityKind,
    ActionCheckUtilityBill, ActionResetUtilityBillForm, ValidateUtilityBillForm, account_number,
    card_number, match_utility_kind)
from actions.transport_card import ActionCheckTransportCard, ValidateTransportCardForm
from tests.actions.conftest import entity, make_tracker, render_response, slot_events, texts

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "bot/domain/partners.yml").read_text(encoding="utf-8"))
CLEARED = {"utility_kind": None, "utility_account_no": None, "utility_phone_last4": None}


def form_tracker(text: str, intent: str = "inform", *, candidates: dict | None = None,
                 requested: str | None = None, slots: dict | None = None,
                 form: str = "utility_bill_form", entities: list | None = None):
    tracker = make_tracker(text, intent=intent, entities=entities,
                           slots={**(slots or {}), "requested_slot": requested},
                           active_loop=form if requested else None)
    tracker.add_slots([SlotSet(k, v) for k, v in (candidates or {}).items()])
    return tracker


async def validate(tracker, dispatcher, action=ValidateUtilityBillForm):
    return slot_events(await action().run(dispatcher, tracker, DOMAIN))


def bill_tracker(kind: str, account: str, last4: str, lang: str = "zh"):
    return make_tracker(last4, slots={"utility_kind": kind, "utility_account_no": account,
                                      "utility_phone_last4": last4, "language": lang})


async def check_bill(tracker, dispatcher):
    return slot_events(await ActionCheckUtilityBill().run(dispatcher, tracker, DOMAIN))


async def check_card(card_no: str, lang: str, dispatcher):
    tracker = make_tracker(card_no, slots={"card_no": card_no, "language": lang})
    return slot_events(await ActionCheckTransportCard().run(dispatcher, tracker, DOMAIN))


# -- pure helpers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,kind", [
    ("电费", "electricity"), ("電費", "electricity"), ("电", "electricity"), ("上个月用了多少电", "electricity"),
    ("水费", "water"), ("自来水费", "water"), ("水", "water"), ("燃气费", "gas"), ("煤气", "gas"),
    ("天然气", "gas"), ("electricity", "electricity"), ("electric", "electricity"),
    ("power", "electricity"), ("water", "water"), ("gas", "gas"), ("natural gas", "gas"),
    ("dianfei", "electricity"), ("my dian fei bill", "electricity"), ("shuifei", "water"),
    ("ranqi bill", "gas"), ("meiqi", "gas"), ("Meridian fees", None), ("shuifeng", None),
    ("水电煤", None), ("check my utility bills", None), ("电话", None), ("", None),
])
def test_utility_words_map_to_a_kind(text, kind):
    assert match_utility_kind(text) == kind


@pytest.mark.parametrize("text,expected", [
    ("4403", "4403"), ("后四位是 4403", "4403"), ("13817264403", "4403"), ("138 1726 4403", "4403"),
    ("+86 138-1726-4403", "4403"), ("440", None), ("12345", None), ("不知道", None),
])
async def test_phone_last4(dispatcher, text, expected):
    tracker = form_tracker(text, requested="utility_phone_last4",
                           candidates={"utility_phone_last4": text})
    assert await validate(tracker, dispatcher) == {"utility_phone_last4": expected}


@pytest.mark.parametrize("text,expected", [
    ("1020384756", "1020384756"), ("户号 1020 3847 56", "1020384756"), ("account 3108-825-034", "3108825034"),
    ("12345", None), ("abc", None),
])
def test_account_number(text, expected):
    assert account_number(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("31008815263", "31008815263"), ("3100 8815 263", "31008815263"), ("卡号是31008815263", "31008815263"),
    ("3100881526", None), ("123", None),
])
def test_card_number(text, expected):
    assert card_number(text) == expected


# -- utility_bill_form: validation and questions -------------------------------------------------

async def test_activation_reads_the_kind_from_the_message(dispatcher):
    tracker = form_tracker("上个月用了多少电", "check_utility_bill")
    assert await validate(tracker, dispatcher) == {"utility_kind": "electricity"}


async def test_activation_with_entities(dispatcher):
    tracker = form_tracker("户号3102987654的燃气账单", "check_utility_bill",
                           entities=[entity("utility_kind", "燃气"), entity("account_no", "3102987654")],
                           candidates={"utility_kind": "燃气", "utility_account_no": "3102987654"})
    assert await validate(tracker, dispatcher) == {"utility_kind": "gas",
                                                   "utility_account_no": "3102987654"}


async def test_activation_forgets_an_unfinished_look_up(dispatcher):
    tracker = form_tracker("查一下电费", "check_utility_bill",
                           slots={"utility_kind": "water", "utility_account_no": "1020384756"},
                           candidates={"utility_kind": "water", "utility_account_no": "1020384756"})
    assert await validate(tracker, dispatcher) == {"utility_kind": "electricity",
                                                   "utility_account_no": None}


async def test_unclear_kind_is_asked_again(dispatcher):
    tracker = form_tracker("水电煤", requested="utility_kind", candidates={"utility_kind": "水电煤"})
    assert await validate(tracker, dispatcher) == {"utility_kind": None}
    assert "水费、电费还是燃气费" in texts(dispatcher)[0]


async def test_bad_account_number_en(dispatcher):
    tracker = form_tracker("my account", requested="utility_account_no", slots={"language": "en"},
                           candidates={"utility_account_no": "my account"})
    assert await validate(tracker, dispatcher) == {"utility_account_no": None}
    assert "6 to 20 digits" in texts(dispatcher)[0]


async def test_whole_phone_number_keeps_only_the_last_four(dispatcher):
    tracker = form_tracker("13817264403", requested="utility_phone_last4",
                           candidates={"utility_phone_last4": "13817264403"})
    assert await validate(tracker, dispatcher) == {"utility_phone_last4": "4403"}


async def test_bad_verification_is_asked_again(dispatcher):
    tracker = form_tracker("不记得了", requested="utility_phone_last4",
                           candidates={"utility_phone_last4": "不记得了"})
    assert await validate(tracker, dispatcher) == {"utility_phone_last4": None}
    assert "后四位" in texts(dispatcher)[0]


async def test_utility_questions(dispatcher):
    en = make_tracker(slots={"language": "en", "utility_kind": "gas"})
    await ActionAskUtilityKind().run(dispatcher, en, DOMAIN)
    await ActionAskUtilityAccountNo().run(dispatcher, en, DOMAIN)
    kind_q, account_q = texts(dispatcher)
    phone_q = render_response("utter_ask_utility_bill_form_utility_phone_last4", {"language": "en"})
    assert kind_q == "Which bill would you like to check?"
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Water", "Electricity", "Gas"]
    assert dispatcher.messages[0]["buttons"][2]["payload"] == '/inform{"utility_kind": "gas"}'
    assert account_q.startswith("What is your gas account number?")
    assert "last 4 digits" in phone_q
    zh = make_tracker(slots={"language": "zh", "utility_kind": "water"})
    await ActionAskUtilityKind().run(dispatcher, zh, DOMAIN)
    await ActionAskUtilityAccountNo().run(dispatcher, zh, DOMAIN)
    assert [b["title"] for b in dispatcher.messages[2]["buttons"]] == ["水费", "电费", "燃气费"]
    assert texts(dispatcher)[3].startswith("请提供水费户号")


# -- utility bills -------------------------------------------------------------------------------

async def test_water_bill_zh(dispatcher):
    slots = await check_bill(bill_tracker("water", "1020384756", "4403"), dispatcher)
    [text] = texts(dispatcher)
    assert "上海城投水务（示例） 水费账户 1020384756（陈**，浦东新区张杨路****弄**号***室）" in text
    assert "用量 18 m³，62.10 元，待缴费" in text
    assert "待缴合计：62.10 元" in text
    assert "随申办" in text and "支付宝" in text and "微信" in text
    assert "数据来源：上海城投水务（示例），数据更新于" in text and "北京时间" in text
    assert {k: slots[k] for k in CLEARED} == CLEARED  # the verification digits never outlive the look-up


async def test_electricity_bill_en_with_an_overdue_bill(dispatcher):
    slots = await check_bill(bill_tracker("electricity", "3108825034", "8821", "en"), dispatcher)
    [text] = texts(dispatcher)
    assert "account 3108825034 (王*, Room ***, No. *, Lane ** Guoquan Road, Yangpu District) with State Grid Shanghai Electric Power (sample). Latest bills:" in text
    assert "142 kWh, CNY 87.61, Unpaid" in text and "Overdue" in text
    assert "Unpaid in total: CNY 190.65" in text and "A bill is overdue" in text
    assert "Suishenban, Alipay or WeChat" in text
    assert "Source: State Grid Shanghai Electric Power (sample), data as of" in text
    assert {k: slots[k] for k in CLEARED} == CLEARED


async def test_fully_paid_gas_account(dispatcher):
    await check_bill(bill_tracker("electricity", "3115530982", "8854", "en"), dispatcher)
    [text] = texts(dispatcher)
    assert "Nothing is unpaid at the moment." in text and "How to pay" not in text


async def test_wrong_digits_and_unknown_account_get_the_same_answer(dispatcher):
    wrong = await check_bill(bill_tracker("gas", "5208813347", "0000"), dispatcher)
    unknown = await check_bill(bill_tracker("gas", "5208813348", "4403"), dispatcher)
    first, second = texts(dispatcher)
    assert "没有查到与户号 5208813347 和手机后四位相符的燃气费账户" in first
    assert first.replace("5208813347", "N") == second.replace("5208813348", "N")
    assert wrong == unknown == CLEARED


async def test_not_found_en(dispatcher):
    await check_bill(bill_tracker("water", "1020384756", "1111", "en"), dispatcher)
    assert "couldn't find a water account matching number 1020384756" in texts(dispatcher)[0]


async def test_too_many_attempts(dispatcher):
    account = "9999000011"  # unknown accounts count too; no other test uses this one
    for _ in range(5):
        await check_bill(bill_tracker("water", account, "1234"), dispatcher)
    slots = await check_bill(bill_tracker("water", account, "1234", "en"), dispatcher)
    assert "too many failed verification attempts" in texts(dispatcher)[-1]
    assert slots == CLEARED


async def test_bill_outage_still_forgets_the_digits(down_client, dispatcher):
    slots = await check_bill(bill_tracker("water", "1020384756", "4403"), dispatcher)
    assert "12345" in texts(dispatcher)[0]
    assert slots == CLEARED


async def test_reset_after_stopping(dispatcher):
    events = await ActionResetUtilityBillForm().run(
        dispatcher, bill_tracker("water", "1020384756", "4403"), DOMAIN)
    assert slot_events(events) == CLEARED


async def show_more(slots: dict, lang: str, dispatcher) -> dict:
    tracker = make_tracker("显示更多" if lang == "zh" else "show more", intent="show_more",
                           slots={"list_rest": slots.get("list_rest"), "center_list": None,
                                  "language": lang})
    return slot_events(await ActionShowMoreCenters().run(dispatcher, tracker, DOMAIN))


@pytest.mark.parametrize("lang, button, head", [("zh", "显示其余 3 条", "更早的账单："),
                                                ("en", "Show the other 3", "Earlier bills:")])
async def test_bills_left_out_are_offered_and_shown(dispatcher, lang, button, head):
    """Six bills, three shown: the paid older ones wait behind "show the rest"."""
    slots = await check_bill(bill_tracker("water", "1020384756", "4403", lang), dispatcher)
    first = dispatcher.messages[0]
    assert first["text"].count("\n- ") == 3
    assert first["buttons"] == [{"title": button, "payload": "/show_more"}]
    rest = await show_more(slots, lang, dispatcher)
    more = dispatcher.messages[1]
    assert more["text"].startswith(head) and more["text"].count("\n- ") == 3
    assert not more.get("buttons") and rest == {"list_rest": None}
    shown = [line for m in dispatcher.messages for line in m["text"].splitlines() if line.startswith("- ")]
    assert len(set(shown)) == 6  # every bill once


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_trips_left_out_are_offered_and_shown(dispatcher, lang):
    slots = await check_card("31008815263", lang, dispatcher)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/show_more"
    assert slots["list_rest"]["lines"] and slots["center_list"] is None  # this list is now "the rest"
    await show_more(slots, lang, dispatcher)
    assert dispatcher.messages[1]["text"].count("\n- ") == len(slots["list_rest"]["lines"]) == 7


async def test_a_short_list_offers_nothing(dispatcher):
    slots = await check_card("31005530817", "en", dispatcher)
    assert not dispatcher.messages[0].get("buttons") and "list_rest" not in slots


# -- transport cards -----------------------------------------------------------------------------

async def test_card_zh(dispatcher):
    slots = await check_card("31008815263", "zh", dispatcher)
    [text] = texts(dispatcher)
    assert "交通卡 31008815263 余额 46.30 元，卡片状态：正常。" in text
    assert "最近的乘车记录：" in text and " 地铁，5.00 元" in text
    assert text.count("\n- ") == 3
    assert "南京西路" not in text and "地铁2号线" not in text  # no places from a number alone
    assert "持卡在地铁站自助机" in text
    assert "数据来源：上海公共交通卡（示例），数据更新于" in text
    assert slots["card_no"] is None


async def test_card_en_with_low_balance(dispatcher):
    await check_card("31002274409", "en", dispatcher)
    [text] = texts(dispatcher)
    assert "Transport card 31002274409: balance CNY 3.40, status: Active." in text
    assert "The balance is low" in text
    assert " Bus, CNY 1.00" in text and " Metro, CNY 3.00" in text
    assert "Qibao" not in text and "Route 980" not in text
    assert "read the card at a metro station machine" in text
    assert "Source: Shanghai Public Transport Card (sample), data as of" in text


async def test_lost_card(dispatcher):
    await check_card("31005530817", "zh", dispatcher)
    assert "卡片状态：已挂失" in texts(dispatcher)[0] and "无法再刷卡乘车" in texts(dispatcher)[0]


@pytest.mark.parametrize("lang,expected", [("zh", "没有找到卡号为 31009999999 的交通卡"),
                                           ("en", "couldn't find a transport card numbered 31009999999")])
async def test_unknown_card(lang, expected, dispatcher):
    await check_card("31009999999", lang, dispatcher)
    assert expected in texts(dispatcher)[0]


async def test_card_outage(down_client, dispatcher):
    slots = await check_card("31008815263", "en", dispatcher)
    assert "12345 citizen hotline" in texts(dispatcher)[0]
    assert slots == {"card_no": None}


async def test_card_number_validation(dispatcher):
    ok = form_tracker("3100 8815 263", requested="card_no", candidates={"card_no": "3100 8815 263"},
                      form="transport_card_form")
    assert await validate(ok, dispatcher, ValidateTransportCardForm) == {"card_no": "31008815263"}
    bad = form_tracker("123", requested="card_no", candidates={"card_no": "123"},
                       form="transport_card_form", slots={"language": "en"})
    assert await validate(bad, dispatcher, ValidateTransportCardForm) == {"card_no": None}
    assert "11-digit number" in texts(dispatcher)[0]


@pytest.mark.parametrize("lang,expected", [("zh", "11 位数字"), ("en", "11-digit number")])
async def test_card_question(lang, expected, dispatcher):
    assert expected in render_response("utter_ask_transport_card_form_card_no", {"language": lang})

"""Danger now (actions/emergency.py): a report describing a fire, a gas leak, someone hurt, a crime
in progress or people trapped in a lift gets the emergency numbers first, in both languages and in
Traditional characters; everyday complaints that share a word with them do not."""
from __future__ import annotations

import pytest

from actions.emergency import emergencies, warning


@pytest.mark.parametrize("text, kinds", [
    ("楼道里一股煤气味，好吓人", ["gas"]),
    ("樓道裡一股煤氣味", ["gas"]),
    ("who do I call about a gas leak smell in the stairwell", ["gas"]),
    ("隔壁三楼着火了，快来人", ["fire"]),
    ("the restaurant kitchen on Wuding Road caught fire", ["fire"]),
    ("公交站有个老人晕倒了", ["medical"]),
    ("a man collapsed at the bus stop on Huashan Road and he is not breathing", ["medical"]),
    ("小区门口有人持刀打人", ["police"]),
    ("someone is being robbed outside the Family Mart", ["police"]),
    ("someone is breaking into my neighbour's flat", ["police"]),
    ("a guy with a knife is shouting at people outside Jing'an Temple station", ["police"]),
    ("我妈被困在电梯里了", ["lift"]),
    ("we are stuck in the lift at Block 3", ["lift"]),
    ("厨房燃气泄漏还起火了，有人受伤", ["fire", "gas", "medical"]),
])
def test_danger_is_recognised(text, kinds):
    assert emergencies(text) == kinds


@pytest.mark.parametrize("text", [
    "烧烤摊天天冒烟，油烟呛得开不了窗",  # smoke: a daily complaint, not a fire
    "the BBQ smoke coming into my window every night",
    "共享单车轮胎漏气了没人修",  # a tyre, not gas
    "电梯坏了两个星期，老人上下楼很困难",  # broken, nobody trapped
    "a fire hydrant on Changle Road is blocked by parked cars",
    "请问老小区燃气管道改造什么时候开始",
    "my neighbour's dog barks all night",
    "i am in the mood to listen to mack the knife",  # a song, read as out of scope
])
def test_everyday_complaints_are_not_emergencies(text):
    assert emergencies(text) == []
    assert warning(text, "zh") is None


@pytest.mark.parametrize("lang, starts, numbers", [
    ("zh", "如果现在有人身危险或险情正在发生，请立即拨打：", ["火警 119", "燃气抢修 962777", "急救 120"]),
    ("en", "If anyone is in danger or this is happening right now, call at once:",
     ["fire 119", "gas emergency 962777", "ambulance 120"]),
])
def test_the_warning_gives_each_number_once_in_the_citizens_language(lang, starts, numbers):
    text = warning("厨房燃气泄漏还起火了，有人受伤 - gas leak, fire, someone injured", lang)
    assert text.startswith(starts)
    assert [text.count(n) for n in numbers] == [1, 1, 1]
    assert "110" not in text

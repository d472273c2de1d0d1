"""Traditional Chinese is read as Simplified: the same tokens at the citizen's own offsets, and the
trained model understands a Traditional message as it does its Simplified twin."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import traditional_chinese
from bot.nlu.traditional_chinese import SimplifyingJiebaTokenizer, to_simplified
from tests.bot.conftest import latest_model


def tokens(text: str) -> list[tuple[str, int, int]]:
    tokenizer = SimplifyingJiebaTokenizer(SimplifyingJiebaTokenizer.get_default_config(), None, None)
    return [(t.text, t.start, t.end) for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


def test_traditional_text_gets_the_simplified_tokens_at_its_own_offsets():
    traditional, simplified = "請問閔行的辦事大廳週六開門嗎", "请问闵行的办事大厅周六开门吗"
    assert tokens(traditional) == tokens(simplified)
    assert [(s, e) for _, s, e in tokens(traditional)] == \
        [(s, e) for _, s, e in tokens(simplified)]


@pytest.mark.parametrize("text", ["", "how long does a passport take", "居住证要带什么材料",
                                  "我的 passport 快过期了"])
def test_simplified_and_english_text_is_unchanged(text):
    assert to_simplified(text) == text


def test_a_conversion_that_would_move_offsets_is_not_used(monkeypatch):
    class Widening:
        def convert(self, text: str) -> str:
            return text + "！"

    monkeypatch.setattr(traditional_chinese, "_converter", lambda: Widening())
    to_simplified.cache_clear()  # converted texts are remembered
    assert to_simplified("護照") == "護照"
    to_simplified.cache_clear()


@pytest.fixture(scope="module")
def agent() -> Agent:
    return Agent.load(str(latest_model()))


def parse(agent: Agent, text: str) -> dict:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize("traditional,simplified", [
    ("我要預約辦居住證", "我要预约办居住证"),
    ("社會保障卡補辦要帶什麼材料", "社会保障卡补办要带什么材料"),
    ("浦東的社區事務受理中心週六開門嗎", "浦东的社区事务受理中心周六开门吗"),
])
def test_a_traditional_message_is_understood_like_its_simplified_twin(agent, traditional,
                                                                      simplified):
    got, twin = parse(agent, traditional), parse(agent, simplified)
    assert got["intent"]["name"] == twin["intent"]["name"]
    assert got["intent"]["confidence"] > 0.8
    # Entity values are the citizen's own (Traditional) words at the same places.
    assert [(e["entity"], e["start"], e["end"]) for e in got["entities"]] == \
        [(e["entity"], e["start"], e["end"]) for e in twin["entities"]]
    assert all(e["value"] == traditional[e["start"]:e["end"]] for e in got["entities"]
               if not e.get("processors"))

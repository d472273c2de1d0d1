"""Bilingual text for actions: every reply exists in zh and en and follows the `language` slot."""
from __future__ import annotations

from rasa_sdk import Tracker

from privacy.parsing import TRY_LATER_OR_CALL


def lang_of(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "zh"


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def unavailable(lang: str) -> str:
    """What the citizen hears when the data service is down or too slow."""
    return t(lang, "抱歉，系统暂时无法查询，" + TRY_LATER_OR_CALL["zh"],
             "Sorry, I can't look that up right now. " + TRY_LATER_OR_CALL["en"])


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)

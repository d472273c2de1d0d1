"""Bilingual text for actions: every reply exists in zh and en and follows the `language` slot."""
from __future__ import annotations

from rasa_sdk import Tracker


def lang_of(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "zh"


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def unavailable(lang: str) -> str:
    """What the citizen hears when the data service is down or too slow."""
    return t(lang,
             "抱歉，系统暂时无法查询，请稍后再试。如有急事，请拨打 12345 市民服务热线（24小时）。",
             "Sorry, I can't look that up right now. Please try again in a few minutes, or call "
             "the 12345 citizen hotline (24 hours) if it's urgent.")


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)

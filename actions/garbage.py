"""Garbage sorting: which of Shanghai's four bins an item goes in (`GET /v1/garbage/classify`).

`garbage_form` only collects the item (asking "which item?" when the question names none);
`action_garbage_sorting` answers, also as a digression in the middle of another form.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable, Rejected
from actions.api.gateway import get_gateway
from actions.api.models import GarbageMatch
from actions.base import DataAction
from actions.forms import CityFormValidation
from actions.i18n import lang_of, t

MAX_QUERY_CHARS = 100
MAX_ITEMS = 3
# Asked when a garbage question names no item (and the form's hint when an answer gives none).
ASK_ITEM = ("您想问哪样东西怎么分类？比如“电池是什么垃圾”。",
            "Which item do you want to sort? For example \"which bin for a battery\".")
# A close second match in another bin is worth mentioning ("奶茶杯" vs "奶茶").
RUNNER_UP_GAP = 10.0


async def classify(query: str, lang: str, limit: int = 3) -> list[GarbageMatch]:
    query = " ".join((query or "").split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    return await get_gateway().classify_garbage(query, lang, limit)


def item_button(match: GarbageMatch) -> dict:
    item = match.item.replace('"', "")
    return {"title": match.item, "payload": f'/ask_garbage_sorting{{"item": "{item}"}}'}


def render_answer(query: str, matches: list[GarbageMatch], lang: str) -> tuple[str, list[dict]]:
    """The reply text and its buttons for the classifier's matches."""
    confident = [m for m in matches if m.confident]
    if not confident:
        if matches:
            return (t(lang,
                      f"抱歉，我不太确定“{query}”属于哪一类。您说的是下面哪一种？也可以换个说法再问我。",
                      f"Sorry, I'm not sure how to sort \"{query}\". Did you mean one of these? "
                      "You can also rephrase it."),
                    [item_button(m) for m in matches])
        return (t(lang,
                  f"抱歉，我不确定“{query}”该怎么分类。可以换个更常见的叫法再问我，比如“塑料瓶”“电池”“剩饭”。",
                  f"Sorry, I don't know how to sort \"{query}\". Try a more common name, e.g. "
                  "\"plastic bottle\", \"battery\" or \"leftover rice\"."), [])
    top = confident[0]
    text = t(lang,
             f"{top.item}属于【{top.category_name}】，请投放到{top.bin}。\n{top.tip}",
             f"{top.item[:1].upper()}{top.item[1:]}: {top.category_name} - put it in "
             f"the {top.bin}.\n{top.tip}")
    others = [m for m in confident[1:]
              if m.category != top.category and top.score - m.score <= RUNNER_UP_GAP]
    if others:
        other = others[0]
        text += t(lang,
                  f"\n（如果您指的是“{other.item}”，它属于{other.category_name}，投放到{other.bin}。）",
                  f"\n(If you meant \"{other.item}\": that is {other.category_name}, "
                  f"{other.bin}.)")
    return text, []


class ValidateGarbageForm(CityFormValidation):
    form = "garbage_form"
    own_intents = frozenset({"ask_garbage_sorting"})
    hints = {"item": ASK_ITEM}

    def name(self) -> str:
        return "validate_garbage_form"

    async def extract_item(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict) -> dict[str, Any]:
        # The question may name an item the entity extractor missed ("榴莲壳扔哪"): the
        # classifier ignores the question words, so a confident match on the whole message
        # means it named one.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if (tracker.get_slot("item") or tracker.get_slot("requested_slot")
                or intent != "ask_garbage_sorting"):
            return {}
        text = tracker.latest_message.get("text") or ""
        try:
            matches = await classify(text, lang_of(tracker))
        except (DataServiceUnavailable, Rejected):
            return {}
        return {"item": text} if any(m.confident for m in matches) else {}

    async def validate_item(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: dict) -> dict[str, Any]:
        item = " ".join(str(value or "").split())[:MAX_QUERY_CHARS]
        return {"item": item or None}


class ActionGarbageSorting(DataAction):
    """Answers from the `item` slot (or the message's item entity); clears it afterwards."""

    forgets = ("item",)

    def name(self) -> str:
        return "action_garbage_sorting"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict, lang: str) -> list[dict]:
        entities = list(dict.fromkeys(
            str(e["value"]) for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "item" and e.get("value")))
        slot = tracker.get_slot("item")
        # "杯子和珍珠怎么扔" names two items: answer both (the slot holds only the last one).
        queries = entities[:MAX_ITEMS] if len(entities) > 1 else [slot or (entities or [None])[0]]
        if not queries[0]:
            dispatcher.utter_message(text=t(lang, *ASK_ITEM))
            return []
        for query in queries:
            try:
                matches = await classify(query, lang)
            except Rejected:
                matches = []
            text, buttons = render_answer(query, matches, lang)
            dispatcher.utter_message(text=text, buttons=buttons or None)
        rest = entities[MAX_ITEMS:] if len(entities) > 1 else []
        if rest:  # the rest of a long list, one button each
            dispatcher.utter_message(
                text=t(lang, f"还有 {len(rest)} 样，点一下就告诉您：", f"{len(rest)} more - tap one to see its bin:"),
                buttons=[{"title": item, "payload": "/ask_garbage_sorting"
                          + json.dumps({"item": item}, ensure_ascii=False)} for item in rest])
        return []

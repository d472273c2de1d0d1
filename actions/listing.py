""""Show the rest" of a list cut to a few lines (bills, transport-card trips).

The lines not shown wait in the `list_rest` slot ({"head", "lines"}) and the reply offers them with
a /show_more button (a numbered option on WeChat, a button on REST and socket.io); action_show_more
sends them a page at a time. Centre lists keep their own state (`center_list`, actions/centers.py),
re-queried because hours depend on the day; a new list of either kind replaces the other.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.i18n import t

REST_SLOT = "list_rest"
CENTRES_SLOT = "center_list"
REST_PAGE = 10  # lines sent per "show the rest"


def rest_button(count: int, lang: str) -> list[dict[str, str]]:
    return [{"title": t(lang, f"显示其余 {count} 条", f"Show the other {count}"),
             "payload": "/show_more"}]


def send_with_rest(dispatcher: CollectingDispatcher, text: str, head: str, rest: list[str],
                   lang: str) -> list[dict[str, Any]]:
    """`text` with a button for the `rest` lines (shown later under `head`), when there are any."""
    if not rest:
        dispatcher.utter_message(text=text)
        return []
    dispatcher.utter_message(text=text, buttons=rest_button(len(rest), lang))
    return [SlotSet(REST_SLOT, {"head": head, "lines": rest}), SlotSet(CENTRES_SLOT, None)]


def send_next_page(dispatcher: CollectingDispatcher, rest: dict, lang: str) -> list[dict[str, Any]]:
    """The next page of a cut list, offering what is still left."""
    lines = [str(line) for line in rest.get("lines") or []]
    page, left = lines[:REST_PAGE], lines[REST_PAGE:]
    head = str(rest.get("head") or "")
    return send_with_rest(dispatcher, "\n".join([head, *page]).strip(), head, left, lang) or \
        [SlotSet(REST_SLOT, None)]

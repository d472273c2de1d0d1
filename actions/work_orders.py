"""The work-order taxonomy on the assistant side: a citizen's message classified by the data service
(`POST /v1/tickets/classify`), the category buttons the citizen confirms or corrects, the channel
a ticket came through.

A category option is kept on the tracker as a small dict: {"code", "level1", "level2", "type"}
where level1/level2 are the names in the citizen's language ("level2" may be empty when only the
first level is known).
"""
from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.api.dataservice import DataServiceUnavailable, Rejected
from actions.api.gateway import get_gateway
from actions.forms import inform
from actions.i18n import t

TYPES = ("consultation", "help", "complaint", "report", "suggestion", "praise")
TYPE_NAMES = {"consultation": ("咨询", "consultation"), "help": ("求助", "request for help"),
              "complaint": ("投诉", "complaint"), "report": ("举报", "report"),
              "suggestion": ("建议", "suggestion"), "praise": ("表扬", "praise")}
CLASSIFY_MAX = 2000  # the longest text POST /v1/tickets/classify accepts
# Below this score the prediction is not offered as "this one?" when the data service does not say
# itself (`confident`): the citizen picks a first-level class instead (nonsense and out-of-scope
# text score low by the endpoint's contract).
CONFIDENT = 0.35
MAX_ALTERNATIVES = 2
# An alternative is offered only when the classifier gives it at least this probability. A sure
# prediction leaves the other classes near 0, and their order there is noise (a barbecue's noise
# came with "Hong Kong, Macao and Taiwan affairs"): such a button would be right less than once in
# twenty and only crowd the right one. "Something else" stays, so nothing is out of reach.
ALTERNATIVE_MIN = 0.05
OTHER = "__other__"  # the "something else" button


def type_name(code: str | None, lang: str) -> str:
    zh, en = TYPE_NAMES.get(code or "", (code or "", code or ""))
    return t(lang, zh, en)


def _option(category: dict, kind: str | None) -> dict | None:
    level1, level2 = category.get("level1") or {}, category.get("level2") or {}
    code = level2.get("code") or level1.get("code")
    if not code:
        return None
    return {"code": code, "level1": level1.get("name") or "", "level2": level2.get("name") or "",
            "type": kind}


def type_code(result: dict | None) -> str | None:
    """The message type of a classification ({"code", "name", "score"} or a bare code)."""
    kind = (result or {}).get("type")
    code = kind.get("code") if isinstance(kind, dict) else kind
    return code if code in TYPES else None


def stated_type(result: dict | None) -> str | None:
    """The message type the citizen named outright ("我要投诉", "I want to praise"), if any."""
    kind = (result or {}).get("type")
    return type_code(result) if isinstance(kind, dict) and kind.get("stated") else None


def options_of(result: dict | None) -> list[dict]:
    """The predicted category first, then the alternatives likely enough to offer (codes unique)."""
    if not result:
        return []
    kind = type_code(result)
    found = [_option(result.get("category") or {}, kind)]
    for alternative in result.get("alternatives") or []:
        if float(alternative.get("score") or 0) >= ALTERNATIVE_MIN:
            found.append(_option(alternative.get("category") or alternative, kind))
    unique: dict[str, dict] = {}
    for option in found:
        if option and option["code"] not in unique:
            unique[option["code"]] = option
    return list(unique.values())[:1 + MAX_ALTERNATIVES]


def confident(result: dict | None) -> bool:
    """Whether the prediction may be offered as "is it this?": the data service says so (its own
    out-of-scope threshold), else the score clears CONFIDENT."""
    if not result or not options_of(result):
        return False
    if "confident" in result:
        return bool(result["confident"])
    return float(result.get("score") or 0) >= CONFIDENT


async def classify(text: str, lang: str) -> dict | None:
    """The data service's classification of a message; None for text it refuses (empty, control
    characters)."""
    text = (text or "").strip()[:CLASSIFY_MAX]
    if not text:
        return None
    try:
        result = await get_gateway().classify_ticket(text, lang)
    except Rejected:
        return None
    # The helpers here read the answer's JSON form, as it was sent (a field the data service left
    # out stays out: `confident()` then falls back to the score).
    return result.dict(exclude_unset=True)


async def classify_or_none(text: str, lang: str) -> dict | None:
    try:
        return await classify(text, lang)
    except DataServiceUnavailable:
        return None


async def first_level_options(lang: str) -> list[dict]:
    """Every first-level class as an option ("something else" lets the citizen pick one)."""
    return [{"code": item.code, "level1": item.name or item.code, "level2": "", "type": None}
            for item in await get_gateway().ticket_categories(lang)]


def option_title(option: dict, lang: str) -> str:
    if option.get("level2") and option["level2"] not in ("其他", "Other"):
        return f"{option['level1']} › {option['level2']}"
    return option.get("level1") or option["code"]


def category_buttons(options: list[dict], lang: str, *, first_is_prediction: bool) -> list[dict]:
    buttons = []
    for index, option in enumerate(options):
        title = option_title(option, lang)
        if first_is_prediction and index == 0:
            title = t(lang, f"对，是“{title}”", f"Yes, {title}")
        buttons.append({"title": title,
                        "payload": inform("issue_category", option["code"])})
    if first_is_prediction:
        buttons.append({"title": t(lang, "都不是，其他类别", "Something else"),
                        "payload": inform("issue_category", OTHER)})
    return buttons


def location_text(location: dict | None) -> str | None:
    """The place a classification found in the text ("漕溪北路100号", "人民广场"), or None."""
    if not location:
        return None
    parts = [location.get(key) for key in ("road", "street", "landmark")]
    text = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    return text or None


def district_code(location: dict | None) -> str | None:
    """The district code of a classification's location ({"district": "xuhui"} or
    {"district": {"code": "xuhui", ...}})."""
    district = (location or {}).get("district")
    code = district.get("code") if isinstance(district, dict) else district
    return code if isinstance(code, str) and re.fullmatch(r"[a-z_]{2,32}", code) else None


def channel_of(tracker: Tracker) -> str:
    """Where the message came from: the integrator's metadata says so, else the Rasa channel."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    channel = str(metadata.get("channel") or tracker.get_latest_input_channel() or "")
    # The ticket's channel is a short code (POST /v1/tickets: [a-z0-9_-]{1,32}).
    return re.sub(r"[^a-z0-9_\-]", "", channel.lower())[:32] or "assistant"


def matching_option(text: str, options: list[dict]) -> dict | None:
    """An option the citizen typed by name ("城乡建设", "环境污染")."""
    value = " ".join((text or "").split()).lower()
    if not value:
        return None
    for option in options:
        names = {option.get("code", "").lower(), (option.get("level2") or "").lower(),
                 (option.get("level1") or "").lower(), option_title(option, "zh").lower()}
        if value in names - {""}:
            return option
    return None

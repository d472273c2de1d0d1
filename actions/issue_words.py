"""The words of a 12345 report, read without the data service: the older fixed issue type a
citizen's words point to, whether a first message describes a problem, a ticket number found in
a text (personal numbers are masked by privacy.redaction)."""
from __future__ import annotations

import re

from privacy.parsing import CJK

TICKET_NO = re.compile(r"12345-\d{8}-[0-9A-Z]{4,8}")

# Words that say "I want to report something" without saying what: a first message made only of
# them (plus the issue-type word) does not describe the problem yet.
_GENERIC = re.compile(
    r"我要|我想|想要|投诉|投訴|举报|舉報|反映|反應|报修|報修|报个修|一下|这个|那个|问题|問題|打电话|帮我|请问|"
    r"怎么|怎样|找谁|热线|市民|诉求|你好|您好|有人|能不能|管管|12345|"
    r"\b(i|want|would|like|to|need|a|an|the|report|complaint|complain|file|make|about|problem|issue|"
    r"please|can|how|do|hotline|city|hi|hello|there|is|it|there's)\b",
    re.I)
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

# Free text -> issue-type code. Longer (more specific) keywords weigh more; a tie is "unclear".
ISSUE_KEYWORDS: dict[str, list[str]] = {
    "noise": ["噪音", "噪声", "吵", "扰民", "擾民", "广场舞", "施工", "打桩", "装修", "狗叫", "半夜",
              "夜里", "noise", "noisy", "loud", "construction", "renovation", "drilling", "piling",
              "square danc", "barking", "music"],
    "road_damage": ["坑", "路面", "塌陷", "破损", "地砖", "马路", "道路", "路破", "pothole", "road",
                    "pavement", "paving", "tiles", "collapsed", "crack"],
    "streetlight": ["路灯", "路燈", "灯不亮", "灯坏", "streetlight", "street light", "street lamp",
                    "road light", "lamp"],
    "garbage_collection": ["垃圾", "清运", "垃圾桶", "垃圾厢房", "garbage", "trash", "rubbish", "bins",
                           "overflowing"],
    "illegal_parking": ["停车", "停車", "违停", "違停", "乱停", "parking", "parked", "park "],
    "water_supply": ["停水", "自来水", "水发黄", "水压", "没水", "供水", "tap water", "water supply",
                     "no water", "yellow water", "water pressure"],
    "drainage": ["下水道", "排水", "积水", "堵", "淹", "drain", "flood", "sewer", "waterlogged"],
    "greenery": ["树", "樹", "绿化", "草坪", "tree", "greenery", "grass", "branch"],
    "public_facility": ["井盖", "窨井", "站牌", "红绿灯", "紅綠燈", "信号灯", "护栏", "座椅", "设施",
                        "manhole", "bus stop", "traffic light", "bench", "railing", "facility"],
    "pollution": ["油烟", "油煙", "污染", "废水", "偷排", "臭", "异味", "废气", "pollution", "smoke",
                  "smell", "fumes", "waste water", "discharg"],
    "other": ["其他", "其它", "other"],
}


def _keyword_hit(text: str, keyword: str) -> bool:
    if keyword.isascii():
        return re.search(r"(?<![a-z])" + re.escape(keyword), text) is not None
    return keyword in text


def match_issue_type(text: str, types: list[dict] | None = None) -> str | None:
    """The issue-type code a citizen's words point to, or None when unclear.

    `types` is the data service's vocabulary ({"code", "label"}); codes outside it are dropped.
    """
    value = " ".join((text or "").split()).lower()
    if not value:
        return None
    known = {t_["code"] for t_ in types} if types else set(ISSUE_KEYWORDS)
    if value in known:  # a button payload carries the code itself
        return value
    for item in types or []:
        if value == str(item.get("label", "")).lower():
            return item["code"]
    scores: dict[str, int] = {}
    for code, keywords in ISSUE_KEYWORDS.items():
        if code not in known:
            continue
        score = sum(len(k) for k in keywords if _keyword_hit(value, k))
        if score:
            scores[code] = score
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def describes_problem(text: str) -> bool:
    """Whether a first message says what is wrong (not just "I want to report something")."""
    rest = _GENERIC.sub(" ", text or "")
    cjk = len(CJK.findall(rest))
    words = len(_LATIN_WORD.findall(rest))
    return cjk >= 5 or words >= 4 or (cjk >= 3 and words >= 2)


def find_ticket_no(text: str) -> str | None:
    m = TICKET_NO.search((text or "").upper())
    return m[0] if m else None

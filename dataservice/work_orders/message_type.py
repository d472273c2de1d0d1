"""Message type cues: words with which citizens say outright what kind of message they send.

The model learns the type from the corpus; an explicit cue ("我要投诉", "举报", "I'd like to suggest")
is stronger evidence than anything learnt, so it is added to the model's probability (a text may
carry several cues: "投诉……建议" is a complaint with a suggestion, hence the priority order).
"""
from __future__ import annotations

import re

# Highest priority first; patterns run on folded text (simplified, lower case).
CUES: list[tuple[str, re.Pattern[str]]] = [
    ("report", re.compile(r"举报|检举|揭发|实名反映.{0,6}(违法|违规|贪污|受贿)|\breport(ing)? (an? )?(illegal|corrupt|brib)")),
    ("complaint", re.compile(r"投诉|\bcomplain|\bcomplaint")),
    ("praise", re.compile(r"表扬|点赞|致谢|锦旗|感谢信|\bpraise\b|\bcompliment(?!ary)|\bthank(s| you) (to|for)\b.{0,40}\b(staff|officer|team|worker)")),
    ("suggestion", re.compile(r"建议|提议|倡议|\bsuggest|\bpropos(e|al)\b|\bit would be (great|nice|better) if\b")),
    ("help", re.compile(r"求助|求救|救救|帮帮(我|忙)|\bplease help\b|\bneed (your )?help\b|\bsos\b")),
    ("consultation", re.compile(r"咨询|请问|想问|问一下|想了解|\benquir|\binquir|\bquestion about\b|\bi('d| would) like to know\b")),
]
CUE_WEIGHT = 0.6


def cue(folded_text: str) -> str | None:
    """The type the text names outright, if any."""
    for code, pattern in CUES:
        if pattern.search(folded_text):
            return code
    return None


def with_cue(probabilities: dict[str, float], code: str | None) -> dict[str, float]:
    """Model probabilities with the type the text names outright (`cue`) boosted, renormalised."""
    if code is None or code not in probabilities:
        return probabilities
    boosted = dict(probabilities)
    boosted[code] += CUE_WEIGHT
    total = sum(boosted.values())
    return {k: v / total for k, v in boosted.items()}

"""Which language a message is mostly in, and which language a citizen asks for.

The rule (docs/assistant.md): Chinese characters against English words, identifiers and numbers
neutral. "can I pay my 电费 online?" is English, "我的 passport 快过期了怎么办" is Chinese.
A message with no language signal ("1", "SH2026110500123", an emoji) keeps the current language.
Markup and web addresses are not words of either language: 「<script>alert(1)</script> 路灯坏了」
and 「https://www.example.com 这个网址打不开」 are Chinese.
"""
from __future__ import annotations

import re

from privacy.parsing import CJK

# Words of 2+ ASCII letters without digits: identifiers like SH2026... or AP26... are neutral.
_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’]+(?![A-Za-z0-9])")
# A Chinese word is about 1.7 characters long on average.
_CHARS_PER_WORD = 1.7
# HTML/XML tags and web addresses, left out of the count.
_NOT_LANGUAGE = re.compile(r"<[^<>]{0,200}>|\b(?:https?://|www\.)\S+", re.I)

_WANT_EN = re.compile(r"english|英文|英语|英語", re.I)
_WANT_ZH = re.compile(r"chinese|mandarin|中文|汉语|漢語|普通话|華語|华语", re.I)


def detect(text: str, current: str = "zh") -> str:
    if (text or "").lstrip().startswith("/"):
        return current  # a button payload such as /inform{"service": "passport"}
    text = _NOT_LANGUAGE.sub(" ", text or "")
    cjk = len(CJK.findall(text))
    words = len(_WORD.findall(text))
    if cjk == 0 and words == 0:
        return current
    return "zh" if cjk / _CHARS_PER_WORD >= words else "en"


def requested(text: str, current: str) -> str:
    """The language asked for in a change_language message; else the other one."""
    wants_en, wants_zh = bool(_WANT_EN.search(text or "")), bool(_WANT_ZH.search(text or ""))
    if wants_en and not wants_zh:
        return "en"
    if wants_zh and not wants_en:
        return "zh"
    return "en" if current == "zh" else "zh"

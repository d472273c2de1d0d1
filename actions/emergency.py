"""Danger now: a report that describes a fire, a gas leak, someone hurt or a crime in progress.

A 12345 work order is answered in working days; a citizen who writes 「楼道里一股煤气味」 or "a man
collapsed at the bus stop" must first hear the emergency numbers. The report still goes on (the
ticket is useful for the follow-up), and the words are conditional ("if anyone is in danger
now"), so a message that only mentions such a thing in the past costs one extra line, while a
missed emergency could cost much more: the patterns lean towards recall.
"""
from __future__ import annotations

import re
from functools import lru_cache

from actions.i18n import t

# (kind, pattern): the kinds decide which numbers are given. Chinese patterns match anywhere;
# English ones on word boundaries.
_PATTERNS = {
    # Not a bare 漏气 (a tyre leaks air too), nor smoke: barbecue smoke is a daily complaint.
    "gas": (r"(燃气|煤气|天然气)(管道?)?(泄[漏露]|漏气)|(燃气|煤气|天然气)味",
            r"gas leak(s|ing)?|leak(ing)? gas|smell(s|ing)? (of )?gas|gas smell"),
    "fire": (r"着火|起火|失火|火灾|烧起来|火情|爆炸",
             r"on fire|caught fire|a fire (in|at|on)|fire (broke|is spreading)|explosion|exploded"),
    "medical": (r"晕倒|昏倒|昏迷|不省人事|没有?呼吸|心脏病发|中风|大出血|流血不止|受伤|摔伤|溺水|落水|触电"
                r"|轻生|跳楼|自杀",
                r"collapsed|unconscious|not breathing|heart attack|stroke|bleeding|injured|"
                r"drowning|electrocuted|electric shock|suicide|kill (him|her|my)self"),
    "police": (r"抢劫|持刀|拿刀|砍人|打人|斗殴|打架|绑架|入室盗窃|正在偷|家暴",
               r"robbery|being robbed|mugged|(with|has|holding|waving|pulled) a knife|knife attack|"
               r"stabb(ed|ing)|attacking|assault(ed)?|"
               r"fighting in|break-in|break(ing)? in(to)?|burglar(s|y)?|kidnap(ped|ping)?|domestic violence"),
    "lift": (r"被?困(在)?电梯|电梯(里)?困人|电梯关人",
             r"(stuck|trapped) in (the |a )?(lift|elevator)"),
}
_COMPILED = {kind: (re.compile(zh), re.compile(rf"\b(?:{en})\b", re.I))
             for kind, (zh, en) in _PATTERNS.items()}

# Shanghai's numbers for each kind (a lift with people inside: 119 frees them; the gas
# companies' shared emergency line is 962777).
_NUMBERS = {
    "fire": ("火警 119", "fire 119"),
    "gas": ("燃气抢修 962777（先开窗通风，不要开关电器、不要用明火）",
            "gas emergency 962777 (open the windows; do not switch anything on or off, no flames)"),
    "medical": ("急救 120", "ambulance 120"),
    "police": ("报警 110", "police 110"),
    "lift": ("电梯困人 119（或电梯内的紧急呼叫按钮）", "trapped in a lift 119 (or the lift's alarm button)"),
}
_ORDER = ("fire", "gas", "lift", "medical", "police")


@lru_cache(maxsize=1)
def _simplified():
    import opencc  # as the NLU does (bot/nlu/traditional_chinese.py): 煤氣味 is 煤气味

    return opencc.OpenCC("t2s")


def emergencies(text: str) -> list[str]:
    """The kinds of danger the text describes, in the order their numbers are given."""
    if not text.isascii():
        text = _simplified().convert(text)
    found = {kind for kind, (zh, en) in _COMPILED.items() if zh.search(text) or en.search(text)}
    return [kind for kind in _ORDER if kind in found]


def warning(text: str, lang: str) -> str | None:
    """"If anyone is in danger now, call ..." for a text that describes danger, else None."""
    kinds = emergencies(text or "")
    if not kinds:
        return None
    numbers = [t(lang, *_NUMBERS[kind]) for kind in kinds]
    return t(lang, "如果现在有人身危险或险情正在发生，请立即拨打：" + "；".join(numbers)
             + "。12345 工单不是紧急救援渠道。",
             "If anyone is in danger or this is happening right now, call at once: "
             + "; ".join(numbers) + ". A 12345 report is not an emergency service.")

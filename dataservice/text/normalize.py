"""Text normalisation shared by the resolvers: what citizens type -> comparable units.

A text becomes a list of units: every Chinese character is one unit, every run of Latin letters or
digits is one unit. Traditional characters are folded to simplified (OpenCC t2s), full-width forms
and accents are folded (NFKC + stripped combining marks), Latin is lower-cased and lightly stemmed
("drivers" -> "driver") so aliases and queries meet in the same form.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import product
from typing import Iterable

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

from privacy.parsing import CJK_CHARS, has_cjk

_T2S = opencc.OpenCC("t2s")

CJK = "cjk"
LATIN = "lat"

_UNIT = re.compile(rf"[{CJK_CHARS}]|[a-z0-9]+")
# "driver's license" -> "driver license"; other apostrophes split words ("jing'an" -> "jing an").
_POSSESSIVE = re.compile(r"(?<=[a-z])['’]s\b")

# Words that carry no meaning for "which service/item is this" (used to weigh coverage only:
# a filler inside an alias still matches as part of that alias).
_EN_STOPWORDS = """
a an the i me my mine myself we us our you your he him his she her it its they them their
to for of in on at by from with about into onto as and or but if so than then also just only
is are am was were be been being do does did doing done have has had having will would shall
should can could may might must need needs needed want wanted wanna like please pls plz
hi hello hey dear thanks thank thx ok okay yes no not don t s m d ll re ve im u ur
how what where when which who whom why whats wheres hows there here this that these those
some any much many more most long take took cost costs fee fees price document documents
require required requirement requirements information info know tell help find show give
get got getting make making apply applying application applications renew renewing renewal
replace replacing new old lost process procedure procedures step steps way online office
shanghai sh china city local now still already again soon today up down one two
"""

_ZH_FILLERS = """
请问 你好 您好 哈喽 喂 谢谢 麻烦 请 帮我 帮忙 我想 我要 想要 想 要 我 你 您 他 她 我们 我家 家里 自己 本人
怎么 怎样 如何 怎么样 怎么办 咋 咋办 啥 什么 哪里 哪儿 在哪 在哪里 哪个 哪些 哪 多少 多少钱 多久 多长时间 几天
时间 钱 费用 收费 条件 材料 资料 流程 手续 步骤 办理 办 申请 申领 领取 需要 需 得 应该 可以 能 能不能 会
是 有 没有 在 去 到 给 把 和 跟 与 或者 还是 吗 呢 吧 啊 呀 嘛 哦 哈 了 的 地 着 过 个 一下 下 一个 这个
那个 这 那 上海 上海市 本市 沪 现在 今年 网上 线上 在线 窗口 现场 问 咨询 查 查询 知道 告诉 一些 相关 政策
规定 问题 事 事情 情况 关于 为了 因为 所以 如果 已经 刚 刚刚 还 也 都 就 又 再 新 旧 准备 带 拿 交 搞 弄
东西 换 补 续 更换 重新 手续费 网点 地方 哪家 几 号 天 周 月 年 一 二 两 次 请教 好 急 快 吗 么
"""

# Words right before a mention that make it a means, not the goal: "办护照要带身份证吗",
# "用身份证办社保卡", "持居住证能申请公租房吗", "apply for a passport with my ID card".
SECONDARY_MARKERS = frozenset("""
带 用 凭 拿 持 有 携带 凭借 持有 需要 要带 需带 使用 with bring using use
""".split())
# Words ending in a one-character marker that are not markers ("住院费用报销").
_NOT_MARKERS = frozenset("""
费用 信用 应用 作用 有用 没用 采用 所有 只有 还有 没有 具有 拥有 一带 附带 领带 支持 保持 坚持 主持 维持 劫持
""".split())


def fold(text: str) -> str:
    """NFKC, accents off, lower case, traditional -> simplified."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _T2S.convert(text.lower())


def stem(word: str) -> str:
    """Tiny English plural folding, applied identically to aliases and queries."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word.isdigit():
        return word[:-1]
    return word


def units(text: str) -> tuple[list[str], list[str]]:
    """Split text into units and their kinds (CJK or LATIN)."""
    text = _POSSESSIVE.sub("", fold(text))
    out: list[str] = []
    kinds: list[str] = []
    for m in _UNIT.finditer(text):
        u = m.group()
        if has_cjk(u):
            out.append(u)
            kinds.append(CJK)
        else:
            out.append(stem(u))
            kinds.append(LATIN)
    return out, kinds


@dataclass(frozen=True)
class Fillers:
    """Filler words: English stopwords (compared after stemming) and Chinese filler phrases."""

    latin: frozenset[str]
    cjk: frozenset[str]

    @classmethod
    def of(cls, words: Iterable[str]) -> "Fillers":
        latin, cjk = set(), set()
        for word in words:
            us, kinds = units(word)
            if len(us) == 1 and kinds[0] == LATIN:
                latin.add(us[0])
            elif us and all(k == CJK for k in kinds):
                cjk.add("".join(us))
        return cls(frozenset(latin), frozenset(cjk))

    def __or__(self, other: "Fillers") -> "Fillers":
        return Fillers(self.latin | other.latin, self.cjk | other.cjk)

    @cached_property
    def cjk_prefixes(self) -> frozenset[str]:
        return frozenset(w[:k] for w in self.cjk for k in range(1, len(w) + 1))


def filler_mask(us: list[str], kinds: list[str], fillers: Fillers | None = None) -> list[bool]:
    """True where a unit is filler (stopword, 请问/怎么/办理...)."""
    fillers = fillers or DEFAULT_FILLERS
    prefixes = fillers.cjk_prefixes
    mask = [False] * len(us)
    i = 0
    n = len(us)
    while i < n:
        if kinds[i] == LATIN:
            mask[i] = us[i] in fillers.latin
            i += 1
            continue
        # Longest filler phrase starting here, among consecutive CJK units.
        phrase, j, longest = "", i, 0
        while j < n and kinds[j] == CJK:
            phrase += us[j]
            if phrase not in prefixes:
                break
            j += 1
            if phrase in fillers.cjk:
                longest = j - i
        for p in range(i, i + longest):
            mask[p] = True
        i += max(longest, 1)
    return mask


_DETERMINERS = frozenset("a an the my your our his her their".split())


def secondary_mentions(us: list[str]) -> list[bool]:
    """True at positions right after a SECONDARY_MARKERS word ("with my" counts as "with")."""
    out = [False] * len(us)
    for i in range(1, len(us)):
        prev, before = us[i - 1], us[i - 2] if i > 1 else ""
        pair = before + prev
        out[i] = (pair in SECONDARY_MARKERS
                  or (prev in SECONDARY_MARKERS and pair not in _NOT_MARKERS)
                  or (prev in _DETERMINERS and before in SECONDARY_MARKERS))
    return out


DEFAULT_FILLERS = Fillers.of(_EN_STOPWORDS.split() + _ZH_FILLERS.split())


@lru_cache(maxsize=65536)
def primary_pinyin(char: str) -> str:
    """The most common toneless reading of one character (the query side of homophone matching)."""
    if not has_cjk(char):
        return char
    readings = pinyin(char, style=Style.NORMAL, errors="ignore")
    # Rare characters have no reading: the character itself then only meets itself.
    return readings[0][0] if readings and readings[0] and readings[0][0] else char


def pinyin_variants(chars: str, cap: int = 64) -> set[tuple[str, ...]]:
    """Toneless readings of a CJK string: every heteronym combination (capped) plus the contextual one.

    Aliases get all readings so that a query spelled with either reading of 长 (chang/zhang) or
    typed with a homophone (居住正 for 居住证) still meets them.
    """
    per_char = [sorted(set(r)) for r in pinyin(chars, style=Style.NORMAL, heteronym=True,
                                                errors="ignore")]
    out = {tuple(lazy_pinyin(chars, style=Style.NORMAL, errors="ignore"))}
    out.add(tuple(primary_pinyin(c) for c in chars))
    total = 1
    for readings in per_char:
        total *= max(1, len(readings))
    if len(per_char) == len(chars) and total <= cap:
        out.update(product(*per_char))
    return {v for v in out if len(v) == len(chars)}

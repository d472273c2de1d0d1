"""Where a citizen's message says something happened: district, road (with house number), landmark.

Districts are found from the districts table's names and aliases (including well-known places such
as 徐家汇 or 五角场, which the table lists as aliases); the longest mention wins, the earliest on a
tie. Roads and landmarks are found by their suffixes (路/街/大道/弄 with a house number; 小区, 公园,
地铁站 …; "Road", "Park" …). Rules only: cheap, and nothing to train.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from dataservice.text.normalize import fold
from privacy.parsing import CJK_CHARS as _CJK

# Characters that end a place name when read leftwards from its suffix: function words and the
# administrative units before a road ("徐汇区漕溪北路" -> 漕溪北路).
_STOP = "的在了是我你他她家楼下里和与及从到去来走往向对把被给说有没很都也就还又再区市县省门口旁边附近前后，。、；：！？ "
_NAME = rf"[{_CJK}A-Za-z0-9]"
_ROAD_SUFFIX = r"(?:大道|公路|高速|路|街|巷|弄)"
_HOUSE = r"(?:\d+(?:弄|号|號|支弄)(?:\d+(?:号|號))?)?"
_ROAD_ZH = re.compile(rf"((?:(?![{_STOP}]){_NAME}){{1,8}}?{_ROAD_SUFFIX}{_HOUSE})")
_LANDMARK_SUFFIX = (r"(?:小区|社区|新村|花园|公寓|大厦|广场|公园|地铁站|火车站|汽车站|站|医院|卫生服务中心|"
                    r"学校|中学|小学|幼儿园|大学|商场|菜场|菜市场|市场|体育馆|图书馆|博物馆|村|苑|城)")
# A station's exit or a building's gate belongs to the place: 人民广场地铁站2号口, 徐家汇地铁站3号出口.
_EXIT_ZH = r"(?:地铁站|站)?(?:\d+号(?:出入口|出口|口|门)|[A-Za-z]?\d+出口)?"
# 家 ends a place in 我家楼下 but not in 徐家汇 or 张家浜: a landmark needs two characters before its
# suffix, so "家" alone never makes one.
_LANDMARK_STOP = _STOP.replace("家", "")
_LANDMARK_ZH = re.compile(rf"((?:(?![{_LANDMARK_STOP}])[{_CJK}A-Za-z]){{2,10}}?{_LANDMARK_SUFFIX}{_EXIT_ZH})")
_EN_NAME = r"(?:[A-Z][a-zA-Z'’.-]*\s+){1,4}"
_ROAD_EN = re.compile(rf"((?:(?:No\.?\s*)?\d+[A-Za-z]?,?\s+|Lane\s+\d+,?\s+)?{_EN_NAME}"
                      r"(?:Road|Rd\.?|Street|St\.?|Avenue|Ave\.?|Boulevard|Highway|Lane|Expressway)\b)")
_METRO_EN = r"(?:[Mm]etro|[Ss]ubway)(?:\s+[Ss]tation)?"
_LANDMARK_EN = re.compile(rf"({_EN_NAME}(?:{_METRO_EN}|Park|Square|Plaza|[Ss]tation|Hospital|School|"
                          r"University|Mall|Market|Garden|Gardens|Apartments|Residence|Community|Stadium|"
                          rf"Library|Museum)\b(?:\s+{_METRO_EN})?(?:,?\s+[Ee]xit\s+\d+[A-Za-z]?\b)?)")
# Words that introduce a place rather than belong to it: 地址改成漕溪北路150号, 位置是人民广场.
_LEAD_ZH = re.compile(r"^(?:(?:地址|位置|地点|门牌号?)(?:应该)?(?:改成|改为|改到|写成|是|在)?|改成|改为|改到|应该是)+")
# Words that look like a road or landmark by their suffix but are not places.
_NOT_PLACES = {"马路", "道路", "公路", "街道", "小区", "社区", "学校", "医院", "公园", "广场", "市场", "地铁站",
               "车站", "这条路", "那条路", "走路", "一路", "上路", "路", "城"}


@dataclass(frozen=True)
class Location:
    district: str | None  # district code
    road: str | None
    landmark: str | None


class LocationExtractor:
    def __init__(self, districts: Iterable[tuple[str, str, str, Iterable[str]]]):
        """`districts`: rows of (code, name_zh, name_en, aliases) from the districts table."""
        zh: dict[str, str] = {}
        latin: dict[str, str] = {}
        for code, name_zh, name_en, aliases in districts:
            for alias in (name_zh, name_en, *aliases):
                folded = fold(str(alias)).strip()
                if len(folded) < 2:
                    continue
                (latin if folded.isascii() else zh)[folded] = code
        self._aliases = {**zh, **latin}
        # One alternation per script, longest alias first, so a text is scanned twice, not once per
        # alias (a pattern per alias cost ~20 ms on a 2,000-character message). Latin aliases match
        # as whole words ("pudong", "the bund").
        self._zh_pattern = _alternation(zh, "", "")
        self._latin_pattern = _alternation(latin, r"\b", r"\b")

    def extract(self, text: str, folded: str | None = None) -> Location:
        """`folded`: `fold(text)` when the caller has it already."""
        folded = fold(text) if folded is None else folded
        return Location(self._district(folded), _first(_ROAD_ZH, _ROAD_EN, text, folded),
                        _first(_LANDMARK_ZH, _LANDMARK_EN, text, folded))

    def _district(self, folded: str) -> str | None:
        """The longest alias mentioned; the earliest on a tie."""
        best: tuple[int, int, str] | None = None  # (-length, start, code)
        for pattern in (self._zh_pattern, self._latin_pattern):
            for m in pattern.finditer(folded) if pattern is not None else ():
                candidate = (-len(m.group()), m.start(), self._aliases[m.group()])
                best = min(best, candidate) if best else candidate
        return best[2] if best else None


def _alternation(aliases: dict[str, str], before: str, after: str) -> re.Pattern[str] | None:
    if not aliases:
        return None
    options = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
    return re.compile(f"{before}(?:{options}){after}")


def _first(zh: re.Pattern[str], en: re.Pattern[str], text: str, folded: str) -> str | None:
    # Chinese rules run on the simplified text; the original characters are returned when the
    # conversion kept the length (it does for almost everything), so a Traditional text keeps its own.
    same = len(folded) == len(text)
    for m in zh.finditer(folded):
        lead = _LEAD_ZH.match(m.group(1))
        start = m.start(1) + (lead.end() if lead else 0)
        found = folded[start:m.end(1)]
        if len(found) > 1 and found not in _NOT_PLACES and not found.isdigit():
            return text[start:m.end(1)] if same else found
    m = en.search(text)
    return m.group(1).strip() if m else None

"""Which statutory holiday a citizen's words name: "过年", "五一", "十一", "golden week", "CNY", a
holiday's code... Text is folded first (traditional -> simplified, full-width, case), so "過年" and
"ＣＮＹ" match too. The order matters: "chinese new year" is the Spring Festival, not New Year's Day."""
from __future__ import annotations

import re

from dataservice.holidays.statutory import StatutoryHoliday, by_code
from dataservice.text.normalize import fold

# A Chinese numeral before or a unit after makes "十一" / "五一" part of a number, a date or another
# day ("二十一", "十一月", "十一点", "五一路", "双十一"), not the holiday.
_NOT_IN_NUMBER = r"(?<![一二三四五六七八九十百第双])"
_NOT_A_DATE = r"(?![月日号点路])"

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("spring_festival", r"春节|过年|大年|新春|农历新年|中国新年|chinese new year|lunar new year"
                        r"|spring festival|\bcny\b|chunjie"),
    ("new_years_day", r"元旦|新年|new year|yuandan"),
    ("tomb_sweeping_day", r"清明|qingming|ching ming|tomb[- ]?sweeping"),
    ("labour_day", rf"劳动节|{_NOT_IN_NUMBER}五一{_NOT_A_DATE}|labou?r day|may day"
                   r"|workers'? day|may golden week"),
    ("dragon_boat_festival", r"端午|端阳|dragon boat|duanwu"),
    ("mid_autumn_festival", r"中秋|八月十五|mid[- ]?autumn|moon ?cake festival|moon festival"
                            r"|zhongqiu"),
    ("national_day", rf"国庆|{_NOT_IN_NUMBER}十一{_NOT_A_DATE}|national day|golden week|guoqing"),
)
_MATCHERS = tuple((by_code(code), re.compile(pattern)) for code, pattern in _PATTERNS)


def find_holiday(text: str) -> StatutoryHoliday | None:
    """The holiday the text names (or whose code it is), else None."""
    folded = fold(text).strip()
    exact = by_code(folded.replace("-", "_").replace(" ", "_"))
    if exact:
        return exact
    return next((holiday for holiday, pattern in _MATCHERS if pattern.search(folded)), None)

"""The seven statutory public holidays of China (全体公民放假的节日, since 2008): a stable code, the names
in both languages, the name the `chinesecalendar` package gives it, and the rule that places the
festival in a year (a Gregorian date, a lunar date, or a solar term)."""
from __future__ import annotations

from dataclasses import dataclass

GREGORIAN, LUNAR, SOLAR_TERM = "gregorian", "lunar", "solar_term"


@dataclass(frozen=True)
class StatutoryHoliday:
    code: str
    zh: str
    en: str
    calendar_key: str  # its chinese_calendar.Holiday value
    rule: str          # GREGORIAN, LUNAR or SOLAR_TERM
    month: int = 0     # of the Gregorian or lunar date
    day: int = 0
    term: str = ""     # the solar term's Chinese name

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


STATUTORY: tuple[StatutoryHoliday, ...] = (
    StatutoryHoliday("new_years_day", "元旦", "New Year's Day", "New Year's Day", GREGORIAN, 1, 1),
    StatutoryHoliday("spring_festival", "春节", "Spring Festival", "Spring Festival", LUNAR, 1, 1),
    StatutoryHoliday("tomb_sweeping_day", "清明节", "Qingming Festival (Tomb-sweeping Day)",
                     "Tomb-sweeping Day", SOLAR_TERM, term="清明"),
    StatutoryHoliday("labour_day", "劳动节", "Labour Day", "Labour Day", GREGORIAN, 5, 1),
    StatutoryHoliday("dragon_boat_festival", "端午节", "Dragon Boat Festival", "Dragon Boat Festival",
                     LUNAR, 5, 5),
    StatutoryHoliday("mid_autumn_festival", "中秋节", "Mid-Autumn Festival", "Mid-autumn Festival",
                     LUNAR, 8, 15),
    StatutoryHoliday("national_day", "国庆节", "National Day", "National Day", GREGORIAN, 10, 1),
)
_BY_CODE = {h.code: h for h in STATUTORY}


def by_code(code: str) -> StatutoryHoliday | None:
    return _BY_CODE.get(code)

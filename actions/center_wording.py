"""How the centre answers word things: kinds of centre the citizen names, day labels, a centre's
hours on one day, and which centres an answer is about. (Holidays named instead of a date are the
data service's to read: `GET /v1/calendar/holidays/next`.)"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from actions import dates
from actions.api.models import Centre, DayHours
from actions.i18n import t
from privacy.parsing import month_name_en, weekday_name


@dataclass(frozen=True)
class Kind:
    """A kind of centre the citizen names ("社区事务受理中心", "exit-entry hall")."""
    triggers: tuple[str, ...]   # in the citizen's text (lower case)
    markers: tuple[str, ...]    # in a centre's name, zh or en (lower case)
    zh: str
    en: str

    def matches(self, center: Centre) -> bool:
        name = center.name.lower()
        return any(m in name for m in self.markers)


KINDS = (
    Kind(("社区事务", "社区中心", "社区受理", "街道", "community", "subdistrict"),
         ("社区事务", "community affairs"), "社区事务受理服务中心", "community affairs centres"),
    Kind(("出入境", "exit-entry", "exit entry", "immigration"), ("出入境", "exit-entry"),
         "出入境接待大厅", "exit-entry halls"),
    Kind(("婚姻登记", "婚登", "民政局", "marriage"), ("婚姻", "marriage"), "婚姻登记中心",
         "marriage registration centres"),
    Kind(("车管所", "车辆管理", "vehicle", "dmv"), ("车辆管理", "vehicle"), "车管所",
         "vehicle administration offices"),
    Kind(("不动产", "real estate"), ("不动产", "real estate"), "不动产登记中心",
         "real estate registration centres"),
    Kind(("社保中心", "社会保险", "social insurance"), ("社会保险", "social insurance"),
         "社会保险服务中心", "social insurance centres"),
    Kind(("户政", "household registration"), ("户政", "household registration"), "户政服务大厅",
         "household registration halls"),
    Kind(("公积金中心", "公积金管理", "provident fund"), ("公积金", "provident fund"),
         "公积金管理中心", "housing provident fund centres"),
    Kind(("行政服务中心", "市民中心", "administrative service", "admin service", "citizen cent"),
         ("行政服务", "市民中心", "administrative service", "citizen centre"),
         "行政服务中心", "administrative service centres"),
)


def day_label(day: date, lang: str, short: bool = False) -> str:
    today = dates.today()
    relative = {0: ("今天", "today"), 1: ("明天", "tomorrow")}.get((day - today).days)
    if lang == "en":
        label = f"{weekday_name(day.weekday(), 'en')} {day.day} {month_name_en(day.month, short=False)}"
        if day.year != today.year:
            label += f" {day.year}"
        if relative:
            return relative[1].capitalize() if short else f"{relative[1]} ({label})"
        return label
    year = f"{day.year}年" if day.year != today.year else ""
    label = f"{year}{day.month}月{day.day}日（{weekday_name(day.weekday(), 'zh')}）"
    if relative:
        return relative[0] if short else f"{relative[0]} {label}"
    return label


def ranges_text(ranges: list, lang: str) -> str:
    return t(lang, "、", ", ").join(f"{a}–{b}" for a, b in ranges)


def hours_text(hours: DayHours, lang: str) -> str:
    """Open ranges, or closed with the reason, for one centre on one day."""
    if hours.open:
        return ranges_text(hours.ranges, lang)
    reason = hours.reason
    holiday = hours.holiday.name if hours.holiday else None
    if reason == "statutory_holiday":
        return t(lang, f"休息（{holiday}）", f"closed ({holiday})")
    if reason == "weekend":
        return t(lang, "休息（周末）", "closed (weekend)")
    if reason == "makeup_workday":
        return t(lang, "不办公（调休日）", "closed (make-up working day)")
    return t(lang, "不办公", "closed")


def day_note(sample: DayHours, day_text: str, lang: str) -> str:
    """What kind of day it is: statutory holiday, make-up working day; no calendar yet."""
    holiday = sample.holiday.name if sample.holiday else None
    notes = []
    if sample.reason == "statutory_holiday":
        notes.append(t(lang, f"{day_text}是{holiday}法定节假日。",
                       f"{day_text[:1].upper()}{day_text[1:]} is a statutory public holiday ({holiday})."))
    elif sample.reason == "makeup_workday":
        notes.append(t(lang, f"{day_text}是{holiday}调休工作日，按工作日时间办公。",
                       f"{day_text[:1].upper()}{day_text[1:]} is an official make-up working day "
                       f"({holiday}): weekday hours apply."))
    if sample.holiday_data is False:
        notes.append(t(lang, "（该年度法定节假日安排尚未公布，以上按常规每周时间推算，请以中心公告为准。）",
                       "(The official holiday calendar for that year is not published yet; this "
                       "follows the regular weekly schedule, so please check the centre's notices.)"))
    return "".join(notes) if lang == "zh" else " ".join(notes)


@dataclass
class Scope:
    """Which centres the answer is about, in words."""
    district_name: str | None
    service_name: str | None
    kind: Kind | None

    def label(self, lang: str) -> str:
        if lang == "en":
            what = self.kind.en if self.kind else "service centres"
            if self.service_name:
                what += f" for {self.service_name}"
            return what + (f" in {self.district_name}" if self.district_name else " in Shanghai")
        where = self.district_name or "全市"
        what = self.kind.zh if self.kind else "受理中心"
        return f"{where}能办理「{self.service_name}」的{what}" if self.service_name else f"{where}的{what}"

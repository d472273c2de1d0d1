"""Service centres and office hours.

`action_answer_center_question` answers the centre question of the dialogue (find_service_center
or ask_office_hours, the intent of the message that asked it) for the `district` slot and, when it
applies, the `service` slot: `GET /v1/centers?district=&service=&lang=`, then the holiday-aware
`GET /v1/centers/{id}/hours?date=&lang=` for the day asked about (the `date` slot, today by default).
center_form asks for the district first; validate_center_form skips that question when the service
is handled at only a few centres in the whole city.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dates
from actions.api.dataservice import DataServiceUnavailable, NotFound
from actions.api.gateway import get_gateway
from actions.api.models import Centre, DayHours
from actions.base import DataAction
from actions.i18n import lang_of, t
from actions.listing import REST_SLOT, send_next_page

FIND, HOURS = "find_service_center", "ask_office_hours"
CENTER_QUESTIONS = (FIND, HOURS)
MAX_LISTED = 3        # centres described in full (address, phone, hours)
MAX_HOURS_LINES = 4   # centres listed in an office-hours answer
FEW_CENTERS = 3       # a service handled at this many centres or fewer needs no district
MAX_HOURS_CALLS = 20
COMMON_DISTRICTS = ("pudong", "xuhui", "jingan", "huangpu", "minhang", "yangpu")
MAX_DISTRICT_BUTTONS = 6
LISTING_SLOT = "center_list"  # where a cut list stopped, for "show the rest"

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


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

# Holidays named instead of a date ("国庆节开门吗"). Lunar-calendar ones move every year.
_HOLIDAYS = (
    (re.compile(r"春节|过年|大年|chinese new year|lunar new year|spring festival"), "春节",
     "Spring Festival", {2026: (2, 17), 2027: (2, 6), 2028: (1, 26)}),
    (re.compile(r"元旦|new year"), "元旦", "New Year's Day", (1, 1)),
    (re.compile(r"清明|qingming|tomb"), "清明节", "Qingming Festival",
     {2026: (4, 5), 2027: (4, 5), 2028: (4, 4)}),
    (re.compile(r"劳动节|五一|labou?r day|may day"), "劳动节", "Labour Day", (5, 1)),
    (re.compile(r"端午|dragon boat"), "端午节", "Dragon Boat Festival",
     {2026: (6, 19), 2027: (6, 9), 2028: (5, 28)}),
    (re.compile(r"中秋|mid-?\s?autumn|moon festival"), "中秋节", "Mid-Autumn Festival",
     {2026: (9, 25), 2027: (9, 15), 2028: (10, 3)}),
    (re.compile(r"国庆|十一(?!月)|national day|golden week"), "国庆节", "National Day", (10, 1)),
)


@dataclass
class Holiday:
    day: date
    zh: str
    en: str


def holiday_date(span: str, base: date | None = None) -> Holiday | None:
    """The next occurrence (today or later) of a holiday named in `span`."""
    base = base or dates.today()
    text = (span or "").lower()
    for pattern, zh, en, when in _HOLIDAYS:
        if not pattern.search(text):
            continue
        for year in (base.year, base.year + 1, base.year + 2):
            month_day = when if isinstance(when, tuple) else when.get(year)
            if month_day and date(year, *month_day) >= base:
                return Holiday(date(year, *month_day), zh, en)
        return None
    return None


# -- what the citizen asked ---------------------------------------------------------------------

@dataclass
class Asked:
    """The centre question and the citizen's answers to the form since (not the digressions)."""
    question: str
    texts: list[str] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    # The `service` slot right after the question's turn; (False, None) if no event ever set it.
    service_then: tuple[bool, Any] = (False, None)

    def mentioned(self, entity: str) -> list[str]:
        return [str(e.get("value")) for e in self.entities
                if e.get("entity") == entity and e.get("value")]

    def kind(self) -> Kind | None:
        text = " ".join(self.texts).lower()
        return next((k for k in KINDS if any(trigger in text for trigger in k.triggers)), None)

    def service(self, tracker: Tracker) -> str | None:
        """The service that narrows the answer.

        Named in the question or an answer: that one. Else a service from earlier in the
        conversation ("去哪里办?" after a passport question), unless the citizen names a kind of
        centre instead, and not one that only came up in a digression after the question.
        """
        current = tracker.get_slot("service")
        if self.mentioned("service"):
            return current
        if self.kind():
            return None
        found, then = self.service_then
        return then if found else current


def _intent(event: dict) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def asked(tracker: Tracker) -> Asked:
    events = list(tracker.events or [])
    start = next((i for i in range(len(events) - 1, -1, -1)
                  if events[i].get("event") == "user" and _intent(events[i]) in CENTER_QUESTIONS),
                 None)
    if start is None:  # no centre question in the history: the latest message is all we have
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        result = Asked(intent if intent in CENTER_QUESTIONS else FIND)
        result.texts.append(latest.get("text") or "")
        result.entities += latest.get("entities") or []
        return result
    result = Asked(_intent(events[start]))
    messages = [events[start]] + [e for e in events[start + 1:]
                                  if e.get("event") == "user" and _intent(e) == "inform"]
    for message in messages:
        parse = message.get("parse_data") or {}
        result.texts.append(message.get("text") or parse.get("text") or "")
        result.entities += parse.get("entities") or []
    turn_end = next((i for i in range(start + 1, len(events)) if events[i].get("event") == "user"),
                    len(events))
    # Slots only change through events, so with no `service` event at all the slot is as given.
    service_events = [i for i, e in enumerate(events)
                      if e.get("event") == "slot" and e.get("name") == "service"]
    if service_events:
        before = [i for i in service_events if i < turn_end]
        result.service_then = (True, events[before[-1]].get("value") if before else None)
    return result


# -- wording -----------------------------------------------------------------------------------

def day_label(day: date, lang: str, short: bool = False) -> str:
    today = dates.today()
    relative = {0: ("今天", "today"), 1: ("明天", "tomorrow")}.get((day - today).days)
    if lang == "en":
        label = f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]}"
        if day.year != today.year:
            label += f" {day.year}"
        if relative:
            return relative[1].capitalize() if short else f"{relative[1]} ({label})"
        return label
    year = f"{day.year}年" if day.year != today.year else ""
    label = f"{year}{day.month}月{day.day}日（{_WEEKDAYS_ZH[day.weekday()]}）"
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


# -- the answer --------------------------------------------------------------------------------

class ActionAnswerCenterQuestion(DataAction):
    def name(self) -> str:
        return "action_answer_center_question"

    async def _centers(self, lang: str, district: str | None, service: str | None) -> list[Centre]:
        try:
            return await self.gateway.centres(lang, district=district, service=service)
        except NotFound:  # a stale or unknown code: nothing matches
            return []

    async def _hours(self, center_id: str, day: date, lang: str) -> DayHours | None:
        try:
            return await self.gateway.hours(center_id, day.isoformat(), lang)
        except NotFound:
            return None

    @staticmethod
    def _day(tracker: Tracker, what: Asked) -> tuple[date, Holiday | None]:
        """The day asked about: the `date` slot if this question named a date the context action
        could parse, else a holiday named ("国庆节"), else a day the question's text names, else
        today (an old date never leaks in)."""
        spans = what.mentioned("date")
        if any(dates.parse(span) for span in spans) and tracker.get_slot("date"):
            try:
                return date.fromisoformat(tracker.get_slot("date")), None
            except ValueError:
                pass
        holiday = next(filter(None, (holiday_date(span) for span in spans)), None)
        if holiday:
            return holiday.day, holiday
        # The entity model can miss a day inside a long sentence ("…受理中心周六开门吗"): the
        # citizen's own words of this question still name it.
        named = next(filter(None, (dates.parse(text) for text in what.texts)), None)
        return named or dates.today(), None

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        done = [SlotSet("date", None)]  # a date belongs to one question: never leak it to the next
        what = asked(tracker)
        kind = what.kind()
        district = tracker.get_slot("district")
        service = what.service(tracker)

        day, holiday = self._day(tracker, what)

        if not district and not service:  # center_form normally makes sure of one of them
            await ActionAskCenterFormDistrict().run(dispatcher, tracker, domain)
            return []

        centers = await self._centers(lang, district, service)
        missing_in_district = None
        if not centers and service and district:
            missing_in_district = await self.gateway.district_name(district, lang)
            centers, district = await self._centers(lang, None, service), None
        if kind:
            narrowed = [c for c in centers if kind.matches(c)]
            centers, kind = (narrowed, kind) if narrowed else (centers, None)
        if not centers:
            dispatcher.utter_message(text=t(
                lang, "抱歉，没有找到符合条件的受理中心。您可以换个区或事项再问我，也可以拨打 12345 市民服务热线咨询。",
                "Sorry, I couldn't find a matching service centre. Try another district or service, "
                "or call the 12345 citizen hotline."))
            return done

        scope = self._scope(centers, district, service, kind)
        lead = ""
        if missing_in_district:
            lead = t(lang, f"{missing_in_district}没有能办理「{scope.service_name}」的中心，全市可以办理的地点如下。\n",
                     f"No centre in {missing_in_district} handles {scope.service_name}; these centres "
                     "elsewhere in Shanghai do.\n")
        listing = {"question": what.question, "district": district, "service": service,
                   "kind": kind.zh if kind else None, "day": day.isoformat(), "shown": 0,
                   "narrowed": bool(service or kind)}
        return done + await self._reply(dispatcher, centers, scope, listing, holiday, lang, lead)

    @staticmethod
    def _scope(centers: list[Centre], district: str | None, service: str | None,
               kind: Kind | None) -> Scope:
        service_name = next((s.name for s in centers[0].services
                             if s.code == service), service) if service else None
        district_name = centers[0].district.name if district and centers[0].district else None
        return Scope(district_name, service_name, kind)

    async def _reply(self, dispatcher: CollectingDispatcher, centers: list[Centre], scope: Scope,
                     listing: dict, holiday: Holiday | None, lang: str,
                     lead: str = "") -> list[dict[str, Any]]:
        """One page of the answer from `listing["shown"]` on; a cut list offers the rest with a
        button and remembers where it stopped (the `center_list` slot)."""
        day, start = date.fromisoformat(listing["day"]), listing["shown"]
        if listing["question"] == HOURS:
            text, end, total = await self._office_hours(centers, scope, day, holiday, lang, start)
        else:
            text, end, total = await self._find(centers, scope, day, lang, listing["narrowed"], start)
        buttons = []
        if end < total:
            buttons = [{"title": t(lang, f"显示其余 {total - end} 个", f"Show the other {total - end}"),
                        "payload": "/show_more"}]
        dispatcher.utter_message(text=lead + text, buttons=buttons)
        if end < total:  # this list is now the one "show the rest" continues
            return [SlotSet(LISTING_SLOT, {**listing, "shown": end}), SlotSet(REST_SLOT, None)]
        return [SlotSet(LISTING_SLOT, None)]

    async def _find(self, centers: list[Centre], scope: Scope, day: date, lang: str,
                    narrowed: bool, start: int = 0) -> tuple[str, int, int]:
        """(text, where this page ends, how many in all)."""
        listed = centers[start:start + MAX_LISTED]
        hours = await asyncio.gather(*(self._hours(c.id, day, lang) for c in listed))
        label = scope.label(lang)
        if start:
            lines = [t(lang, f"{label}（续，共 {len(centers)} 个）：",
                       f"{label[:1].upper()}{label[1:]} (continued, {len(centers)} in all):")]
        else:
            lines = [t(lang, f"{label}共 {len(centers)} 个：",
                       f"{label[:1].upper()}{label[1:]}: {len(centers)} in all.")]
        when = day_label(day, lang, short=True)
        for i, (center, today) in enumerate(zip(listed, hours), start + 1):
            lines.append(f"{i}. {center.name}")
            lines.append(t(lang, f"   地址：{center.address} ｜ 电话：{center.phone}",
                           f"   Address: {center.address} | Phone: {center.phone}"))
            if today:
                lines.append(f"   {when}{t(lang, '：', ': ')}{hours_text(today, lang)}")
            lines.append(t(lang, f"   平时：{center.hours_summary}",
                           f"   Usual hours: {center.hours_summary}"))
        end = start + len(listed)
        more = len(centers) - end
        if more > 0:
            lines.append(t(lang, f"另有 {more} 个中心未列出。", f"{more} more not listed."))
            if not narrowed and not start:
                # Phrased as whole questions: a bare "居住证" outside a form has no rule to go to.
                where = scope.district_name or t(lang, "浦东", "Pudong")
                lines.append(t(lang, f"可以问得更具体些，比如“{where}哪里能办居住证”或“{where}的社区事务受理中心在哪”。",
                               f"You can narrow it down, e.g. \"where can I get a residence permit in "
                               f"{where}\" or \"community affairs centres in {where}\"."))
        return "\n".join(lines), end, len(centers)

    async def _office_hours(self, centers: list[Centre], scope: Scope, day: date,
                            holiday: Holiday | None, lang: str,
                            start: int = 0) -> tuple[str, int, int]:
        """(text, where this page ends, how many in all); open centres are listed first."""
        centers = centers[:MAX_HOURS_CALLS]
        results = await asyncio.gather(*(self._hours(c.id, day, lang) for c in centers))
        known = [(c, h) for c, h in zip(centers, results) if h]
        if not known:
            raise DataServiceUnavailable("no hours")
        day_text = day_label(day, lang)
        # "Today (Sunday 29 November), ..." / "On Saturday 5 December, ..."
        relative = (day - dates.today()).days in (0, 1)
        when = day_text[:1].upper() + day_text[1:] if relative else f"On {day_text}"
        sample = known[0][1]
        label = scope.label(lang)

        if holiday and sample.reason != "statutory_holiday" and not sample.holiday_data:
            # The official calendar for that year is not out yet: say what is certain.
            text = t(lang,
                     f"{day_text}是{holiday.zh}，属于法定节假日，{label}按规定休息。"
                     f"该年度的放假和调休安排尚未公布，请以届时的官方通知为准。"
                     f"平时办公时间：{known[0][0].hours_summary}",
                     f"{day_text[:1].upper()}{day_text[1:]} is {holiday.en}, a statutory public "
                     f"holiday, when {label} are closed. The official holiday schedule for that "
                     f"year is not published yet, so please check nearer the time. Usual hours: "
                     f"{known[0][0].hours_summary}")
            return text, len(known), len(known)

        open_ = [(c, h) for c, h in known if h.open]
        closed = [(c, h) for c, h in known if not h.open]
        n, k = len(known), len(open_)
        end = n  # nothing left to show, unless a list of centres is cut below
        if k == 0:
            reason = hours_text(sample, lang)
            head = t(lang, f"{day_text}，{label}都不开门：{reason}。",
                     f"{when}, {label} are not open: {reason}.")
            if n > 1:
                head = t(lang, f"{day_text}，{label}（共 {n} 个）都不开门：{reason}。",
                         f"{when}, none of the {n} {label} are open: {reason}.")
            lines = [head, t(lang, f"平时办公时间：{known[0][0].hours_summary}",
                             f"Usual hours: {known[0][0].hours_summary}")]
        elif start:
            lines = [t(lang, f"{day_text}，{label}（续）：", f"{when}, {label} (continued):")]
        else:
            if n == 1:
                head = t(lang, f"{day_text}，{label}开门：", f"{when}, {label}: open.")
            elif k == n:
                head = t(lang, f"{day_text}，{label}共 {n} 个，都开门：",
                         f"{when}, all {n} {label} are open:")
            else:
                head = t(lang, f"{day_text}，{label}共 {n} 个，其中 {k} 个开门：",
                         f"{when}, {k} of the {n} {label} are open:")
            lines = [head]
        if k:
            ordered = open_ + closed  # open ones first: they answer "where can I go?"
            end = min(start + MAX_HOURS_LINES, n)
            shown, rest = ordered[start:end], ordered[end:]
            lines += [f"- {c.name}{t(lang, '：', ': ')}{hours_text(h, lang)}" for c, h in shown]
            if rest:
                rest_open = sum(1 for _, h in rest if h.open)
                if rest_open:
                    lines.append(t(lang, f"另有 {len(rest)} 个中心未列出（其中 {rest_open} 个开门）。",
                                   f"{len(rest)} more not listed ({rest_open} of them open)."))
                else:
                    lines.append(t(lang, f"另有 {len(rest)} 个中心未列出（当天都不开门）。",
                                   f"{len(rest)} more not listed (all closed that day)."))
        note = day_note(sample, day_label(day, lang, short=True) if lang == "zh" else day_text, lang)
        if note:
            lines.append(note)
        return "\n".join(lines), end, n


class ActionShowMoreCenters(ActionAnswerCenterQuestion):
    """"Show the rest" of the last cut list: of centres, the next page of the same answer from
    where it stopped; of bills or trips, their next lines (actions/listing.py)."""

    def name(self) -> str:
        return "action_show_more"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        if tracker.get_slot(REST_SLOT):
            return send_next_page(dispatcher, tracker.get_slot(REST_SLOT), lang)
        listing = tracker.get_slot(LISTING_SLOT)
        centers = await self._centers(lang, listing["district"], listing["service"]) if listing else []
        kind = next((k for k in KINDS if listing and k.zh == listing.get("kind")), None)
        if kind:
            centers = [c for c in centers if kind.matches(c)]
        if len(centers) <= (listing or {}).get("shown", 0):
            dispatcher.utter_message(text=t(
                lang, "没有更多可以显示的了。您可以问我某个区的受理中心或办公时间，比如“徐汇区的社区事务受理中心周六开门吗”。",
                "There is nothing more to show. You can ask me about the service centres or opening "
                "hours of a district, e.g. \"is the Xuhui community affairs centre open on Saturday\"."))
            return [SlotSet(LISTING_SLOT, None)]
        scope = self._scope(centers, listing["district"], listing["service"], kind)
        return await self._reply(dispatcher, centers, scope, listing, None, lang)


# -- center_form -------------------------------------------------------------------------------

class ActionAskCenterFormDistrict(Action):
    """Which district? Buttons: the districts with a centre for the service, else common ones."""

    def name(self) -> str:
        return "action_ask_center_form_district"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        other = [e for e in latest.get("entities") or [] if e.get("entity") != "district"]
        prefix = ""
        if intent == "inform" and not other:  # an answer to "which district?" we could not place
            prefix = t(lang, "抱歉，没有找到这个区。", "Sorry, I couldn't find that district. ")
        elif intent not in CENTER_QUESTIONS:
            prefix = t(lang, "回到刚才的问题：", "Back to your question: ")
        text = t(lang, "请问您在哪个区？可以点选或直接输入区名（如“浦东”）。",
                 "Which district are you in? Pick one or type its name (e.g. \"Pudong\").")
        try:
            buttons = await self._buttons(tracker.get_slot("service"), lang)
        except DataServiceUnavailable:
            buttons = []
        dispatcher.utter_message(text=prefix + text, buttons=buttons)
        return []

    async def _buttons(self, service: str | None, lang: str) -> list[dict]:
        gateway = get_gateway()
        names = {d.code: d.name for d in await gateway.districts(lang)}
        codes: list[str] = []
        if service:
            try:
                centres = await gateway.centres(lang, service=service)
            except NotFound:
                centres = []
            counts: dict[str, int] = {}
            for c in centres:
                if c.district:
                    counts[c.district.code] = counts.get(c.district.code, 0) + 1
            codes = sorted(counts, key=lambda code: (-counts[code], code))
        codes = codes or list(COMMON_DISTRICTS)
        return [{"title": names.get(code, code), "payload": f'/inform{{"district": "{code}"}}'}
                for code in codes[:MAX_DISTRICT_BUTTONS]]


class ValidateCenterForm(FormValidationAction):
    """No district needed when the service is handled at only a few centres city-wide."""

    def name(self) -> Text:
        return "validate_center_form"

    async def required_slots(self, domain_slots: list[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[Text]:
        if tracker.get_slot("district"):
            return domain_slots
        service = asked(tracker).service(tracker)
        if not service:
            return domain_slots
        try:
            data = await get_gateway().service(service, lang_of(tracker))
        except (NotFound, DataServiceUnavailable):
            return domain_slots
        return [] if 0 < len(data.centers) <= FEW_CENTERS else domain_slots

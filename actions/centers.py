"""Service centres and office hours.

`action_answer_center_question` answers the centre question of the dialogue (find_service_center
or ask_office_hours, the intent of the message that asked it) for the `district` slot and, when it
applies, the `service` slot: `GET /v1/centers?district=&service=&lang=`, then the holiday-aware
`GET /v1/centers/{id}/hours?date=&lang=` for the day asked about (the `date` slot, a holiday named
instead of a date via `GET /v1/calendar/holidays/next`, today by default).
center_form asks for the district first; validate_center_form skips that question when the service
is handled at only a few centres in the whole city.
"""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dates
from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import get_gateway
from actions.api.models import Centre, DayHours, NextHoliday
from actions.base import DataAction
from actions.center_asked import CENTER_QUESTIONS, HOURS, Asked, asked
from actions.center_wording import KINDS, Kind, Scope, day_label, day_note, hours_text
from actions.context import ContextualAnswer
from actions.forms import (COMMON_DISTRICTS, MAX_DISTRICT_BUTTONS, CityFormValidation,
                           choice_buttons, turn_mode)
from actions.i18n import lang_of, t
from actions.listing import REST_SLOT, send_next_page

MAX_LISTED = 3        # centres described in full (address, phone, hours)
MAX_HOURS_LINES = 4   # centres listed in an office-hours answer
FEW_CENTERS = 3       # a service handled at this many centres or fewer needs no district
MAX_HOURS_CALLS = 20
LISTING_SLOT = "center_list"  # where a cut list stopped, for "show the rest"


# -- the answer --------------------------------------------------------------------------------

async def needs_district(tracker: Tracker) -> bool:
    """A centre question needs a district unless it names one, or its service is handled at only a
    few centres in the whole city."""
    if tracker.get_slot("district"):
        return False
    service = asked(tracker).service(tracker)
    if not service:
        return True
    try:
        data = await get_gateway().service(service, lang_of(tracker))
    except NotFound:
        return True
    return not 0 < len(data.centers) <= FEW_CENTERS


class ActionAnswerCenterQuestion(ContextualAnswer):
    def name(self) -> str:
        return "action_answer_center_question"

    async def missing(self, tracker: Tracker) -> str | None:
        return "district" if await needs_district(tracker) else None

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

    async def _day(self, tracker: Tracker, what: Asked,
                   lang: str) -> tuple[date, NextHoliday | None]:
        """The day asked about: the `date` slot if this question named a date the context action
        could parse, else a holiday named ("国庆节", "过年"), else a day the question's text names,
        else today (an old date never leaks in)."""
        spans = what.mentioned("date")
        if any(dates.parse(span) for span in spans) and tracker.get_slot("date"):
            try:
                return date.fromisoformat(tracker.get_slot("date")), None
            except ValueError:
                pass
        holiday = await self._holiday([span for span in spans if not dates.parse(span)], lang)
        if holiday:  # during its days off the data service answers the current one: today then
            return max(date.fromisoformat(holiday.date), dates.today()), holiday
        # The entity model can miss a day inside a long sentence ("…受理中心周六开门吗"): the
        # citizen's own words of this question still name it.
        named = next(filter(None, (dates.parse(text) for text in what.texts)), None)
        return named or dates.today(), None

    async def _holiday(self, spans: list[str], lang: str) -> NextHoliday | None:
        """The statutory holiday a date span names, as the data service reads it (any year)."""
        for span in spans:
            try:
                return await self.gateway.next_holiday(span, dates.today().isoformat(), lang)
            except (NotFound, Rejected):  # names no holiday
                continue
        return None

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        done = [SlotSet("date", None)]  # a date belongs to one question: never leak it to the next
        what = asked(tracker)
        kind = what.kind()
        district = tracker.get_slot("district")
        service = what.service(tracker)

        day, holiday = await self._day(tracker, what, lang)

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
                     listing: dict, holiday: NextHoliday | None, lang: str,
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
                            holiday: NextHoliday | None, lang: str,
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
                     f"{day_text}是{holiday.name}，属于法定节假日，{label}按规定休息。"
                     f"该年度的放假和调休安排尚未公布，请以届时的官方通知为准。"
                     f"平时办公时间：{known[0][0].hours_summary}",
                     f"{day_text[:1].upper()}{day_text[1:]} is {holiday.name}, a statutory public "
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

    run = DataAction.run  # never the whole turn of a question: no context of its own

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
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        prefix = ""
        # Back after a rule answered a digression (an answer the form could not place got the
        # form's hint instead).
        if intent not in CENTER_QUESTIONS and turn_mode(tracker, "center_form") == "resume":
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
        return choice_buttons("district", {code: names.get(code, code) for code in codes},
                              most=MAX_DISTRICT_BUTTONS)


class ValidateCenterForm(CityFormValidation):
    """The district comes from the context action (a custom mapping); none is needed when the
    service is handled at only a few centres city-wide."""

    form = "center_form"
    own_intents = frozenset(CENTER_QUESTIONS)
    hints = {"district": ("抱歉，没有找到这个区。", "Sorry, I couldn't find that district.")}

    def name(self) -> Text:
        return "validate_center_form"

    async def required_slots(self, domain_slots: list[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[Text]:
        if tracker.get_slot("district"):
            return domain_slots  # filled: the form completes
        try:
            return domain_slots if await needs_district(tracker) else []
        except DataServiceUnavailable:
            return domain_slots

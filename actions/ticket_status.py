"""Following a 12345 ticket (ticket_status_form): the number, then its status, latest progress and
expected reply date (`GET /v1/tickets/{no}`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT

from actions.api.models import Ticket
from actions.base import LookupByNumber
from actions.dates import SHANGHAI, local_time
from actions.forms import CityFormValidation, inform
from actions.i18n import lang_of, t
from actions.issue_words import find_ticket_no


class ValidateTicketStatusForm(CityFormValidation):
    form = "ticket_status_form"
    own_intents = frozenset({"check_ticket_status"})
    hints = {"ticket_no": ("这个号码好像不是工单号。12345 工单号的格式类似 12345-20261128-7K3QXM。",
                           "That doesn't look like a ticket number. A 12345 ticket number looks like "
                           "12345-20261128-7K3QXM.")}

    def name(self) -> str:
        return "validate_ticket_status_form"

    async def validate_ticket_no(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: dict) -> dict[str, Any]:
        number = find_ticket_no(str(value or ""))
        if number:
            return {"ticket_no": number}
        if tracker.get_slot(REQUESTED_SLOT) == "ticket_no":
            self.hint(dispatcher, tracker, "ticket_no")
        return {"ticket_no": None}


class ActionAskTicketNo(Action):
    def name(self) -> str:
        return "action_ask_ticket_status_form_ticket_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        last = tracker.get_slot("last_ticket_no")
        text = t(lang,
                 "请告诉我工单号（格式类似 12345-20261128-7K3QXM，提交诉求时会告诉您）。"
                 "找不到工单号的话，可以拨打 12345 热线，用登记的电话查询。",
                 "What is the ticket number? It looks like 12345-20261128-7K3QXM and was given "
                 "when you reported. If you can't find it, call the 12345 hotline with the phone "
                 "number you gave.")
        buttons = ([{"title": t(lang, f"刚才提交的 {last}", f"The one I just filed: {last}"),
                     "payload": inform("ticket_no", last)}] if last else None)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionCheckTicketStatus(LookupByNumber):
    slot = "ticket_no"
    ask_number = ("请提供工单号，格式类似 12345-20261128-7K3QXM。",
                  "Please give me the ticket number, e.g. 12345-20261128-7K3QXM.")

    def name(self) -> str:
        return "action_check_ticket_status"

    def parse(self, text: str) -> str | None:
        return find_ticket_no(text)

    async def fetch(self, number: str, lang: str) -> Ticket:
        return await self.gateway.ticket(number, lang)

    def not_found(self, number: str, lang: str) -> str:
        return t(lang,
                 f"没有找到工单号 {number} 的记录。请核对一下号码（注意字母和数字），"
                 "或拨打 12345 市民服务热线查询。",
                 f"I couldn't find a ticket with the number {number}. Please check it (letters "
                 "and digits), or call the 12345 citizen hotline.")

    def reply(self, dispatcher: CollectingDispatcher, record: Ticket, lang: str) -> list[dict]:
        dispatcher.utter_message(text=render_ticket(record, lang))
        return []


def render_ticket(ticket: Ticket, lang: str) -> str:
    status = ticket.status
    district = ticket.district.name if ticket.district else ""
    kind = ticket.issue_type.label if ticket.issue_type else ""
    latest = ticket.history[-1] if ticket.history else None
    lines = [t(lang,
               f"工单 {ticket.ticket_no}（{kind}，{district}）当前状态：{status.label}。",
               f"Ticket {ticket.ticket_no} ({kind}, {district}) is now: {status.label}.")]
    if latest and latest.note:
        when = local_time(latest.at or None)
        lines.append(t(lang, f"最新进展（{when}）：{latest.note}",
                       f"Latest update ({when}): {latest.note}"))
    expected = ticket.expected_response
    if status.code in ("resolved", "closed"):
        lines.append(t(lang, "如对处理结果不满意，可以拨打 12345 市民服务热线反映。",
                       "If you are not satisfied with the outcome, call the 12345 citizen hotline."))
    elif expected and expected.respond_by:
        overdue = expected.respond_by < datetime.now(SHANGHAI).date().isoformat()
        if overdue:
            lines.append(t(lang,
                           f"已超过预计答复日期（{expected.respond_by}），您可以拨打 12345 市民服务热线催办。",
                           f"The expected reply date ({expected.respond_by}) has passed; you can "
                           "call the 12345 citizen hotline to chase it."))
        elif expected.text:
            lines.append(expected.text)
    return "\n".join(lines)

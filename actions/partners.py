"""Enterprise partner data: utility bills (utility_bill_form), and what the partners' answers share
(number parsing, money, provenance; the transport card is actions/transport_card.py).

Every answer says whose data it is and as of when (the `provenance` block of the data service).
The verification factor (last four digits of the phone registered with the utility) is cleared
as soon as the look-up has run, whatever its outcome.
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT

from actions.api.dataservice import NotFound, Rejected
from actions.api.models import Bill, Bills, Provenance
from actions.base import DataAction
from actions.dates import local_time
from actions.forms import CityFormValidation, ResetFormAction, choice_buttons
from actions.i18n import lang_of, t
from actions.listing import send_with_rest

UTILITY_SLOTS = ("utility_kind", "utility_account_no", "utility_phone_last4")
KINDS = ("water", "electricity", "gas")
KIND_LABELS = {"water": ("水费", "water"), "electricity": ("电费", "electricity"),
               "gas": ("燃气费", "gas")}
BILLS_SHOWN = 3

# Utility words -> kind. Gas first: 燃气/煤气/天然气 never mean water or power.
_KIND_PATTERNS = [
    # Pinyin too (ranqi, dianfei, shuifei): foreign residents write what they hear.
    ("gas", re.compile(r"燃气|煤气|天然气|天然氣|瓦斯|\bgas\b|natural gas|\b(?:ranqi|meiqi)", re.I)),
    ("electricity", re.compile(r"电|電|electric|\bpower\b|kwh|\bdian ?fei\b", re.I)),
    ("water", re.compile(r"水|water|\bshui ?fei\b", re.I)),
]
_NOT_UTILITY = re.compile(r"电话|電話|手机|手機|水电煤|水電煤")


# ---------------------------------------------------------------------------------------------
# Pure helpers

def match_utility_kind(text: str) -> str | None:
    """water | electricity | gas, or None when the words name none or several ("水电煤")."""
    value = (text or "").strip().lower()
    if value in KINDS:
        return value
    if re.search(r"水电煤|水電煤|utilit", value):
        return None
    value = _NOT_UTILITY.sub(" ", value)
    found = [kind for kind, pattern in _KIND_PATTERNS if pattern.search(value)]
    return found[0] if len(found) == 1 else None


def digits_of(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isascii() and ch.isdigit())


def account_number(text: str) -> str | None:
    """6-20 digits (spaces and dashes allowed between them), as the utilities print them."""
    value = str(text or "").strip()
    if not re.fullmatch(r"[0-9][0-9 \-]*[0-9]", value):
        m = re.search(r"(?<![0-9])[0-9][0-9 \-]{4,24}[0-9](?![0-9])", value)
        if not m:
            return None
        value = m[0]
    digits = digits_of(value)
    return digits if 6 <= len(digits) <= 20 else None


def card_number(text: str) -> str | None:
    """The 11 printed digits of a transport card (spaces and dashes allowed between them)."""
    for m in re.finditer(r"(?<![0-9])[0-9][0-9 \-]{9,16}[0-9](?![0-9])", str(text or "")):
        if len(digits_of(m[0])) == 11:
            return digits_of(m[0])
    m = re.search(r"(?<![0-9])[0-9]{11}(?![0-9])", str(text or ""))
    return m[0] if m else None


def money(value: Any) -> str:
    return f"{float(value):.2f}"


def provenance_line(prov: Provenance | None, lang: str) -> str:
    prov = prov or Provenance()
    partner, as_of, sample = prov.partner, local_time(prov.as_of or None), prov.sample_data
    return t(lang,
             f"数据来源：{partner}，数据更新于 {as_of}（北京时间）"
             + ("，为示例数据。" if sample else "。"),
             f"Source: {partner}, data as of {as_of} (Beijing time)"
             + (", sample data." if sample else "."))


# ---------------------------------------------------------------------------------------------
# utility_bill_form

def _stale(tracker: Tracker, entity_name: str) -> bool:
    """At activation (nothing requested yet) the form validates every prefilled slot; a value
    this message did not name was left by an earlier, unfinished look-up."""
    return tracker.get_slot(REQUESTED_SLOT) is None and not any(
        e.get("entity") == entity_name for e in tracker.latest_message.get("entities", []))


class ValidateUtilityBillForm(CityFormValidation):
    form = "utility_bill_form"
    own_intents = frozenset({"check_utility_bill"})
    hints = {
        "utility_kind": ("请选择要查询的是水费、电费还是燃气费。", "Please choose water, electricity or gas."),
        "utility_account_no": (
            "户号应为 6 到 20 位数字，可以在纸质账单或缴费记录上找到，请再核对一下。",
            "An account number has 6 to 20 digits; you'll find it on a paper bill or a payment "
            "record. Please check it."),
        "utility_phone_last4": (
            "请输入在该公司登记的手机号码的后四位数字。",
            "Please type the last four digits of the phone number registered with the company."),
    }

    def name(self) -> str:
        return "validate_utility_bill_form"

    async def extract_utility_kind(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: dict) -> dict[str, Any]:
        # "上个月用了多少电" without an entity: the first message still names the utility.
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if (tracker.get_slot("utility_kind") or tracker.get_slot("requested_slot")
                or intent != "check_utility_bill"):
            return {}
        kind = match_utility_kind(tracker.latest_message.get("text") or "")
        return {"utility_kind": kind} if kind else {}

    async def validate_utility_kind(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: dict) -> dict[str, Any]:
        if _stale(tracker, "utility_kind"):
            return {"utility_kind": match_utility_kind(tracker.latest_message.get("text") or "")}
        kind = match_utility_kind(str(value or ""))
        if not kind and tracker.get_slot(REQUESTED_SLOT) == "utility_kind":
            self.hint(dispatcher, tracker, "utility_kind")
        return {"utility_kind": kind}

    async def validate_utility_account_no(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: dict) -> dict[str, Any]:
        if _stale(tracker, "account_no"):
            return {"utility_account_no": None}
        number = account_number(str(value or ""))
        if not number:
            self.hint(dispatcher, tracker, "utility_account_no")
        return {"utility_account_no": number}

    async def validate_utility_phone_last4(self, value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: dict) -> dict[str, Any]:
        if _stale(tracker, "phone_last4"):
            return {"utility_phone_last4": None}
        return self.validate_last4(value, dispatcher, tracker, slot="utility_phone_last4")


class ActionAskUtilityKind(Action):
    def name(self) -> str:
        return "action_ask_utility_bill_form_utility_kind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        dispatcher.utter_message(
            text=t(lang, "请问要查询哪一项账单？", "Which bill would you like to check?"),
            buttons=choice_buttons("utility_kind", {
                kind: KIND_LABELS[kind][0] if lang == "zh" else KIND_LABELS[kind][1].title()
                for kind in KINDS}))
        return []


class ActionAskUtilityAccountNo(Action):
    def name(self) -> str:
        return "action_ask_utility_bill_form_utility_account_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict) -> list[dict]:
        lang = lang_of(tracker)
        kind = tracker.get_slot("utility_kind")
        zh_label, en_label = KIND_LABELS.get(kind, ("", ""))
        en_label = f" {en_label}" if en_label else ""
        dispatcher.utter_message(text=t(
            lang, f"请提供{zh_label}户号（印在账单或缴费记录上，一般是 10 位数字）。",
            f"What is your{en_label} account number? It is printed on your bill or payment "
            "record (usually 10 digits)."))
        return []


class ActionCheckUtilityBill(DataAction):
    forgets = UTILITY_SLOTS  # the verification factor never outlives the look-up

    def name(self) -> str:
        return "action_check_utility_bill"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict, lang: str) -> list[dict]:
        kind = tracker.get_slot("utility_kind")
        account = tracker.get_slot("utility_account_no")
        last4 = tracker.get_slot("utility_phone_last4")
        if kind not in KINDS or not account or not last4:
            dispatcher.utter_message(text=t(
                lang, "信息不完整，请再说一次要查询的账单。",
                "Some details were missing; please ask for the bill again."))
            return []
        label = KIND_LABELS[kind][0 if lang == "zh" else 1]
        try:
            answer = await self.gateway.bills(kind, account, last4, lang)
        except NotFound:
            dispatcher.utter_message(text=t(
                lang,
                f"没有查到与户号 {account} 和手机后四位相符的{label}账户。请核对账单上的户号，"
                "以及在缴费单位登记的手机号码，然后再试一次。",
                f"I couldn't find a {label} account matching number {account} and those phone "
                "digits. Please check the account number on your bill and the phone number "
                "registered with the company, then try again."))
            return []
        except Rejected as exc:
            if exc.status == 429:
                dispatcher.utter_message(text=t(
                    lang,
                    "这个户号的验证失败次数过多，为保护账户安全，查询已暂时锁定，请稍后再试。"
                    "也可以直接联系缴费单位的客服，或拨打 12345 市民服务热线。",
                    "There have been too many failed verification attempts for this account, so "
                    "look-ups are paused for a while to protect it. Please try again later, or "
                    "contact the company's customer service or the 12345 citizen hotline."))
            else:
                dispatcher.utter_message(text=t(
                    lang, "户号或验证信息的格式不正确，请核对后再试。",
                    "The account number or verification digits are not in the right format; "
                    "please check them and try again."))
            return []
        text, rest = render_bills(answer, lang)
        return send_with_rest(dispatcher, text, t(lang, "更早的账单：", "Earlier bills:"), rest, lang)


def render_bills(answer: Bills, lang: str) -> tuple[str, list[str]]:
    """(the answer, the lines of the paid bills it leaves out for "show the rest")."""
    acc, bills = answer.account, answer.bills
    shown = bills[:BILLS_SHOWN] + [b for b in bills[BILLS_SHOWN:] if b.status != "paid"]
    left_out = [b for b in bills[BILLS_SHOWN:] if b.status == "paid"]
    partner = answer.provenance.partner if answer.provenance else ""
    head = t(lang,
             f"{partner} {acc.kind_label}账户 {acc.account_no}"
             f"（{acc.holder_masked}，{acc.address_masked}）最近的账单：",
             f"{acc.kind_label} account {acc.account_no} "
             f"({acc.holder_masked}, {acc.address_masked}) with {partner}. "
             "Latest bills:")
    lines = [head] + [bill_line(b, lang) for b in shown]
    unpaid = [b for b in bills if b.status != "paid"]
    total = answer.total_unpaid_cny
    if unpaid and total > 0:
        due = min(b.due_date or "" for b in unpaid)
        overdue = any(b.status == "overdue" for b in unpaid)
        lines.append(t(lang,
                       f"待缴合计：{money(total)} 元，最早缴费截止日 {due}。"
                       + ("其中有账单已逾期，请尽快缴纳。" if overdue else ""),
                       f"Unpaid in total: CNY {money(total)}, earliest due date {due}."
                       + (" A bill is overdue - please pay it soon." if overdue else "")))
        lines.append(t(lang,
                       "缴费方式：可以在随申办、支付宝或微信的“生活缴费”中按户号缴纳，也可以到缴费单位营业厅缴纳。",
                       "How to pay: in the Suishenban, Alipay or WeChat app under utility payments "
                       "(\"生活缴费\") with your account number, or at the company's service hall."))
    else:
        lines.append(t(lang, "目前没有待缴费用。", "Nothing is unpaid at the moment."))
    lines.append(provenance_line(answer.provenance, lang))
    return "\n".join(lines), [bill_line(b, lang) for b in left_out]


def bill_line(bill: Bill, lang: str) -> str:
    usage = f"{bill.usage or 0:g} {bill.unit}".strip()
    return t(lang,
             f"- {bill.period}：用量 {usage}，{money(bill.amount_cny)} 元，"
             f"{bill.status_label}（缴费截止 {bill.due_date}）",
             f"- {bill.period}: {usage}, CNY {money(bill.amount_cny)}, "
             f"{bill.status_label} (due {bill.due_date})")


class ActionResetUtilityBillForm(ResetFormAction):
    """After the citizen stops the form: forget the account and the verification digits."""

    own_slots = UTILITY_SLOTS

    def name(self) -> str:
        return "action_reset_utility_bill_form"

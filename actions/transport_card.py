"""The transport card (transport_card_form, a partner's data): balance, status and the latest trips,
from the card number alone (which is why the data service gives no times or stations)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.models import TransportCard, Trip
from actions.base import LookupByNumber
from actions.forms import CityFormValidation
from actions.i18n import t
from actions.listing import send_with_rest
from actions.partners import card_number, money, provenance_line

TRIPS_SHOWN = 3
LOW_BALANCE_CNY = 5.0
CARD_NO_HINT = ("交通卡号是卡片背面的 11 位数字，请再核对一下。",
                "A transport card number is the 11-digit number on the back of the card. Please "
                "check it.")


class ValidateTransportCardForm(CityFormValidation):
    form = "transport_card_form"
    own_intents = frozenset({"check_transport_card"})
    hints = {"card_no": CARD_NO_HINT}

    def name(self) -> str:
        return "validate_transport_card_form"

    async def validate_card_no(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: dict) -> dict[str, Any]:
        number = card_number(str(value or ""))
        if not number:
            self.hint(dispatcher, tracker, "card_no")
        return {"card_no": number}


class ActionCheckTransportCard(LookupByNumber):
    slot = "card_no"
    ask_number = ("请告诉我交通卡背面的 11 位卡号。",
                  "Please tell me the 11-digit number on the back of your transport card.")

    def name(self) -> str:
        return "action_check_transport_card"

    def parse(self, text: str) -> str | None:
        return card_number(text)

    async def fetch(self, number: str, lang: str) -> TransportCard:
        return await self.gateway.transport_card(number, lang)

    def not_found(self, number: str, lang: str) -> str:
        return t(lang, f"没有找到卡号为 {number} 的交通卡，请核对卡片背面的 11 位卡号。",
                 f"I couldn't find a transport card numbered {number}. Please check the 11-digit "
                 "number on the back of the card.")

    def reply(self, dispatcher: CollectingDispatcher, record: TransportCard,
              lang: str) -> list[dict]:
        text, rest = render_card(record, lang)
        return send_with_rest(dispatcher, text, t(lang, "更早的乘车记录：", "Earlier trips:"), rest, lang)


def render_card(card: TransportCard, lang: str) -> tuple[str, list[str]]:
    """(the answer, the lines of the older trips it leaves out for "show the rest")."""
    balance = card.balance_cny
    lines = [t(lang,
               f"交通卡 {card.card_no} 余额 {money(balance)} 元，卡片状态：{card.status_label}。",
               f"Transport card {card.card_no}: balance CNY {money(balance)}, "
               f"status: {card.status_label}.")]
    status = card.status
    if status == "lost":
        lines.append(t(lang, "这张卡已挂失，无法再刷卡乘车；余额可凭挂失凭证到交通卡服务网点办理。",
                       "This card has been reported lost and can no longer be used; the balance "
                       "can be handled at a transport card service point with the loss receipt."))
    elif status == "expired":
        lines.append(t(lang, "这张卡已过期，请到交通卡服务网点办理。",
                       "This card has expired; please visit a transport card service point."))
    elif balance < LOW_BALANCE_CNY:
        lines.append(t(lang, "余额不多了，建议尽快充值（地铁站、便利店或交通卡 App）。",
                       "The balance is low; consider topping up (metro stations, convenience "
                       "stores or the transport card app)."))
    all_trips = card.trips
    trips = all_trips[:TRIPS_SHOWN]
    if trips:
        # The data service gives day, mode and fare only: places need the card in hand.
        lines.append(t(lang, "最近的乘车记录：", "Latest trips:"))
        lines += [trip_line(trip, lang) for trip in trips]
        lines.append(t(lang, "具体线路和站点请持卡在地铁站自助机或交通卡 App 查询。",
                       "For lines and stations, read the card at a metro station machine or in "
                       "the transport card app."))
    else:
        lines.append(t(lang, "最近没有乘车记录。", "No recent trips."))
    lines.append(provenance_line(card.provenance, lang))
    return "\n".join(lines), [trip_line(trip, lang) for trip in all_trips[TRIPS_SHOWN:]]


def trip_line(trip: Trip, lang: str) -> str:
    return t(lang, f"- {trip.date} {trip.mode_label}，{money(trip.fare_cny)} 元",
             f"- {trip.date} {trip.mode_label}, CNY {money(trip.fare_cny)}")

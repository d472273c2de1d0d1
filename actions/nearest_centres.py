"""`action_nearest_centres`: the three service centres nearest a place the citizen shared.

A WeChat `location` message reaches Rasa as `/share_location{"latitude": .., "longitude": ..}`
(bot/channels/wechat_location.py); the data service ranks its centres by distance
(`GET /v1/centers/nearest`).
"""
from __future__ import annotations

import math
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.models import Centre
from actions.base import DataAction
from actions.i18n import t

NEAREST = 3


def _coordinate(tracker: Tracker, entity: str, bound: float) -> float | None:
    value = next(tracker.get_latest_entity_values(entity), None)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and abs(number) <= bound else None


def _describe(index: int, centre: Centre, lang: str) -> list[str]:
    line = f"{index}. {centre.name}"
    if centre.distance_km is not None:
        line += t(lang, f"（约 {centre.distance_km} 公里）", f" (about {centre.distance_km} km)")
    lines = [line]
    for label_zh, label_en, value in (("地址", "Address", centre.address),
                                      ("时间", "Hours", centre.hours_summary),
                                      ("电话", "Phone", centre.phone)):
        if value:
            lines.append(f"   {t(lang, label_zh + '：', label_en + ': ')}{value}")
    return lines


class ActionNearestCentres(DataAction):
    def name(self) -> str:
        return "action_nearest_centres"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        lat, lon = _coordinate(tracker, "latitude", 90), _coordinate(tracker, "longitude", 180)
        if lat is None or lon is None:
            dispatcher.utter_message(text=t(lang, "抱歉，没能读出这个位置，请告诉我您所在的区。",
                                            "Sorry, I couldn't read that location. Which district "
                                            "are you in?"))
            return []
        centres = await self.gateway.nearest_centres(lat, lon, lang, limit=NEAREST)
        if not centres:
            dispatcher.utter_message(text=t(lang, "附近没有找到受理中心，请拨打 12345 咨询。",
                                            "No service centre found nearby; please call 12345."))
            return []
        lines = [t(lang, "离您最近的受理中心：", "The service centres nearest you:")]
        for index, centre in enumerate(centres, 1):
            lines += _describe(index, centre, lang)
        dispatcher.utter_message(text="\n".join(lines))
        return []

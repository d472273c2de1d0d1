"""Shanghai's four waste categories and item lookup through the shared fuzzy alias matcher."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.models import GarbageItem
from dataservice.text.bilingual import localized
from dataservice.text.matcher import CONFIDENT_SCORE, AliasMatcher

# code -> names, bin and the disposal rule that applies to every item of the category.
CATEGORIES: dict[str, dict[str, str]] = {
    "recyclable": {
        "name_zh": "可回收物", "name_en": "Recyclables",
        "bin_zh": "蓝色可回收物桶", "bin_en": "blue recyclables bin",
        "tip_zh": "保持清洁干燥，尽量压扁、捆扎后投放至蓝色可回收物桶，或交给可回收物回收服务点；"
                  "大件可预约上门回收。",
        "tip_en": "Keep it clean and dry, flatten and bundle it, and put it in the blue recyclables "
                  "bin or take it to a recycling point; large items can be collected by appointment.",
    },
    "hazardous": {
        "name_zh": "有害垃圾", "name_en": "Hazardous waste",
        "bin_zh": "红色有害垃圾桶", "bin_en": "red hazardous waste bin",
        "tip_zh": "投放至红色有害垃圾桶。轻拿轻放，易碎品包好后投放，药品连同包装投放，防止泄漏。",
        "tip_en": "Put it in the red hazardous waste bin. Handle it gently, wrap fragile items, "
                  "keep medicines in their packaging and make sure nothing leaks.",
    },
    "wet": {
        "name_zh": "湿垃圾", "name_en": "Household food waste (wet waste)",
        "bin_zh": "棕色湿垃圾桶", "bin_en": "brown wet waste bin",
        "tip_zh": "沥干水分、去除包装后投放至棕色湿垃圾桶，破袋投放，装垃圾的塑料袋投干垃圾桶。",
        "tip_en": "Drain off liquid, remove packaging and empty it into the brown wet waste bin; "
                  "the bag you carried it in goes in dry waste.",
    },
    "dry": {
        "name_zh": "干垃圾", "name_en": "Residual waste (dry waste)",
        "bin_zh": "黑色干垃圾桶", "bin_en": "black dry waste bin",
        "tip_zh": "投放至黑色干垃圾桶，尽量沥干水分，不要混入可回收物、有害垃圾和湿垃圾。",
        "tip_en": "Put it in the black dry waste bin, as dry as possible, without recyclables, "
                  "hazardous items or food waste.",
    },
}

# Words in a sorting question that say nothing about the item ("奶茶杯是什么垃圾").
DOMAIN_FILLERS = [
    "垃圾", "什么垃圾", "哪类垃圾", "哪种垃圾", "属于", "算", "算是", "扔", "丢", "扔哪", "扔到", "丢到",
    "分类", "哪类", "哪一类", "类", "桶", "垃圾桶", "投放", "处理", "用过", "用完", "废", "废旧", "坏",
    "garbage", "trash", "rubbish", "waste", "bin", "throw", "away", "dispose", "disposal",
    "sort", "sorting", "category", "type", "kind", "which", "put", "used", "go", "goes",
]
MAX_QUERY_CHARS = 100
INDEX_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class GarbageGuide:
    matcher: AliasMatcher
    items: dict[str, dict[str, str]]  # name_zh -> the item's fields

    def classify(self, query: str, lang: str, limit: int) -> list[dict]:
        out = []
        for key, score in self.matcher.match(query, limit):
            item = self.items[key]
            category = CATEGORIES[item["category"]]
            item_tip = item[f"tip_{lang}"]
            category_tip = category[f"tip_{lang}"]
            tip = (item_tip + ("" if lang == "zh" else " ") + category_tip) if item_tip else category_tip
            out.append({
                "item": item[f"name_{lang}"],
                "category": item["category"],
                "category_name": category[f"name_{lang}"],
                "bin": category[f"bin_{lang}"],
                "tip": tip,
                "score": score,
                "confident": score >= CONFIDENT_SCORE,
            })
        return out


def build_guide(session: Session) -> GarbageGuide:
    items, entries = {}, []
    for row in session.scalars(select(GarbageItem).order_by(GarbageItem.id)):
        items[row.name_zh] = {"name_zh": row.name_zh, "name_en": row.name_en,
                              "category": row.category, "tip_zh": row.tip_zh, "tip_en": row.tip_en}
        entries.append((row.name_zh, [row.name_zh, row.name_en, *row.aliases]))
    return GarbageGuide(AliasMatcher(entries, extra_fillers=DOMAIN_FILLERS), items)


class GuideIndex:
    """One guide per app, rebuilt after a TTL so a re-seed shows up without a restart."""

    def __init__(self, ttl: float = INDEX_TTL_SECONDS):
        self._ttl = ttl
        self._lock = threading.Lock()
        self._guide: GarbageGuide | None = None
        self._built_at = 0.0

    def get(self, session: Session) -> GarbageGuide:
        if self._guide is None or time.monotonic() - self._built_at > self._ttl:
            with self._lock:  # concurrent first requests build it once
                if self._guide is None or time.monotonic() - self._built_at > self._ttl:
                    self._guide = build_guide(session)
                    self._built_at = time.monotonic()
        return self._guide


def category_list(session: Session, lang: str, examples: int = 6) -> list[dict]:
    out = []
    for code, category in CATEGORIES.items():
        names = session.scalars(
            select(localized(GarbageItem, "name", lang))
            .where(GarbageItem.category == code).order_by(GarbageItem.id).limit(examples)
        ).all()
        out.append({"code": code, "name": category[f"name_{lang}"], "bin": category[f"bin_{lang}"],
                    "tip": category[f"tip_{lang}"], "examples": list(names)})
    return out

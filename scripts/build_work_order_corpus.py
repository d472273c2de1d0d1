"""Write dataservice/seed/data/work_orders/messages_zh_gen.jsonl and messages_en_gen.jsonl: many
more training messages for every second-level class and message type, the way different citizens
write them.

    .venv/dataservice/bin/python scripts/build_work_order_corpus.py [--per-class-zh 60] [--per-class-en 60]

The hand-written parts live in scripts/work_order_fragments/: what goes wrong, what people ask and
suggest for each of the 118 classes (topics_zh.yaml, topics_en.yaml) and places in all 16
districts (places.yaml). They are combined with many openings, framings and closings (below) into
short board-style titles, one-line chat messages and long pasted complaints; some come out in
Traditional characters, with typos, half English, without punctuation, polite or angry. The output
is deterministic (fixed seed). The held-out split (tests/work_orders_heldout/) is never read.
Rerun scripts/build_work_order_nlu.py afterwards: the assistant's `report_issue` examples are drawn
from the same corpus.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import opencc
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataservice.work_orders.taxonomy import load_taxonomy  # noqa: E402
from scripts.work_order_phrases import EN, ZH, TYPE_SHARES  # noqa: E402

FRAGMENTS = Path(__file__).resolve().parent / "work_order_fragments"
OUT = ROOT / "dataservice" / "seed" / "data" / "work_orders"
SEED = 20261203
_T2S = None


def options(text: str) -> list[str]:
    return [t.strip() for t in str(text).split("|") if t.strip()]


def load_places() -> list[dict]:
    doc = yaml.safe_load((FRAGMENTS / "places.yaml").read_text(encoding="utf-8"))
    return [{"district": name, "en": v["en"], "towns": options(v["towns"]), "roads": options(v["roads"]),
             "spots": options(v["spots"]), "roads_en": options(v["roads_en"])} for name, v in doc.items()]


def load_topics(lang: str) -> dict[str, dict[str, list[str]]]:
    doc = yaml.safe_load((FRAGMENTS / f"topics_{lang}.yaml").read_text(encoding="utf-8"))
    return {str(code): {k: options(v) for k, v in parts.items()} for code, parts in doc.items()}


class Writer:
    """One language's message generator: place + topic + framing + style."""

    def __init__(self, lang: str, places: list[dict], rng: random.Random):
        self.lang, self.places, self.rng = lang, places, rng
        self.phrases = ZH if lang == "zh" else EN

    def pick(self, key: str) -> str:
        return self.rng.choice(self.phrases[key])

    def place(self) -> tuple[str, str | None]:
        """A place phrase and the district it lies in (None for a vague place)."""
        r = self.rng.random()
        if r < 0.25:
            return self.pick("vague_place"), None
        p = self.rng.choice(self.places)
        if self.lang == "en":
            road = self.rng.choice(p["roads_en"])
            forms = [f"on {road}", f"on {road} in {p['en']}", f"in {p['en']}", f"near {road}, {p['en']} district",
                     f"in {p['en']} District"]
            return self.rng.choice(forms), p["district"]
        town, road, spot = (self.rng.choice(p[k]) for k in ("towns", "roads", "spots"))
        short = p["district"].rstrip("区").replace("新", "") if self.rng.random() < 0.4 else p["district"]
        forms = [f"{short}{town}", f"{short}{road}", f"{town}{road}", f"{spot}", f"{short}{spot}",
                 f"{road}{spot}附近", f"{p['district']}{town}{road}", town, f"{road}{self.rng.randint(1, 999)}号"]
        return self.rng.choice(forms), p["district"]

    def message(self, kind: str, topic: dict[str, list[str]], dept: str) -> tuple[str, str | None]:
        place, district = self.place() if self.rng.random() < 0.7 else ("", None)
        fill = {"place": place, "dept": dept, "dur": self.pick("duration"),
                "p": self.rng.choice(topic["p"]),
                "q": self.rng.choice(topic.get("q") or topic["p"]),
                "s": self.rng.choice(topic.get("s") or topic.get("q") or topic["p"])}
        length = self.rng.random()
        if length < 0.45:
            template = self.pick(f"title_{kind}")
        elif length < 0.8:
            template = self.pick(f"line_{kind}")
        else:
            template = self.long(kind)
        text = template.format(**fill)
        if not place or place not in text:
            district = None
        if self.lang == "en":
            text = re.sub(r"\s+([.,!?])", r"\1", " ".join(text.split()))
        else:
            text = text.replace(" ", "")
        return self.style(text), district

    def long(self, kind: str) -> str:
        line = self.pick(f"line_{kind}")
        greeted = line.lower().startswith(("你好", "您好", "hi", "hello"))
        parts = ["" if greeted else self.pick("opening"), line]
        if kind in ("complaint", "help", "report"):
            parts += [self.pick("history"), self.pick("impact")]
        parts += [self.pick(f"ask_{kind}" if f"ask_{kind}" in self.phrases else "ask"), self.pick("closing")]
        if self.lang == "en":
            return " ".join(p if p[-1] in ".,!?:" else p + "." for p in parts if p)
        return "".join(p if p[-1] in "。，！？：；" else p + "。" for p in parts if p)

    def style(self, text: str) -> str:
        r = self.rng.random()
        if self.lang == "zh":
            if r < 0.08:
                return _traditional(text)
            if r < 0.14:
                return self._swap(text, self.phrases["typos"])
            if r < 0.19:
                return self._swap(text, self.phrases["english"])
        else:
            if r < 0.08:
                return text.lower().rstrip(".!")
            if r < 0.14:
                return self._swap(text, self.phrases["typos"])
            if r < 0.19:
                return self._swap(text, self.phrases["chinese"])
        if r < 0.26:
            return text.rstrip("。.！!？?") + self.pick("punct")
        return text

    def _swap(self, text: str, pairs: list[list[str]]) -> str:
        hits = [(a, b) for a, b in pairs if a in text]
        if not hits:
            return text
        a, b = self.rng.choice(hits)
        return text.replace(a, b, 1)


def _traditional(text: str) -> str:
    global _T2S
    _T2S = _T2S or opencc.OpenCC("s2t")
    return _T2S.convert(text)


def kinds(rng: random.Random, n: int) -> list[str]:
    names, weights = zip(*TYPE_SHARES)
    return rng.choices(names, weights=weights, k=n)


def build(lang: str, per_class: int, places: list[dict], rng: random.Random) -> list[dict]:
    taxonomy = load_taxonomy()
    topics = load_topics(lang)
    writer = Writer(lang, places, rng)
    rows, seen = [], set()
    for category in taxonomy.categories:
        if category.level != 2:
            continue
        topic = topics[category.code]
        parent = taxonomy.by_code[category.parent_code]
        dept = category.department(lang)
        for kind in kinds(rng, per_class * 2):
            if sum(1 for r in rows if r["level2"] == category.name("zh")
                   and r["level1"] == parent.name("zh")) >= per_class:
                break
            text, district = writer.message(kind, topic, dept)
            if text in seen or len(text) < 4:
                continue
            seen.add(text)
            row = {"text": text, "type": kind, "level1": parent.name("zh"), "level2": category.name("zh")}
            if district:
                row["district"] = district
            rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class-zh", type=int, default=60)
    ap.add_argument("--per-class-en", type=int, default=60)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    places = load_places()
    for lang, n in (("zh", args.per_class_zh), ("en", args.per_class_en)):
        rows = build(lang, n, places, random.Random(f"{SEED}-{lang}"))
        path = args.out / f"messages_{lang}_gen.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{lang}: {len(rows)} messages -> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

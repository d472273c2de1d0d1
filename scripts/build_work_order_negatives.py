"""Regenerate dataservice/seed/data/work_orders/negatives_assistant.jsonl: the assistant's own
out-of-scope examples (data/nlu/out_of_scope_*.yml) as negatives of the work-order classifier.

    .venv/dataservice/bin/python scripts/build_work_order_negatives.py

The classifier's first level has an out-of-scope class trained on negatives; the hand-written ones
are `negatives.jsonl`. The assistant refuses a larger, broader set (everyday-assistant requests and
chit-chat in Chinese and English, and the CLINC150 training utterances, CC BY 3.0, see ATTRIBUTION.md
beside the corpus), and the classifier should not call those city matters either. Lines already in
`negatives.jsonl` are left out. Rerun it when those NLU files change; the output is deterministic.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "data" / "nlu"
SOURCES = {"out_of_scope_zh.yml": "zh", "out_of_scope_en.yml": "en", "out_of_scope_clinc150_en.yml": "en"}
CORPUS = ROOT / "dataservice" / "seed" / "data" / "work_orders"
OUT = CORPUS / "negatives_assistant.jsonl"


def examples(path: Path) -> list[str]:
    """The example texts of every out_of_scope block of a Rasa NLU file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = []
    for block in doc.get("nlu", []):
        if block.get("intent") != "out_of_scope":
            continue
        for line in block["examples"].splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                texts.append(text)
    return texts


def main() -> int:
    seen = {json.loads(line)["text"] for line in (CORPUS / "negatives.jsonl").open(encoding="utf-8")
            if line.strip()}
    rows = []
    for name, lang in SOURCES.items():
        for text in examples(NLU / name):
            if text not in seen:
                seen.add(text)
                rows.append({"text": text, "lang": lang, "source": f"data/nlu/{name}"})
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} negatives -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

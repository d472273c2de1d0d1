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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu_data.examples import nlu_examples  # noqa: E402

NLU = ROOT / "data" / "nlu"
SOURCES = {"out_of_scope_zh.yml": "zh", "out_of_scope_en.yml": "en", "out_of_scope_clinc150_en.yml": "en"}
CORPUS = ROOT / "dataservice" / "seed" / "data" / "work_orders"
OUT = CORPUS / "negatives_assistant.jsonl"


def main() -> int:
    seen = {json.loads(line)["text"] for line in (CORPUS / "negatives.jsonl").open(encoding="utf-8")
            if line.strip()}
    rows = []
    for name, lang in SOURCES.items():
        for intent, text in nlu_examples(NLU / name):
            if intent == "out_of_scope" and text not in seen:
                seen.add(text)
                rows.append({"text": text, "lang": lang, "source": f"data/nlu/{name}"})
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} negatives -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""List NLU entity spans that Jieba (with bot/nlu/jieba/userdict.txt) does not cut as whole tokens.

    .venv/rasa/bin/python scripts/check_entity_alignment.py [--fix]

--fix appends the misaligned Chinese spans to the user dictionary, so DIET can tag them.
"""
from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu_data.examples import nlu_examples  # noqa: E402

DICT = ROOT / "bot" / "nlu" / "jieba" / "userdict.txt"
ANNOT = re.compile(r"\[([^\]]+)\]\((\w+)\)|\[([^\]]+)\]\{[^}]*\}")


def examples():
    for f in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for _intent, example in nlu_examples(f):
            yield example


def spans(raw: str):
    text, out, pos = "", [], 0
    for m in ANNOT.finditer(raw):
        text += raw[pos:m.start()]
        value = m.group(1) or m.group(3)
        out.append((len(text), len(text) + len(value), value))
        text += value
        pos = m.end()
    return text + raw[pos:], out


def main() -> int:
    jieba.setLogLevel(logging.WARNING)
    jieba.load_userdict(str(DICT))
    bad = set()
    for raw in examples():
        text, ents = spans(raw)
        bounds = set()
        for word, start, end in jieba.tokenize(text):
            bounds.update((start, end))
        for start, end, value in ents:
            if start not in bounds or end not in bounds:
                bad.add(value)
    for value in sorted(bad):
        print(value)
    if "--fix" in sys.argv and bad:
        existing = {line.split()[0] for line in DICT.read_text(encoding="utf-8").splitlines() if line}
        new = sorted(v for v in bad if re.search(r"[\u4e00-\u9fff]", v) and " " not in v and v not in existing)
        with DICT.open("a", encoding="utf-8") as fh:
            fh.writelines(f"{v} 50000 n\n" for v in new)
        print(f"added {len(new)} words to {DICT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The work-order held-out split (tests/work_orders_heldout/) stays unseen by the shipped model: no
held-out message is a training message, and none contains a hand-written fragment that the corpus
generator (scripts/build_work_order_corpus.py) builds training messages from."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dataservice.work_orders.corpus import CORPUS_DIR, NONE, corpus_files, read_corpus
from dataservice.work_orders.model import normalize

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "work_orders_heldout"
FRAGMENTS = ROOT / "scripts" / "work_order_fragments"
# Shorter fragments ("路灯坏了", "illegal logging") are common phrases that any message may contain.
MIN_FRAGMENT = {"zh": 6, "en": 20}


def heldout_texts() -> list[str]:
    files = sorted(HELDOUT.glob("*.jsonl"))
    assert files, f"no held-out files in {HELDOUT}"
    return [normalize(json.loads(line)["text"]) for f in files
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_no_held_out_message_is_a_training_message():
    training = {normalize(json.loads(line)["text"]) for f in corpus_files(CORPUS_DIR)
                for line in f.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(training) > 10_000
    assert sorted(set(heldout_texts()) & training) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_held_out_message_contains_a_corpus_fragment(lang):
    topics = yaml.safe_load((FRAGMENTS / f"topics_{lang}.yaml").read_text(encoding="utf-8"))
    fragments = {normalize(option) for parts in topics.values() for options in parts.values()
                 for option in str(options).split("|")}
    fragments = {f for f in fragments if len(f) >= MIN_FRAGMENT[lang]}
    assert len(fragments) > 500
    held = heldout_texts()
    assert sorted((f, h) for f in fragments for h in held if f in h) == []


def test_no_held_out_out_of_scope_request_is_a_negative():
    """The classifier's refusal is measured on the assistant's held-out Chinese out-of-scope requests
    and CLINC150 oos_val (bench/work_order_eval.py): neither may be among the negatives."""
    negatives = {normalize(e.text) for e in read_corpus() if e.level1 == NONE}
    assert len(negatives) > 2000
    doc = yaml.safe_load((ROOT / "tests" / "nlu_heldout" / "heldout_out_of_scope_zh.yml")
                         .read_text(encoding="utf-8"))
    held = {normalize(line.strip().removeprefix("- ")) for block in doc["nlu"]
            for line in block["examples"].splitlines() if line.strip()}
    clinc = json.loads((ROOT / "tests" / "nlu_eval" / "clinc150_eval.json").read_text(encoding="utf-8"))
    held |= {normalize(text) for text, _intent in clinc["oos_val"]}
    assert len(held) > 200
    assert sorted(held & negatives) == []

"""The work-order held-out split (tests/work_orders_heldout/) stays unseen by the shipped model: no
held-out message is a training message, and none contains a hand-written fragment that the corpus
generator (scripts/build_work_order_corpus.py) builds training messages from. The texts are read
with the evaluation's own readers (bench/work_order_eval.py), so the test checks what is measured."""
from __future__ import annotations

import pytest

from bench.work_order_eval import heldout, out_of_scope_texts
from dataservice.work_orders.corpus import NONE, read_corpus
from dataservice.work_orders.model import normalize
from scripts.build_work_order_corpus import load_topics

# Shorter fragments ("路灯坏了", "illegal logging") are common phrases that any message may contain.
MIN_FRAGMENT = {"zh": 6, "en": 20}


def heldout_texts() -> list[str]:
    texts = [normalize(row["text"]) for rows in heldout().values() for row in rows]
    assert texts, "no held-out messages"
    return texts


def test_no_held_out_message_is_a_training_message():
    training = {normalize(e.text) for e in read_corpus()}
    assert len(training) > 10_000
    assert sorted(set(heldout_texts()) & training) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_held_out_message_contains_a_corpus_fragment(lang):
    fragments = {normalize(option) for parts in load_topics(lang).values()
                 for options in parts.values() for option in options}
    fragments = {f for f in fragments if len(f) >= MIN_FRAGMENT[lang]}
    assert len(fragments) > 500
    held = heldout_texts()
    assert sorted((f, h) for f in fragments for h in held if f in h) == []


def test_no_held_out_out_of_scope_request_is_a_negative():
    """The classifier's refusal is measured on the assistant's held-out Chinese out-of-scope requests
    and CLINC150 oos_val: neither may be among the negatives."""
    negatives = {normalize(e.text) for e in read_corpus() if e.level1 == NONE}
    assert len(negatives) > 2000
    held = {normalize(text) for texts in out_of_scope_texts().values() for text in texts}
    assert len(held) > 200
    assert sorted(held & negatives) == []

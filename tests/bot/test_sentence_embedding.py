"""The sentence encoder (sentence_vectors/encoder.py): one normalised vector per text, none for a
text without words, the same vector for a long message as for its start, a bounded cache, and
vectors that place paraphrases in either language near each other."""
from __future__ import annotations

import numpy as np
import pytest

from sentence_vectors.encoder import DIM, SentenceEncoder


@pytest.fixture(scope="module")
def encoder():
    return SentenceEncoder(max_chars=64, cache_size=3)


@pytest.mark.parametrize("text", ["how do I renew my passport", "护照过期了怎么换", "護照過期了怎麼換",
                                  "my 身份证 is lost"])
def test_a_text_gets_one_normalised_vector(encoder, text):
    v = encoder.vector(text)
    assert v.shape == (DIM,)
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-3)


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n", "？？！", "😡😡😡", "..."])
def test_a_text_without_words_gets_no_vector(encoder, text):
    assert encoder.vector(text) is None


def test_only_the_start_of_a_long_message_is_embedded(encoder):
    long_text = "我要投诉：徐汇区漕溪北路上的烧烤店每天半夜还在营业，油烟和噪音让整栋楼的居民都睡不好觉" + \
        "，已经持续三个月了" * 200
    assert np.allclose(encoder.vector(long_text), encoder.vector(long_text[:64]))
    assert not np.allclose(encoder.vector(long_text), encoder.vector(long_text[:40]))


def test_a_batch_keeps_its_order_and_the_cache_stays_bounded(encoder):
    texts = ["你好", "!!!", "thanks", "你好", "where is the Xuhui centre", "bye"]
    batch = encoder.vectors(texts)
    assert batch[1] is None
    for text, v in zip(texts, batch):
        if v is not None:
            assert np.allclose(v, encoder.vector(text))
    assert len(encoder._cache) <= 3


@pytest.mark.parametrize("query, near, far", [
    ("my passport ran out, how do I get a new one", "护照到期了怎么换新的", "废电池应该扔到哪个垃圾桶"),
    ("护照到期了怎么换新的", "how do I renew an expired passport", "where do batteries go in the bins"),
    ("我家楼下烧烤店天天半夜噪音扰民", "the restaurant downstairs is noisy every night",
     "what are the opening hours of the service centre"),
])
def test_paraphrases_across_languages_are_near(encoder, query, near, far):
    q, n, f = (encoder.vector(t) for t in (query, near, far))
    assert q @ n > q @ f


def test_a_large_batch_split_over_handles_gives_the_vectors_of_one_handle(encoder):
    from sentence_vectors.encoder import PARALLEL_BATCH

    texts = [f"第{i}号 request about the residence permit" for i in range(PARALLEL_BATCH + 5)]
    fresh = SentenceEncoder(max_chars=64, cache_size=1000)
    batch = fresh.vectors(texts)
    assert len(fresh._models) == fresh._workers
    for text, v in zip(texts, batch):
        assert np.allclose(v, encoder._models[0].query(text))

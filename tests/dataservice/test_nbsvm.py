"""NB-SVM, the estimator behind every head of the work-order classifier."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import cross_val_predict
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_class_weight

from dataservice.work_orders import nbsvm
from dataservice.work_orders.nbsvm import NBSVM, log_count_ratio

TOPICS = {
    "roads": ["pothole", "streetlight", "pavement", "kerb"],
    "noise": ["loud", "music", "karaoke", "drilling"],
    "wages": ["salary", "unpaid", "overtime", "payslip"],
}
FILLER = ["please", "help", "near", "my", "home", "again", "today", "the", "street"]


def _toy(n_per_class: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(n_per_class):
            texts.append(" ".join([*rng.choice(words, 2), *rng.choice(FILLER, 4)]))
            labels.append(label)
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def toy():
    texts, labels = _toy(20, seed=1)
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(texts)
    return vectorizer, vectorizer.transform(texts), labels


def test_log_count_ratio_by_hand():
    # Feature 0 only in the class, feature 1 only elsewhere; α = 1: p = (3, 1)/4, q = (1, 3)/4.
    r = log_count_ratio(np.array([2.0, 0.0]), np.array([2.0, 2.0]), alpha=1.0)
    assert np.allclose(r, [np.log(3), -np.log(3)])


def test_alpha_smooths_the_ratios():
    in_class, totals = np.array([5.0, 0.0, 1.0]), np.array([5.0, 4.0, 2.0])
    sharp, smooth = (log_count_ratio(in_class, totals, alpha) for alpha in (0.01, 100.0))
    assert np.abs(smooth).max() < 0.05 < 1.0 < np.abs(sharp).max()
    assert np.array_equal(np.sign(sharp), np.sign(log_count_ratio(in_class, totals, 1.0)))


def test_folded_weights_give_the_svm_scores_on_scaled_features(toy):
    _, x, labels = toy
    model = NBSVM(C=0.7, alpha=0.5, beta=0.3, random_state=13).fit(x, labels)
    weights = compute_class_weight("balanced", classes=model.classes_, y=labels)
    for c, name in enumerate(model.classes_):
        positive = labels == name
        p = 0.5 + np.asarray(x[positive].sum(axis=0)).ravel()
        q = 0.5 + np.asarray(x[~positive].sum(axis=0)).ravel()
        r = np.log(p / p.sum()) - np.log(q / q.sum())
        scaled = x.multiply(r).tocsr()
        svm = LinearSVC(C=0.7, class_weight={1: weights[c], 0: 1.0}, random_state=13)
        svm.fit(scaled, positive.astype(int))
        w = svm.coef_[0]
        interpolated = 0.7 * np.abs(w).mean() + 0.3 * w
        expected = scaled @ interpolated + svm.intercept_[0]
        assert np.allclose(model.decision_function(x)[:, c], expected, atol=1e-6)


def test_with_unit_ratios_it_is_linear_svc_class_balancing_included(toy, monkeypatch):
    """The one-vs-rest weighting is liblinear's own, for many classes and for two."""
    _, x, labels = toy
    monkeypatch.setattr(nbsvm, "log_count_ratio", lambda in_class, totals, alpha: np.ones_like(in_class))
    unbalanced = np.r_[np.flatnonzero(labels == "roads"), np.flatnonzero(labels != "roads")[::3]]
    for y in (labels[unbalanced], np.where(labels == "roads", "roads", "other")[unbalanced]):
        ours = NBSVM(C=0.5, beta=1.0, random_state=13).fit(x[unbalanced], y)
        theirs = LinearSVC(C=0.5, class_weight="balanced", random_state=13).fit(x[unbalanced], y)
        assert np.allclose(ours.decision_function(x), theirs.decision_function(x), atol=1e-6)


def test_separates_unseen_messages_of_a_toy_problem(toy):
    vectorizer, x, labels = toy
    texts, truth = _toy(10, seed=2)
    model = NBSVM(C=1.0, random_state=13).fit(x, labels)
    assert np.mean(model.predict(vectorizer.transform(texts)) == truth) == 1.0
    # Each class's strongest feature is one of its own words; shared filler words are not.
    names = vectorizer.get_feature_names_out()
    for c, label in enumerate(model.classes_):
        assert names[np.argmax(model.coef_[c])] in TOPICS[label]


def test_beta_interpolates_between_naive_bayes_and_the_svm(toy):
    _, x, labels = toy
    fitted = NBSVM(C=1.0, beta=1.0, random_state=13).fit(x, labels)
    assert np.allclose(fitted.coef_, fitted.svm_coef_ * fitted.ratios_)
    naive_bayes = fitted.with_beta(0.0)
    # β = 0: every feature's weight is its log-count ratio times one constant per class.
    assert np.allclose(naive_bayes.coef_ / fitted.ratios_,
                       np.abs(fitted.svm_coef_).mean(axis=1, keepdims=True))
    assert fitted.beta == 1.0 and naive_bayes.beta == 0.0  # the original is left alone
    # Changing β after the fit is the same as fitting with it.
    refitted = NBSVM(C=1.0, beta=0.25, random_state=13).fit(x, labels)
    assert np.allclose(fitted.with_beta(0.25).decision_function(x), refitted.decision_function(x))


def test_two_classes_give_one_score_column_and_cross_validation_works(toy):
    _, x, labels = toy
    binary = np.where(labels == "wages", "wages", "other")
    model = NBSVM(random_state=13).fit(x, binary)
    scores = model.decision_function(x)
    assert scores.shape == (len(binary),) and list(model.classes_) == ["other", "wages"]
    assert np.array_equal(model.predict(x), np.where(scores > 0, "wages", "other"))
    oof = cross_val_predict(NBSVM(random_state=13), x, labels, cv=3, method="decision_function")
    assert oof.shape == (len(labels), 3)
    assert np.mean(np.array(sorted(TOPICS))[oof.argmax(axis=1)] == labels) > 0.9


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least two classes"):
        NBSVM().fit(sp.identity(3, format="csr"), ["a", "a", "a"])

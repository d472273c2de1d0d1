"""The array-stored intent classifier loads back to exactly the probabilities it was trained with."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from sklearn.linear_model import LogisticRegression

from bot.nlu.logistic_regression import ArrayLogisticRegressionClassifier


def test_round_trip_keeps_probabilities(tmp_path):
    rng = np.random.default_rng(0)
    X = sp.random(120, 300, density=0.05, random_state=1, format="csr")
    y = rng.choice(["greet", "ask_service_fee", "report_issue", "thank"], size=120)
    storage, resource = LocalModelStorage(tmp_path), Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    trained = ArrayLogisticRegressionClassifier.create({}, storage, resource, context)
    trained.clf = LogisticRegression(max_iter=500).fit(X, y)
    trained.persist()

    loaded = ArrayLogisticRegressionClassifier.load({}, storage, resource, context)
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    np.testing.assert_allclose(loaded.clf.predict_proba(X), trained.clf.predict_proba(X))
    assert not list(tmp_path.rglob("*.skops"))  # no skops file: nothing imports skops.io to load

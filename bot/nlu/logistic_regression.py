"""Rasa's logistic-regression intent classifier, stored as plain arrays instead of a skops file.

Loading Rasa 3.6's skops file imports `skops.io`, which on import scans every loaded module to
list the types it trusts: with Rasa and TensorFlow loaded that took about half of the Rasa
server's start-up (py-spy, docs/performance.md). A fitted multinomial logistic regression is
three arrays; they are stored with numpy (no pickle) and the classifier is rebuilt from them.
Models trained before this component existed still load through skops.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

logger = logging.getLogger(__name__)
ARRAYS, CLASSES = "weights.npz", "classes.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ArrayLogisticRegressionClassifier(LogisticRegressionClassifier):
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / ARRAYS, coef=self.clf.coef_, intercept=self.clf.intercept_)
            (model_dir / CLASSES).write_text(json.dumps([str(c) for c in self.clf.classes_]),
                                             encoding="utf-8")

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LogisticRegressionClassifier:
        try:
            with model_storage.read_from(resource) as model_dir:
                if not (model_dir / ARRAYS).exists():
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                with np.load(model_dir / ARRAYS, allow_pickle=False) as arrays:
                    coef, intercept = arrays["coef"], arrays["intercept"]
                classes = json.loads((model_dir / CLASSES).read_text(encoding="utf-8"))
        except ValueError:
            logger.debug("%s: resource %s not found in the model", cls.__name__, resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        component = cls(config, execution_context.node_name, model_storage, resource)
        # What LogisticRegression.fit leaves behind and predict_proba reads.
        component.clf.coef_, component.clf.intercept_ = coef, intercept
        component.clf.classes_ = np.array(classes)
        component.clf.n_features_in_ = coef.shape[1]
        return component

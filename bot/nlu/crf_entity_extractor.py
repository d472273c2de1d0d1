"""Rasa's CRF entity extractor, but loaded from the trained model instead of trained again.

Rasa 3.6's CRFEntityExtractor stores its training set and fits the CRF again every time a model is
loaded (about 20 s of every Rasa start here, per Sanic worker). This subclass also stores the
CRFsuite model files it trained and opens them in memory on load. Models trained before this
component existed (no model files) still load, the slow way.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Dict, List

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken

logger = logging.getLogger(__name__)


def _model_file(tag_name: str) -> str:
    return f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class PersistedCRFEntityExtractor(CRFEntityExtractor):
    def persist(self, dataset: List[List[CRFToken]]) -> None:
        super().persist(dataset)
        with self._model_storage.write_to(self._resource) as model_dir:
            for tag_name, tagger in (self.entity_taggers or {}).items():
                with open(tagger.modelfile.name, "rb") as trained:
                    (model_dir / _model_file(tag_name)).write_bytes(trained.read())

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CRFEntityExtractor:
        import pycrfsuite
        import sklearn_crfsuite

        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order = rasa.shared.utils.io.read_json_file(model_dir / "crf_order.json")
                files = {tag: model_dir / _model_file(tag) for tag in crf_order}
                if not all(f.exists() for f in files.values()):
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                taggers = OrderedDict()
                for tag_name, path in files.items():
                    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=config["L1_c"], c2=config["L2_c"],
                                               max_iterations=config["max_iterations"],
                                               all_possible_transitions=True)
                    # The model dir is temporary: open from memory. CRFsuite reads that buffer in
                    # place, so it must live as long as the tagger (a freed one crashes Python).
                    crf._model_bytes = path.read_bytes()
                    tagger = pycrfsuite.Tagger()
                    tagger.open_inmemory(crf._model_bytes)
                    crf._tagger = tagger  # what CRF.tagger_ would open from its model file
                    taggers[tag_name] = crf
        except ValueError:
            logger.warning("%s: resource %s not found in the model", cls.__name__, resource.name)
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor

"""The loaded model kept out of Python's cyclic garbage collector.

A Rasa server holds about half a million objects the collector tracks (Rasa, TensorFlow and the
model), and a full collection walks all of them: 350-500 ms on the reference machine, during
which that worker answers nobody. Under the benchmark's load each worker ran two or three of them
in 40 s (counted with `gc.callbacks`), a second of CPU and a tail-latency spike each time. After
each model load the objects alive at that moment, which live until the next model, are frozen
(`gc.freeze`): a full collection then walks only what is new (bench/rasa_patches_bench.py
measures one). A new model unfreezes them first, so that a collection can free the old model's
cycles.
"""
from __future__ import annotations

import gc
import logging
import time

from rasa.core.agent import Agent

logger = logging.getLogger(__name__)
rasa_load_model = Agent.load_model


def freeze_what_is_alive() -> None:
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    logger.debug("Froze %d objects in %.0f ms", gc.get_freeze_count(),
                 1000 * (time.perf_counter() - started))


def load_model(self: Agent, *args, **kwargs) -> None:
    rasa_load_model(self, *args, **kwargs)
    freeze_what_is_alive()


def install() -> None:
    Agent.load_model = load_model

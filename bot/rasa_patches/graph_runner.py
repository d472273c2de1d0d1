"""Rasa's model graph run in plain Python instead of through dask.

Rasa 3.6 runs its model as a graph (NLU components, then each policy) with `dask.get` on every
message and on every action prediction, three or four times a message. Dask's scheduler (a
dependency analysis, an ordering pass and a thread-pool-shaped loop, all single-threaded here)
took about a fifth of the time of those runs (py-spy on the Rasa server under the benchmark's
load). The graph is a tree of pure calls: each node is called once, after the nodes it needs,
with their `(name, output)` pairs, as dask calls it; inputs replace nodes of the same name; a need
that is neither reaches the node as its name (the node then warns, as with dask).
"""
from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

rasa_run = DaskGraphRunner.run  # Rasa's own, for the tests' comparison


def run(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None) -> dict[str, Any]:
    nodes = self._graph_schema.nodes
    run_targets = targets if targets else self._graph_schema.target_names
    results: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the "
                f"input names passed to the `run` method are the same as node names in the graph "
                f"schema.")
        results[name] = (name, value)

    def result_of(name: str) -> Any:
        if name not in results:
            if name not in nodes:
                return name
            needs = [result_of(need) for need in nodes[name].needs.values()]
            results[name] = self._instantiated_nodes[name](*needs)
        return results[name]

    try:
        return dict(result_of(target) for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def install() -> None:
    DaskGraphRunner.run = run

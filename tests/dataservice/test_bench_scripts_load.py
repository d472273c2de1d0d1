"""The data service's benchmark and evaluation scripts still load against the code they measure.

They run by hand or from `make evaluate`, not in every test run, so a renamed name in the code
they import went unnoticed: bench/work_order_cv.py imported a constant that no longer existed.
Loading each (its `main` is not run) catches that at once.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
# The scripts that run in the data service's environment (the others need Rasa's or the console's).
SCRIPTS = ["work_order_cv", "work_order_eval", "classify_bench", "dataservice_bench", "openapi_fuzz"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_loads(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # their sibling imports (bench/processes.py, ...)
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert callable(module.main)

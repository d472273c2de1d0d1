"""No Docker engine runs here, so the docker/ files are checked statically: hadolint for the
Dockerfiles, the compose-spec JSON schema (vendored by check-jsonschema) for the compose file, and
`haproxy -c` for the load balancer's configuration; then what the files must say (pinned images,
non-root users, only the load balancer published, secrets from the env file)."""
from __future__ import annotations

import ast
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
    assert {"rasa.Dockerfile", "actions.Dockerfile", "dataservice.Dockerfile", "console.Dockerfile",
            "console-worker.Dockerfile"} <= names


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile: Path):
    result = subprocess.run([_tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_pins_base_runs_non_root_checks_health_and_copies_existing_paths(dockerfile: Path):
    text = dockerfile.read_text()
    for base in re.findall(r"^FROM\s+(\S+)", text, re.M):
        assert re.search(r":\d+\.\d+\.\d+", base), f"base image not pinned to a patch version: {base}"
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "image must run as a non-root user"
    assert re.search(r"^HEALTHCHECK\s+", text, re.M), "image needs a health check"
    for line in re.findall(r"^COPY\s+(.+)$", text, re.M):
        if "--from=" in line:
            continue  # from an earlier build stage, not from the repository
        for src in [w for w in line.split() if not w.startswith("--")][:-1]:
            assert (ROOT / src).exists() or src in BUILD_ARTIFACTS, f"COPY source missing: {src}"


def pins(path: Path, until: str | None = None) -> dict[str, str]:
    """name -> version of a requirements file (names normalised, extras dropped), up to the line
    that starts with `until`."""
    text = path.read_text()
    if until:
        text = text.split(until, 1)[0]
    lines = [ln.split("#")[0].strip() for ln in text.splitlines()]
    return {re.sub(r"[-_.]+", "-", n.split("[")[0]).lower(): v for n, v in
            (ln.split("==") for ln in lines if "==" in ln)}


def test_action_image_has_rasa_sdk_but_not_rasa_and_matches_the_rasa_environment_pins():
    image, rasa_env = pins(DOCKER / "actions.requirements.txt"), pins(ROOT / "bot" / "requirements.txt")
    assert "rasa-sdk" in image and "rasa" not in image and "tensorflow" not in image
    drift = {n: (v, rasa_env.get(n)) for n, v in image.items() if rasa_env.get(n) != v}
    assert not drift, f"versions differ from bot/requirements.txt: {drift}"


# Run in the console's environment: the installed distributions' own dependency metadata.
CLOSURE = """
import re, sys
from importlib.metadata import distribution
from packaging.requirements import Requirement
seen, stack = {}, [Requirement(a) for a in sys.argv[1:]]
while stack:
    req = stack.pop()
    dist = distribution(req.name)
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    extras = seen.get(name, (None, set()))[1] | set(req.extras)
    if name in seen and extras == seen[name][1]:
        continue
    seen[name] = (dist.version, extras)
    for dep in map(Requirement, dist.requires or []):
        if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras or {""}):
            stack.append(dep)
print("\\n".join(f"{n}=={v}" for n, (v, _) in sorted(seen.items())))
"""


def test_console_image_installs_exactly_the_run_time_closure_of_the_console_pins():
    console_py = ROOT / ".venv" / "console" / "bin" / "python"
    assert console_py.exists(), "the console environment is made by `make setup-console`"
    requirements = ROOT / "console" / "requirements.txt"
    top_level = [ln.strip() for ln in requirements.read_text().split("# tests", 1)[0].splitlines()
                 if "==" in ln and not ln.startswith("#")]
    result = subprocess.run([str(console_py), "-c", CLOSURE, *(ln.split("==")[0] for ln in top_level)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    closure = dict(ln.split("==") for ln in result.stdout.split())
    image = pins(DOCKER / "console.requirements.txt")
    expected = "\n".join(f"{n}=={v}" for n, v in sorted(closure.items()))
    assert image == closure, f"docker/console.requirements.txt must pin exactly:\n{expected}"
    assert image.items() <= pins(requirements).items(), "pins differ from console/requirements.txt"
    assert not {"pytest", "selenium", "rasa", "tensorflow"} & set(image)


def test_worker_image_holds_rasa_and_the_console_environment_side_by_side():
    text = (DOCKER / "console-worker.Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", text, re.M)
    rasa_base = re.search(r"^FROM\s+(\S+)", (DOCKER / "rasa.Dockerfile").read_text(), re.M).group(1)
    console_base = re.search(r"^FROM\s+(\S+)", (DOCKER / "console.Dockerfile").read_text(), re.M).group(1)
    assert bases[0] == console_base and bases[-1] == rasa_base, bases
    assert "pip install -r /app/bot/requirements.txt" in text, "Rasa from the Rasa environment's pins"
    assert "console.requirements.txt" in text
    cmd = json.loads(re.search(r"^CMD\s+(.+)$", text, re.M).group(1))
    assert cmd == ["/opt/console/bin/python", "-m", "console", "worker"]
    assert re.search(r"^\s*CONSOLE_RASA=/usr/local/bin/rasa", text, re.M)


def _copied_sources(dockerfile: Path) -> set[Path]:
    return {ROOT / src for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), re.M)
            if "--from=" not in line for src in [w for w in line.split() if not w.startswith("--")][:-1]}


def test_rasa_image_carries_the_stores_and_broker_its_endpoints_name():
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    copied = _copied_sources(DOCKER / "rasa.Dockerfile")
    for section in ("tracker_store", "lock_store", "event_broker"):
        module = ROOT / (endpoints[section]["type"].rsplit(".", 1)[0].replace(".", "/") + ".py")
        assert module.exists() and any(module.is_relative_to(src) for src in copied), section


# The packages each image runs code from (copied whole); what they import from the repository,
# and what that imports in turn, must be in the image too.
IMAGE_PACKAGES = {"rasa": ("bot",), "actions": ("actions",), "console": ("console",),
                  "console-worker": ("console", "bot"), "dataservice": ("dataservice",)}
FIRST_PARTY = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}


def _imported_modules(source: Path) -> set[str]:
    """The repository modules a file imports (`from a import b` may name the module a.b)."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.split(".")[0] in FIRST_PARTY}


def _module_file(module: str) -> Path | None:
    path = ROOT / module.replace(".", "/")
    for file in (path / "__init__.py", path.with_suffix(".py")):
        if file.exists():
            return file
    return None  # a name defined in a module, not a module


def _files_needed(packages: tuple[str, ...]) -> set[Path]:
    """The packages' files and every repository module they import, transitively (with the
    packages above each module)."""
    todo = [file for package in packages for file in (ROOT / package).rglob("*.py")]
    needed = set(todo)
    while todo:
        for module in _imported_modules(todo.pop()):
            parts = module.split(".")
            for file in filter(None, (_module_file(".".join(parts[:n]))
                                      for n in range(1, len(parts) + 1))):
                if file not in needed:
                    needed.add(file)
                    todo.append(file)
    return needed


def test_the_import_scan_follows_imports_across_packages():
    assert ROOT / "signing" / "relay.py" in _files_needed(("bot",))
    # the console reads dataservice/settings.py, which imports deployment_env
    assert ROOT / "deployment_env" / "__init__.py" in _files_needed(("console",))


@pytest.mark.parametrize("image", sorted(IMAGE_PACKAGES))
def test_every_image_carries_every_repository_module_its_code_imports(image: str):
    copied = _copied_sources(DOCKER / f"{image}.Dockerfile")
    for file in _files_needed(IMAGE_PACKAGES[image]):
        assert any(file == src or src in file.parents for src in copied), \
            f"{file.relative_to(ROOT)} not in the {image} image"


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
    public = [n for n, s in services.items() for p in s.get("ports", []) if not p.startswith("127.0.0.1:")]
    assert public == ["loadbalancer"], f"only the load balancer may publish public ports: {public}"
    assert services["console"]["ports"] == ["127.0.0.1:8100:8100"], "operators' console: loopback only"
    for name in ("rasa", "actions"):
        assert "replicas" in services[name]["deploy"]
        assert services[name]["networks"] == ["internal"], f"{name} must be on the internal network only"
    assert compose()["networks"]["internal"]["internal"] is True
    rasa = services["rasa"]["environment"]
    assert rasa["TRACKER_STORE_URL"].startswith("postgresql://") and "@postgres:" in rasa["TRACKER_STORE_URL"]
    assert rasa["REDIS_URL"].startswith("redis://redis:"), "replicas share the Redis lock store"
    assert rasa["ACTION_ENDPOINT_URL"].startswith("http://actions:")


def test_compose_runs_the_console_its_consumer_and_one_worker_on_the_shared_servers():
    services = compose()["services"]
    commands = {name: services[name].get("command") for name in
                ("console-migrate", "console", "console-consumer", "console-worker")}
    assert commands["console-migrate"][-1] == "migrate" and commands["console-consumer"][-1] == "consume"
    assert services["console-worker"]["build"]["dockerfile"] == "docker/console-worker.Dockerfile"
    assert services["console-worker"]["deploy"]["replicas"] == 1, "training jobs run one at a time"
    for name in ("console", "console-consumer", "console-worker"):
        env = services[name]["environment"]
        assert env["CONSOLE_DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["CONSOLE_DATABASE_URL"]
        assert env["EVENT_BROKER_URL"].startswith("amqp://") and "@rabbitmq:" in env["EVENT_BROKER_URL"]
        assert env["CONSOLE_QUEUE_URL"].startswith("redis://redis:")
        assert services[name]["depends_on"]["console-migrate"]["condition"] == "service_completed_successfully"
    rasa = services["rasa"]["environment"]
    assert rasa["EVENT_BROKER_URL"] == services["console-consumer"]["environment"]["EVENT_BROKER_URL"]
    assert rasa["MODEL_SERVER_URL"] == "${MODEL_SERVER_URL:-}"
    example = (DOCKER / ".env.example").read_text()
    assert re.search(r"^MODEL_SERVER_URL=http://console:8100/", example, re.M)
    assert "CREATE DATABASE console;" in (DOCKER / "postgres-init" / "10-databases.sql").read_text()


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

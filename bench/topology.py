"""The production topology on one machine: Rasa replicas and action servers behind HAProxy (the
Debian package; scripts/install_haproxy.sh), sharing a PostgreSQL tracker store and the Redis
lock store, with the data service behind the actions. Every process runs on loopback, on free
ports, with a database and Redis prefixes of its own; `stop()` ends all of them.

Used by tests/deploy/live/test_replica_failover.py (short form) and bench/failover_bench.py (full run
and capacity figures for docs/deployment.md).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from bench.processes import free_port, wait_http
from bench.systems import (
    DS_PY,
    RASA_BIN,
    REDIS_BASE,
    ROOT,
    Procs,
    base_env,
    fresh_pg_database,
)

HAPROXY_DIR = ROOT / "docker" / "haproxy"
INTEGRATOR = "topo"
INTEGRATOR_KEY = "topology-integrator-key"
DS_KEY = "topology-dataservice-key"
TOKEN = "topology-token"


def action_server_command(port: int) -> list[str]:
    """How an action server is started: its own entry point (loopback, ACTION_SERVER_TOKEN checked)."""
    return [str(RASA_BIN / "python"), "-m", "actions.server", "--port", str(port)]


def rasa_command(model: Path, port: int) -> list[str]:
    return [str(RASA_BIN / "python"), "-m", "bot", "run", "--model", str(model), "--endpoints",
            "bot/endpoints.yml", "--credentials", "bot/credentials.yml", "--port", str(port),
            "--enable-api", "--auth-token", TOKEN]


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError("no trained model in models/: run `make train` first")
    return models[-1]


def haproxy_backends(rasa: dict[str, int], actions: dict[str, int], actions_bind: int,
                     admin_socket: Path) -> str:
    """The per-environment part of the HAProxy configuration (docker/haproxy/haproxy.cfg holds
    the rest): the Rasa replicas, a balanced endpoint for the action servers (what a Kubernetes
    Service or Docker's DNS gives Rasa in production), and an admin socket to take replicas out."""
    lines = ["global", f"    stats socket {admin_socket} level admin", "",
             "backend rasa",
             "    http-response set-header X-Replica %s"]
    lines += [f"    server {name} 127.0.0.1:{port} check" for name, port in rasa.items()]
    lines += ["", "frontend actions", f"    bind 127.0.0.1:{actions_bind}",
              "    default_backend actions", "", "backend actions", "    option httpchk GET /health"]
    lines += [f"    server {name} 127.0.0.1:{port} check" for name, port in actions.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Topology:
    replicas: int = 3
    action_servers: int = 2
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="topology-")))
    run_id: str = field(default_factory=lambda: f"t{os.getpid()}x{int(time.time()) % 100000}")
    # A Redis of its own for the Rasa side (locks, idempotency, rate limits), so that it can be
    # taken down without touching anyone else's (bench/failover.py, fault "redis").
    private_redis: bool = False

    def __post_init__(self) -> None:
        self.procs = Procs()
        self.env = base_env()
        self.rasa_ports = {f"rasa{i + 1}": free_port() for i in range(self.replicas)}
        self.action_ports = {f"actions{i + 1}": free_port() for i in range(self.action_servers)}
        self.lb_port, self.actions_lb_port, self.ds_port = free_port(), free_port(), free_port()
        self.databases = [f"{self.run_id}_tracker", f"{self.run_id}_dataservice"]
        self.model = latest_model()
        self.tracker_url = ""
        self.redis_port = free_port() if self.private_redis else 0
        self.replica_logs: dict[str, Path] = {}

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}/webhooks/rest/webhook"

    headers = {"Authorization": f"Bearer {INTEGRATOR_KEY}"}

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    # ---- start

    def start(self) -> None:
        try:
            if self.private_redis:
                self.start_redis()
            self._start_dataservice()
            self._start_haproxy()
            for name, port in self.action_ports.items():
                self.procs.start(name, action_server_command(port), self.env, ROOT, self.log(name))
            for name in self.rasa_ports:
                self.start_replica(name, wait=False)
            for name, port in self.action_ports.items():
                wait_http(f"http://127.0.0.1:{port}/health", 180, self.procs.procs[name], self.log(name))
            for name in self.rasa_ports:
                self.wait_replica(name)
            self.wait_balanced(list(self.rasa_ports))
        except BaseException:
            self.stop()
            raise

    def _start_dataservice(self) -> None:
        ds_db, self.tracker_url = (fresh_pg_database(self.databases[1]),
                                   fresh_pg_database(self.databases[0]))
        ds_env = dict(self.env, DATABASE_URL=ds_db.replace("postgresql://", "postgresql+psycopg://"),
                      REDIS_URL=f"{REDIS_BASE}/12", DATASERVICE_API_KEYS=DS_KEY,
                      DATASERVICE_CACHE_PREFIX=self.run_id)
        for step in ("migrate", "seed"):
            subprocess.run([str(DS_PY), "-m", "dataservice", step], env=ds_env, cwd=ROOT, check=True,
                           capture_output=True)
        proc = self.procs.start("dataservice", [str(DS_PY), "-m", "dataservice", "serve", "--port",
                                                str(self.ds_port)], ds_env, ROOT, self.log("dataservice"))
        wait_http(f"http://127.0.0.1:{self.ds_port}/readyz", 90, proc, self.log("dataservice"))
        self.env.update(
            DATASERVICE_URL=f"http://127.0.0.1:{self.ds_port}", DATASERVICE_API_KEY=DS_KEY,
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.actions_lb_port}/webhook",
            ACTION_SERVER_TOKEN="topology-action-server-token",
            TRACKER_STORE_URL=self.tracker_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0" if self.private_redis else f"{REDIS_BASE}/13",
            INTEGRATOR_REDIS_PREFIX=f"{self.run_id}:integrator:", PII_SECRET_KEY="topology-pii-secret",
            SANIC_WORKERS="1", INTEGRATOR_API_KEYS=f"{INTEGRATOR}:{INTEGRATOR_KEY}",
            # One integrator sends for many citizens here: lift its rate limits.
            INTEGRATOR_RATE_OVERRIDES=f"{INTEGRATOR}:10000000/100000",
            INTEGRATOR_SENDER_RATE_PER_MINUTE="100000", INTEGRATOR_SENDER_BURST="10000")

    def _start_haproxy(self) -> None:
        backends = self.workdir / "backends.cfg"
        backends.write_text(haproxy_backends(self.rasa_ports, self.action_ports, self.actions_lb_port,
                                             self.workdir / "haproxy.sock"))
        env = dict(self.env, LB_BIND=f"127.0.0.1:{self.lb_port}", LB_ERRORS=str(HAPROXY_DIR / "errors"))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise RuntimeError("haproxy is not installed: bash scripts/install_haproxy.sh")
        # -db: stay in the foreground (Procs stops it); the log goes to stdout, i.e. haproxy.log.
        self.procs.start("haproxy", [haproxy, "-db", "-f", str(HAPROXY_DIR / "haproxy.cfg"),
                                     "-f", str(backends)], env, ROOT, self.log("haproxy"))

    def start_replica(self, name: str, wait: bool = True) -> None:
        port = self.rasa_ports[name]
        self.replica_logs[name] = self.workdir / f"{name}-{int(time.time())}.log"
        self.procs.start(name, rasa_command(self.model, port), self.env, ROOT, self.replica_logs[name])
        if wait:
            self.wait_replica(name)
            self.wait_balanced([name])

    def wait_replica(self, name: str) -> None:
        wait_http(f"http://127.0.0.1:{self.rasa_ports[name]}/status?token={TOKEN}", 420,
                  self.procs.procs[name], self.replica_logs[name])

    def kill_replica(self, name: str) -> None:
        """SIGKILL: no shutdown handler runs, the way a node or a container dies."""
        proc = self.procs.procs.pop(name)
        os.killpg(proc.pid, 9)
        proc.wait()

    def start_redis(self) -> None:
        """The private Redis, empty (no persistence: a restart loses every lock and record)."""
        self.procs.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no"], self.env, self.workdir,
                         self.log("redis"))
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.redis_port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("the private redis-server did not start")

    def kill_redis(self) -> None:
        proc = self.procs.procs.pop("redis")
        os.killpg(proc.pid, 9)
        proc.wait()

    def haproxy_admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.workdir / "haproxy.sock"))
            admin.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def wait_balanced(self, names: list[str], seconds: float = 30) -> None:
        """Until the balancer's health checks have put these replicas in (rise 2, every second)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            up = {name for name, row in self._replica_stats().items() if row.get("status") == "UP"}
            if set(names) <= up:
                return
            time.sleep(0.25)
        raise RuntimeError(f"the balancer did not put {names} in within {seconds}s")

    def requests_on(self, name: str) -> int:
        """The requests the balancer has on a Rasa replica now (its `scur`)."""
        return int(self._replica_stats().get(name, {}).get("scur") or 0)

    def _replica_stats(self) -> dict[str, dict[str, str]]:
        """`show stat` of the Rasa backend's servers, by name, each row by its CSV header's fields."""
        lines = self.haproxy_admin("show stat").splitlines()
        fields = lines[0].lstrip("# ").split(",") if lines else []
        rows = (dict(zip(fields, line.split(","))) for line in lines[1:])
        return {row["svname"]: row for row in rows
                if row.get("pxname") == "rasa" and row.get("svname") not in (None, "BACKEND")}

    def balance_over(self, active: int) -> None:
        """Send traffic to the first `active` replicas only (the others stay up, idle)."""
        for i, name in enumerate(self.rasa_ports):
            self.haproxy_admin(f"{'enable' if i < active else 'disable'} server rasa/{name}")

    # ---- what happened

    def stored_user_messages(self) -> dict[str, list[tuple[int, str]]]:
        """Every conversation's stored events in the tracker store, in insertion order:
        (event row id, 'user:<text>' or the event type)."""
        out: dict[str, list[tuple[int, str]]] = {}
        with psycopg2.connect(self.tracker_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT id, sender_id, type_name, data FROM events ORDER BY id")
            for row_id, sender, type_name, data in cur:
                text = json.loads(data).get("text") if type_name == "user" else None
                out.setdefault(sender, []).append((row_id, f"user:{text}" if text else type_name))
        return out

    def lb_log(self) -> list[dict]:
        """HAProxy's log of the chat frontend: per request, the replica, the status (-1: the
        connection died before any answer) and the client's X-Request-Id (captured)."""
        entries = []
        pattern = re.compile(r" chat rasa/(\S+) \S+ (-?\d+) .*?\{([^}]*)\}")
        for line in self.log("haproxy").read_text(errors="replace").splitlines():
            m = pattern.search(line)
            if m:
                entries.append({"replica": m.group(1), "status": int(m.group(2)), "attempt": m.group(3)})
        return entries

    # ---- stop

    def stop(self) -> None:
        self.procs.stop()
        admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        for db in self.databases:
            subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'],
                           capture_output=True)

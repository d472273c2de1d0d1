"""The two systems under test, started as real processes on loopback.

- `CityBackend`: this project in its production configuration — data service on PostgreSQL +
  Redis, action server, Rasa with the PostgreSQL tracker store, the Redis lock store, the
  authenticated integrator webhook and the RabbitMQ event broker (a queue and exchange of its own,
  deleted afterwards).
- `StockRasa`: the assistant `rasa init` creates (Rasa's own scaffold, default config, REST
  channel, in-memory stores), trained in a temporary folder.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.processes import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv" / "rasa" / "bin"
DS_PY = ROOT / ".venv" / "dataservice" / "bin" / "python"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
INTEGRATOR_KEY = "bench-integrator-key"
DS_KEY = "bench-dataservice-key"
TOKEN = "bench-token"


def base_env() -> dict[str, str]:
    # No model server unless one is named (bot/endpoints.yml requires the variable).
    return dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3",
                SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONDONTWRITEBYTECODE="1",
                MODEL_SERVER_URL=os.environ.get("MODEL_SERVER_URL", ""))


def fresh_pg_database(name: str) -> str:
    """Drop and create `name`; returns its postgresql:// URL."""
    admin = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE); CREATE DATABASE "{name}";'
    for stmt in sql.split(";")[:2]:
        subprocess.run(["psql", admin, "-qc", stmt], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def _tree_sum(pid: int, measure) -> float:
    """`measure(process)` summed over a process and all its descendants (Sanic or uvicorn
    workers); processes that exit meanwhile count as 0."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            total += measure(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def tree_pss_mb(pid: int) -> float:
    """Memory as PSS: forked workers share pages with their parent, which RSS counts once per
    process."""
    return _tree_sum(pid, lambda p: p.memory_full_info().pss) / 2**20


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far."""
    return _tree_sum(pid, lambda p: sum(p.cpu_times()[:2]))


class PeakMemory:
    """Samples the memory (PSS) of process trees in the background; keeps the peak of each."""

    def __init__(self, pids: dict[str, int], interval: float = 0.25):
        self.pids, self.interval = pids, interval
        self.peak = {name: 0.0 for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], tree_pss_mb(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Procs:
    """Processes started by one system, stopped in reverse order."""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], env: dict, cwd: Path, log: Path,
              append: bool = False) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log.open("a" if append else "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else list(reversed(self.procs))
        for n in names:
            proc = self.procs.pop(n, None)
            if proc is None:
                continue
            try:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                proc.wait()

    def pids(self) -> dict[str, int]:
        return {n: p.pid for n, p in self.procs.items()}


def logged_errors(logs: list[Path]) -> int:
    """ERROR lines in the services' logs: a polite fallback answer is still a failed message."""
    return sum(line.count(" ERROR ") for log in logs if log.exists()
               for line in log.read_text(errors="replace").splitlines())


class CityBackend:
    name = "this backend"

    def __init__(self, workdir: Path, model: Path, rasa_workers: int, ds_workers: int,
                 run_suffix: str = ""):
        self.workdir, self.model, self.run_suffix = workdir, model, run_suffix
        self.rasa_workers, self.ds_workers = rasa_workers, ds_workers
        self.procs = Procs()
        self.rasa_port = free_port()
        self.env = base_env()
        self.dataservice_database_url: str | None = None
        self.broker_name = f"bench-events-{os.getpid()}{run_suffix}"

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    headers = {"Authorization": f"Bearer {INTEGRATOR_KEY}"}

    def start_support(self) -> None:
        """Data service and action server (everything but the Rasa server)."""
        ds_db = fresh_pg_database("bench_dataservice" + self.run_suffix)
        tracker_db = fresh_pg_database("bench_tracker" + self.run_suffix)
        ds_port, action_port = free_port(), free_port()
        ds_env = dict(self.env, DATABASE_URL=ds_db.replace("postgresql://", "postgresql+psycopg://"),
                      REDIS_URL=f"{REDIS_BASE}/12", DATASERVICE_API_KEYS=DS_KEY,
                      DATASERVICE_CACHE_PREFIX=f"bench{os.getpid()}")
        for step in ("migrate", "seed"):
            subprocess.run([str(DS_PY), "-m", "dataservice", step], env=ds_env, cwd=ROOT, check=True,
                           capture_output=True)
        self._ds = (ds_env, ds_port)
        self.dataservice_database_url = ds_env["DATABASE_URL"]
        self.start_dataservice()
        self.env.update(DATASERVICE_URL=f"http://127.0.0.1:{ds_port}", DATASERVICE_API_KEY=DS_KEY,
                        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
                        TRACKER_STORE_URL=tracker_db, REDIS_URL=f"{REDIS_BASE}/13",
                        PII_SECRET_KEY="bench-pii-secret", SANIC_WORKERS=str(self.rasa_workers),
                        ACTION_SERVER_TOKEN="bench-action-server-token",
                        INTEGRATOR_API_KEYS=f"bench:{INTEGRATOR_KEY}",
                        # A load test is one integrator sending for many citizens: lift its limits.
                        INTEGRATOR_RATE_OVERRIDES="bench:10000000/100000",
                        INTEGRATOR_SENDER_RATE_PER_MINUTE="100000",
                        INTEGRATOR_SENDER_BURST="10000",
                        # Production publishes every event to RabbitMQ for the console (a run of
                        # its own: nothing reaches another consumer's queue).
                        EVENT_BROKER_URL=RABBITMQ_URL, EVENT_BROKER_QUEUE=self.broker_name,
                        EVENT_BROKER_EXCHANGE=self.broker_name)
        log = self.workdir / "actions.log"
        proc = self.procs.start("action server", [str(RASA_BIN / "python"), "-m", "actions.server",
                                                  "--port", str(action_port)],
                                self.env, ROOT, log)
        wait_http(f"http://127.0.0.1:{action_port}/health", 120, proc, log)

    def start_dataservice(self) -> None:
        """(Re)start the data service on its database and port (the fault runs kill it)."""
        ds_env, ds_port = self._ds
        log = self.workdir / "dataservice.log"
        proc = self.procs.start("data service", [str(DS_PY), "-m", "dataservice", "serve", "--port",
                                                 str(ds_port), "--workers", str(self.ds_workers)],
                                ds_env, ROOT, log, append=True)
        wait_http(f"http://127.0.0.1:{ds_port}/readyz", 60, proc, log)

    def start_rasa(self) -> subprocess.Popen:
        return self.procs.start(
            "rasa server", [str(RASA_BIN / "python"), "-m", "bot", "run", "--model",
                            str(self.model), "--endpoints", "bot/endpoints.yml", "--credentials",
                            "bot/credentials.yml", "--port", str(self.rasa_port), "--enable-api",
                            "--auth-token", TOKEN], self.env, ROOT, self.workdir / "rasa.log")

    def logged_errors(self) -> int:
        return logged_errors([self.workdir / f"{n}.log" for n in ("rasa", "actions", "dataservice")])

    def stop(self) -> None:
        self.procs.stop()
        if "EVENT_BROKER_URL" in self.env:
            asyncio.run(delete_broker_queue(self.env["EVENT_BROKER_URL"], self.broker_name))


async def delete_broker_queue(url: str, name: str) -> None:
    """The run's queue and exchange (Rasa declared both; nobody consumes them)."""
    import aio_pika

    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.exchange_delete(name)


class StockRasa:
    """`rasa init`'s assistant: Rasa's own scaffold copied into a temporary folder."""
    name = "stock Rasa"
    headers: dict[str, str] = {}

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.project = workdir / "stock-project"
        self.procs = Procs()
        self.rasa_port = free_port()
        self.env = base_env()
        self.env.pop("PYTHONPATH")
        for var in ("TRACKER_STORE_URL", "REDIS_URL", "SANIC_WORKERS"):
            self.env.pop(var, None)

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def scaffold(self) -> Path:
        """What `rasa init --no-prompt` writes, without its built-in training run."""
        import rasa.cli.scaffold as scaffold

        src = Path(scaffold.__file__).parent / "initial_project"
        shutil.rmtree(self.project, ignore_errors=True)
        shutil.copytree(src, self.project)
        return self.project

    def start_support(self) -> None:
        pass

    def start_rasa(self) -> subprocess.Popen:
        return self.procs.start(
            "rasa server", [str(RASA_BIN / "rasa"), "run", "--model", "models", "--port",
                            str(self.rasa_port), "--enable-api"], self.env, self.project,
            self.workdir / "stock-rasa.log")

    def logged_errors(self) -> int:
        return logged_errors([self.workdir / "stock-rasa.log"])

    def stop(self) -> None:
        self.procs.stop()


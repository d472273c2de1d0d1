"""One training job, as the worker runs it: export the annotations, validate, train, evaluate the
candidate beside production, and gate it. Each step is a subprocess of the Rasa environment (the
console never imports Rasa); its output goes to the job's log, shown on the page as it grows.
Cancel stops the step's whole process group. Nothing here touches the production model."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml
from sqlalchemy.orm import Session, sessionmaker

from console import training_data
from console.models import TrainingJob
from console.settings import Settings
from console.training import export, gate, registry

LOG_KEPT = 200_000      # characters of the log kept in the database (the file keeps all of it)
POLL_SECONDS = 1.0
TERM_GRACE_SECONDS = 10
CONFIG = Path("config.yml")
DATA = Path("data")


class StepFailed(Exception):
    pass


class Cancelled(Exception):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _component_count() -> int:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    return max(1, len(config.get("pipeline") or []) + len(config.get("policies") or []))


class JobRun:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], job_id: int) -> None:
        self.settings, self.sessions, self.job_id = settings, sessions, job_id
        self.work = Path(settings.training_dir).resolve() / f"job-{job_id}"
        self.log_path = self.work / "job.log"
        rasa = Path(settings.rasa_executable)
        self.rasa, self.rasa_python = str(rasa), str(rasa.with_name("python"))

    # -- the job's row ---------------------------------------------------------------------------
    def _update(self, **fields: Any) -> str:
        """Writes fields and the log's tail; returns the job's status (cancel requests land here)."""
        with self.sessions() as s, s.begin():
            job = s.get(TrainingJob, self.job_id)
            for name, value in fields.items():
                setattr(job, name, value)
            if self.log_path.is_file():
                job.log = self.log_path.read_text(encoding="utf-8", errors="replace")[-LOG_KEPT:]
            return job.status

    def _log(self, line: str) -> None:
        with self.log_path.open("a", encoding="utf-8") as f:
            f.write(line.rstrip("\n") + "\n")

    # -- steps -----------------------------------------------------------------------------------
    def _step(self, stage: str, command: list[str], low: int, high: int,
              progress: Callable[[str], float] | None = None) -> None:
        """Runs one subprocess, polling for a cancel; progress(log since start) -> 0..1."""
        self._log(f"==> {stage}: {' '.join(command)}")
        if self._update(stage=stage, progress=low) == "cancelling":
            raise Cancelled()
        start = self.log_path.stat().st_size
        env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "TF_CPP_MIN_LOG_LEVEL": "3",
               "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
        with self.log_path.open("ab") as log:
            try:
                proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
            except OSError as exc:
                raise StepFailed(f"{stage}: {exc}") from None
            while True:
                try:
                    proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                done = progress(self._log_since(start)) if progress else 0.0
                if self._update(progress=int(low + (high - low) * min(done, 1.0))) == "cancelling":
                    self._stop(proc)
                    raise Cancelled()
        if proc.returncode != 0:
            raise StepFailed(f"{stage} failed (exit code {proc.returncode})")

    def _log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")

    def _stop(self, proc: subprocess.Popen) -> None:
        """SIGTERM to the step's process group, SIGKILL if it lingers."""
        for sig, wait in ((signal.SIGTERM, TERM_GRACE_SECONDS), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def _evaluate(self, model: Path, stage: str, low: int, high: int) -> dict[str, Any]:
        """The gate's figures for a model, cached by the model's sha256."""
        cache = Path(self.settings.training_dir).resolve() / "evaluations" / \
            f"{export.file_sha256(model)}.json"
        if not cache.is_file():
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{self.job_id}.part")
            self._step(stage, [self.rasa_python, "-m", "console.training.rasa_evaluate",
                               str(model), str(partial)], low, high)
            try:
                json.loads(partial.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise StepFailed(f"{stage}: the evaluation wrote no figures") from None
            partial.replace(cache)
        return json.loads(cache.read_text(encoding="utf-8"))

    # -- the whole job ---------------------------------------------------------------------------
    def run(self) -> None:
        with self.sessions() as s, s.begin():
            job = s.get(TrainingJob, self.job_id)
            if job is None or job.status != "queued":  # cancelled while it waited
                return
            job.status, job.started_at, job.stage = "running", _now(), "exporting"
            production = registry.production(s, self.settings.models_path)
            examples = export.annotated_examples(
                s, training_data.trained_intents(self.settings.nlu_path))
        self.work.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("", encoding="utf-8")
        try:
            self._train_and_gate(production, examples)
        except Cancelled:
            self._log("==> cancelled")
            self._update(status="cancelled", finished_at=_now())
        except StepFailed as exc:
            self._log(f"==> failed: {exc}")
            self._update(status="failed", error=str(exc)[:400], finished_at=_now())
        except Exception as exc:  # the page must show any failure, with its log
            self._log(f"==> failed: {exc!r}")
            self._update(status="failed", error=repr(exc)[:400], finished_at=_now())
            raise

    def _train_and_gate(self, production: registry.ProductionModel | None,
                        examples: dict[str, list[str]]) -> None:
        annotations = self.work / "data"
        count = export.write_annotations(annotations, examples)
        domain = Path(self.settings.domain_path)
        data_hash = export.data_hash([CONFIG, domain, DATA, annotations])
        self._log(f"==> exported {count} annotated examples; data hash {data_hash}")
        self._update(data_hash=data_hash, annotations=count, progress=5)
        sources = ["--config", str(CONFIG), "--domain", str(domain), "--data", str(DATA),
                   str(annotations)]
        self._step("validating", [self.rasa, "data", "validate", *sources, "--fail-on-warnings"],
                   5, 10)
        components = _component_count()
        out = self.work / "model"
        self._step("training", [self.rasa, "train", *sources, "--out", str(out),
                                "--fixed-model-name", f"candidate-{self.job_id}",
                                *self.settings.train_args], 10, 60,
                   progress=lambda log: log.count("Finished training component") / components)
        model = out / f"candidate-{self.job_id}.tar.gz"
        if not model.is_file():
            raise StepFailed("training produced no model")
        self._update(model_path=str(model), model_sha256=export.file_sha256(model))
        candidate = self._evaluate(model, "evaluating", 60, 85)
        before = self._evaluate(production.path, "evaluating production", 85, 98) \
            if production else None
        decision = gate.decide(candidate, before)
        self._log("==> gate: " + ("passed" if decision["passed"] else
                                 "refused: " + ", ".join(r["key"] for r in decision["reasons"])))
        strip = lambda f: {k: v for k, v in f.items() if k != "predictions"}  # noqa: E731
        self._update(status="succeeded", stage="done", progress=100, finished_at=_now(),
                     evaluation={"candidate": strip(candidate),
                                 "production": strip(before) if before else None,
                                 "production_sha256": production.sha256 if production else None},
                     gate=decision)

"""Training cost of both assistants: a full training from an empty cache, then a retraining after
adding 10 NLU examples (Rasa's cache reuses what did not change), with the peak resident memory of
the training process tree."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.systems import RASA_BIN, ROOT, PeakMemory, base_env

CITY_ADDED = ["护照工本费要交多少", "办居住证收费吗", "how much is the fee for a new ID card",
              "passport renewal cost?", "补办社保卡要钱吗", "is the marriage registration free",
              "换驾照多少钱呀", "what do I pay for a business license", "公积金提取收不收费",
              "fee for the work permit please"]
STOCK_ADDED = ["hey hey", "good day to you", "hiya", "yo there", "greetings friend",
               "hello bot", "morning!", "hi again", "howdy partner", "hello there friend"]


def _added_nlu(intent: str, examples: list[str]) -> str:
    lines = ['version: "3.1"', "nlu:", f"- intent: {intent}", "  examples: |"]
    return "\n".join(lines + [f"    - {e}" for e in examples]) + "\n"


def timed(cmd: list[str], cwd: Path, log: Path) -> dict:
    env = base_env()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    with PeakMemory({"train": proc.pid}, interval=0.5) as mem:
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"training failed ({rc}); log {log}")
    return {"seconds": time.perf_counter() - started, "peak_mb": mem.peak["train"]}


def city_project(workdir: Path) -> Path:
    """A copy of what the model is trained from, so the benchmark never touches models/ or .rasa/."""
    proj = workdir / "city-project"
    shutil.rmtree(proj, ignore_errors=True)
    proj.mkdir(parents=True)
    shutil.copy(ROOT / "config.yml", proj)
    shutil.copytree(ROOT / "data", proj / "data")
    shutil.copytree(ROOT / "bot" / "domain", proj / "bot" / "domain")
    shutil.copytree(ROOT / "bot" / "nlu", proj / "bot" / "nlu")
    return proj


def measure_city(workdir: Path) -> dict:
    proj = city_project(workdir)
    cmd = [str(RASA_BIN / "rasa"), "train", "--config", "config.yml", "--domain", "bot/domain",
           "--data", "data", "--out", "models"]
    full = timed(cmd, proj, workdir / "train-city.log")
    (proj / "data" / "nlu" / "bench_added.yml").write_text(_added_nlu("ask_service_fee", CITY_ADDED),
                                                           encoding="utf-8")
    retrain = timed(cmd, proj, workdir / "retrain-city.log")
    return {"full": full, "retrain": retrain}


def measure_stock(project: Path, workdir: Path) -> dict:
    cmd = [str(RASA_BIN / "rasa"), "train"]
    full = timed(cmd, project, workdir / "train-stock.log")
    (project / "data" / "bench_added.yml").write_text(_added_nlu("greet", STOCK_ADDED))
    retrain = timed(cmd, project, workdir / "retrain-stock.log")
    return {"full": full, "retrain": retrain}

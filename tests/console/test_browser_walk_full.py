"""The whole operator's walk, for real: in a headless Chromium an admin logs in, finds in the inbox
a message the running assistant misreads, labels it with an existing intent, starts a training,
follows it to the end, reads the evaluation gate and promotes the candidate; then the running Rasa,
which pulls its model from the console's model server, answers that message with the new intent,
and after the admin rolls back to the first model, as before.

Nothing is stood in: the console (`python -m console serve`), its training worker (`python -m
console worker`, real `rasa train` and the real evaluation of candidate and production) and a Rasa
server (`rasa run`, `MODEL_SERVER_URL` at the console, bot/endpoints.yml's 10 s pull interval) run
as processes on free ports. The base model is the one `make train` left in models/.

5 to 20 minutes on 2 cores (with the machine's load), so it is opt-in: it runs only with
CONSOLE_WALK_FULL=1 (`make console-walk-full`; tests/console/conftest.py deselects it otherwise).
The screenshots of docs/operators.md's training, gate and promotion come from it
(CONSOLE_SCREENSHOTS).
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import httpx

from bench.model_promotion import CONSOLE_PY, PULL_SECONDS, TOKEN, running_stack
from console.ingest.events import normalize_text
from console.ingest.store import store_events
from console.web.accounts import create_user
from dataservice.db import make_engine, make_sessionmaker
from tests.browser import chromium
from tests.console.conftest import PASSWORD
from tests.console.events import bot, user
from tests.console.walk import OperatorWalk

# A citizen's message the base model falls back on ("my medical insurance card is gone, what now"),
# and what the citizen wanted: what replacing the card takes (an intent the assistant knows).
TEXT, INTENT = "医保卡掉了咋整", "ask_service_requirements"
ADMIN = "li.ming"
JOB_SECONDS = 60 * 60      # rasa train and two evaluations: 4 to 15 minutes here
SWAP_SECONDS = 2 * PULL_SECONDS + 120  # two pulls, and the load of the new model on a busy machine


def parse(port: int, text: str) -> dict:
    response = httpx.post(f"http://127.0.0.1:{port}/model/parse", params={"token": TOKEN},
                          json={"text": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def seed(database_url: str, parsed: dict) -> None:
    """The citizen's message as the console stores it from Rasa's events (with Rasa's real parse),
    three citizens sending it, and the admin who walks."""
    now = time.time()
    events = []
    for i in range(3):
        event = user(f"wechat:zh-medical-card-{i}", TEXT, parsed["intent"]["name"],
                     parsed["intent"]["confidence"], now - 3600 * (i + 1), channel=None,
                     message_id=f"walk-{i}")
        event["parse_data"] = parsed
        events += [event, bot(f"wechat:zh-medical-card-{i}",
                              "抱歉，我没有理解您的问题。您也可以拨打 12345 热线。", now - 3600 * (i + 1) + 1)]
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as s, s.begin():
        store_events(s, events)
        create_user(s, "test", ADMIN, PASSWORD, "admin")
    engine.dispose()


def served_after_swap(stack, port: int, model: str) -> float:
    """Seconds until the Rasa server reports `model` (pulled from the console)."""
    start = time.monotonic()
    while stack.served_models([port]) != [model]:
        assert time.monotonic() - start < SWAP_SECONDS, \
            f"Rasa still serves {stack.served_models([port])}, not {model}"
        time.sleep(1)
    return time.monotonic() - start


def test_an_annotated_message_is_answered_with_its_intent_after_training_and_promotion(tmp_path):
    began, started_at = time.monotonic(), datetime.now(timezone.utc)
    with running_stack(replicas=0, start=False) as stack:
        stack.env.update(CONSOLE_QUEUE_URL=f"sqlite:///{stack.work / 'queue.sqlite3'}",
                         CONSOLE_TRAINING_DIR=str(stack.work / "training"), CONSOLE_TRAIN_ARGS="")
        stack.start()  # the console (migrated) and its model server
        stack.start_process("worker", [str(CONSOLE_PY), "-m", "console", "worker"])
        [port] = stack.start_rasa(stack.env["MODEL_SERVER_URL"])
        before = parse(port, TEXT)
        assert before["intent"]["name"] != INTENT, "the base model already understands the message"
        seed(stack.database_url, before)

        with chromium(width=1100, height=760, language="zh-CN") as driver:
            walk = OperatorWalk(driver, f"http://127.0.0.1:{stack.console_port}", tmp_path, "zh",
                                pictured=frozenset({"7-training", "8-gate", "9-promoted"}))
            walk.log_in(ADMIN, PASSWORD)
            assert TEXT in walk.inbox()
            assert "已标注 3 条消息。" in walk.annotate_group(normalize_text(TEXT), INTENT)
            job = walk.start_training()
            status = walk.follow_job(job, JOB_SECONDS)
            trained_in = time.monotonic() - began
            log = driver.find_element("id", "job-log").text
            assert status == "succeeded", f"job {job} {status}:\n{log[-3000:]}"
            assert "exported 1 annotated examples" in log and "==> gate: passed" in log, log[-3000:]
            passed, gate_page, diff = walk.gate()
            assert passed and "通过：可以发布。" in gate_page, gate_page
            assert "预测变化（按意图）" in gate_page and "候选模型" in gate_page
            assert all(r[2] != r[3] for r in diff), diff  # only changed predictions are listed
            history = walk.promote()
            assert "发布历史" in history and f"#{job}" in history and ADMIN in history
            assert len(walk.taken) == 3 and all(p.stat().st_size > 5000 for p in walk.taken)

            swap = served_after_swap(stack, port, f"candidate-{job}.tar.gz")
            after = parse(port, TEXT)
            assert after["intent"]["name"] == INTENT, after["intent_ranking"][:3]

            # And back: the first model is production again (a new row), and Rasa pulls it.
            assert "production.tar.gz" in walk.roll_back_to_first()
            served_after_swap(stack, port, "production.tar.gz")
            assert parse(port, TEXT)["intent"]["name"] == before["intent"]["name"]
    print("\nfull walk:", json.dumps({
        "started": started_at.isoformat(timespec="seconds"),
        "minutes": round((time.monotonic() - began) / 60, 1),
        "minutes_to_gate": round(trained_in / 60, 1), "swap_seconds": round(swap, 1),
        "before": [before["intent"]["name"], round(before["intent"]["confidence"], 2)],
        "after": [after["intent"]["name"], round(after["intent"]["confidence"], 2)],
        "gate_diff_rows": len(diff)}, ensure_ascii=False))

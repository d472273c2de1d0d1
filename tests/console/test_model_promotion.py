"""Zero downtime (bench/model_promotion.py, briefly): two real Rasa servers pull the production
model from the console's model server; under continuous load a promotion fails no request and
both report the new model within two pull intervals."""
from __future__ import annotations

from bench.model_promotion import PULL_SECONDS, measure, running_stack
from bench.processes import free_port


def test_a_promotion_reaches_every_rasa_server_without_a_failed_request():
    with running_stack(replicas=2) as stack:
        before = stack.served_models()
        assert before == ["production.tar.gz"] * 2  # pulled from the console at start
        result = measure(stack, load_seconds=2.5 * PULL_SECONDS)
    assert result["requests"] > 20
    assert result["failed"] == 0, result["errors"]
    assert result["all_switched_within_two_intervals"], result["switch_s"]


def test_without_a_model_server_or_with_one_down_rasa_starts_with_its_local_model():
    with running_stack(replicas=0, start=False) as stack:
        down = f"http://127.0.0.1:{free_port()}/model-server/model"
        ports = stack.start_rasa("", down)
        assert stack.served_models(ports) == ["production.tar.gz"] * 2

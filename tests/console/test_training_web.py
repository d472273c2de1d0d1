"""Training pages, promotion, rollback and the model server, on SQLite and PostgreSQL: roles,
gate refusals with their reasons, ETag/304, and every change audited."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bench.processes import free_port
from console.models import AuditEntry, Promotion, TrainingJob
from console.settings import Settings
from console.web.i18n import translate
from tests.console.conftest import PASSWORD
from tests.console.training_support import PASSING
from tests.console.web import logged_in

BASELINE = b"the model make train left"


@pytest.fixture
def console_settings(database_url, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "baseline.tar.gz").write_bytes(BASELINE)
    return Settings(database_url=database_url, models_path=str(models),
                    training_dir=str(tmp_path / "training"),
                    queue_url=f"sqlite:///{tmp_path / 'queue.sqlite3'}")


def finished_job(sessions, tmp_path, passed: bool, reasons: list | None = None) -> tuple[int, str]:
    """A job the worker finished (its model file on disk); returns (id, model sha256)."""
    content = f"candidate {passed} {tmp_path}".encode()
    model = tmp_path / f"candidate-{passed}.tar.gz"
    model.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    with sessions() as s, s.begin():
        job = TrainingJob(status="succeeded", stage="done", progress=100, started_by="trainer",
                          created_at=datetime.now(timezone.utc), log="==> gate", annotations=3,
                          data_hash="d" * 64, model_path=str(model), model_sha256=sha,
                          evaluation={"candidate": PASSING, "production": PASSING},
                          gate={"passed": passed, "reasons": reasons or [], "diff": {}})
        s.add(job)
        s.flush()
        return job.id, sha


def served_etag(client) -> str:
    response = client.get("/model-server/model")
    assert response.status_code == 200
    return response.headers["etag"]


def audit_actions(sessions) -> list[tuple[str, dict | None, dict | None]]:
    """The audit log's training and model entries (creating the test operators is audited too)."""
    with sessions() as s:
        return [(a.action, a.before, a.after) for a in
                s.scalars(select(AuditEntry).order_by(AuditEntry.id))
                if a.action.startswith(("training.", "model."))]


def test_only_trainers_start_and_cancel_and_only_admins_promote_or_roll_back(app, sessions,
                                                                             tmp_path):
    job_id, _ = finished_job(sessions, tmp_path, passed=True)
    for role in ("viewer", "annotator"):
        client, token = logged_in(app, role)
        assert client.get("/training").status_code == 200  # everyone reads
        assert client.post("/training/start", data={"csrf_token": token}).status_code == 403
        assert client.post(f"/training/jobs/{job_id}/cancel",
                           data={"csrf_token": token}).status_code == 403
    for role in ("viewer", "annotator", "trainer"):
        client, token = logged_in(app, role)
        assert client.post(f"/training/jobs/{job_id}/promote",
                           data={"csrf_token": token}).status_code == 403
        assert client.post("/training/rollback",
                           data={"csrf_token": token, "entry": "1"}).status_code == 403
    with sessions() as s:
        assert s.scalars(select(Promotion)).all() == []
        assert len(s.scalars(select(TrainingJob)).all()) == 1


def test_a_trainer_starts_a_job_and_cancels_it_while_queued_both_audited(app, sessions):
    client, token = logged_in(app, "trainer")
    assert client.post("/training/start", data={}).status_code == 403  # no CSRF token
    response = client.post("/training/start", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert 'data-status="queued"' in page.text and 'id="cancel-job"' in page.text
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert client.post(f"/training/jobs/{job_id}/cancel",
                       data={"csrf_token": token}).status_code == 303
    assert 'data-status="cancelled"' in client.get(f"/training/jobs/{job_id}").text
    again = client.post(f"/training/jobs/{job_id}/cancel", data={"csrf_token": token})
    assert again.status_code == 409
    assert translate("job_not_active", "zh") in again.text
    assert [a[0] for a in audit_actions(sessions)] == ["training.start", "training.cancel"]


def test_the_model_server_answers_304_to_the_model_rasa_already_runs(app):
    from fastapi.testclient import TestClient
    client = TestClient(app)  # Rasa pulls without a console login
    response = client.get("/model-server/model")
    assert response.status_code == 200 and response.content == BASELINE
    etag = response.headers["etag"]
    assert etag == hashlib.sha256(BASELINE).hexdigest()
    assert response.headers["filename"] == "baseline.tar.gz"
    for sent in (etag, f'"{etag}"'):
        unchanged = client.get("/model-server/model", headers={"If-None-Match": sent})
        assert unchanged.status_code == 304 and unchanged.content == b""
    stale = client.get("/model-server/model", headers={"If-None-Match": "0" * 64})
    assert stale.status_code == 200 and stale.content == BASELINE


def test_no_model_at_all_is_a_404_rasa_retries(app, console_settings):
    from fastapi.testclient import TestClient
    for model in __import__("pathlib").Path(console_settings.models_path).glob("*"):
        model.unlink()
    assert TestClient(app).get("/model-server/model").status_code == 404


def test_a_refused_candidate_shows_its_reasons_and_cannot_be_promoted(app, sessions, tmp_path):
    reasons = [{"key": "gate_accuracy_drop", "values": {"split": "zh", "before": 96.0,
                                                        "after": 93.5}},
               {"key": "gate_oos_recall", "values": {"value": 85.0}},
               {"key": "gate_conversation_failed", "values": {"story": "book an appointment"}}]
    job_id, _ = finished_job(sessions, tmp_path, passed=False, reasons=reasons)
    client, token = logged_in(app, "admin")
    before = served_etag(client)
    page = client.get(f"/training/jobs/{job_id}").text
    assert 'data-passed="false"' in page and 'id="promote-job"' not in page
    for r in reasons:
        assert translate(r["key"], "zh", **r["values"]) in page
    refused = client.post(f"/training/jobs/{job_id}/promote", data={"csrf_token": token})
    assert refused.status_code == 409 and translate("gate_refused", "zh") in refused.text
    assert served_etag(client) == before
    with sessions() as s:
        assert s.scalars(select(Promotion)).all() == []


def test_promote_then_roll_back_serves_each_model_and_audits_both(app, sessions, tmp_path):
    job_id, sha = finished_job(sessions, tmp_path, passed=True)
    client, token = logged_in(app, "admin")
    baseline = served_etag(client)
    assert 'id="promote-job"' in client.get(f"/training/jobs/{job_id}").text
    assert client.post(f"/training/jobs/{job_id}/promote",
                       data={"csrf_token": token}).status_code == 303
    assert served_etag(client) == sha
    assert client.post(f"/training/jobs/{job_id}/promote",
                       data={"csrf_token": token}).status_code == 409  # already production
    with sessions() as s:
        history = s.scalars(select(Promotion).order_by(Promotion.id)).all()
        assert [(h.action, h.model_sha256) for h in history] == [("baseline", baseline),
                                                                  ("promote", sha)]
        first = history[0].id
    assert client.post("/training/rollback",
                       data={"csrf_token": token, "entry": str(first)}).status_code == 303
    assert served_etag(client) == baseline
    for bad in ("", "x", "-1", "99999999999999999999", "1 OR 1=1"):
        assert client.post("/training/rollback",
                           data={"csrf_token": token, "entry": bad}).status_code in (400, 409)
    with sessions() as s:
        assert [h.action for h in s.scalars(select(Promotion).order_by(Promotion.id))] == \
            ["baseline", "promote", "rollback"]  # the history stays
    assert audit_actions(sessions) == [
        ("model.promote", {"model_sha256": baseline, "job": None},
         {"model_sha256": sha, "job": job_id}),
        ("model.rollback", {"model_sha256": sha, "job": job_id},
         {"model_sha256": baseline, "job": None})]
    page = client.get("/training").text
    assert 'id="promotion-history"' in page and baseline[:16] in page


def test_a_queue_that_is_down_is_a_polite_503_and_no_job_waits_forever(console_settings,
                                                                        sessions):
    from dataclasses import replace

    from console.web.accounts import create_user
    from console.web.app import create_app
    with sessions() as s, s.begin():
        create_user(s, "test", "trainer", PASSWORD, "trainer")
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(replace(console_settings, queue_url=dead_redis), sessions)
    client, token = logged_in(app, "trainer")
    response = client.post("/training/start", data={"csrf_token": token})
    assert response.status_code == 503
    assert translate("queue_down", "zh") in response.text
    with sessions() as s:
        assert [j.status for j in s.scalars(select(TrainingJob))] == ["failed"]


def test_the_training_gate_and_promotion_pages_in_english(app, sessions, tmp_path):
    """The browser walk through training (test_browser_walk_full.py) is in Chinese: the same
    pages' English labels, checked at page level."""
    job_id, _ = finished_job(sessions, tmp_path, passed=True)
    with sessions() as s, s.begin():
        job = s.get(TrainingJob, job_id)
        job.gate = {**job.gate, "diff": {"ask_service_requirements": [
            {"language": "zh", "text": "医保卡掉了咋整", "before": "nlu_fallback",
             "after": "ask_service_requirements"}]}}
    client, token = logged_in(app, "admin")
    client.post("/language", data={"language": "en", "next": "/training", "csrf_token": token})
    page = client.get("/training").text
    for label in ("Start training", "Production model", "Promotion history"):
        assert label in page, label
    page = client.get(f"/training/jobs/{job_id}").text
    for label in ("Evaluation gate", "Passed: this model may be promoted.", "Candidate",
                  "Changed predictions (per intent)", "Promote to production", "Log"):
        assert label in page, label
    assert "医保卡掉了咋整" in page and "评估关卡" not in page
    assert client.post(f"/training/jobs/{job_id}/promote",
                       data={"csrf_token": token}).status_code == 303
    history = client.get("/training").text
    assert "In production" in history and f"#{job_id}" in history and "发布历史" not in history

"""Rasa's selective domain (bot/endpoints.yml): the domain goes to the action server only with the
calls of actions marked `send_domain`. rasa-sdk's form validation reads the form's required slots
from it, so every form validator must be marked; the other actions get a smaller request."""
from __future__ import annotations

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from rasa_sdk import FormValidationAction
from rasa_sdk.executor import ActionExecutor


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load("bot/domain")


def form_validators() -> set[str]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return {name for name, run in executor.actions.items()
            if isinstance(getattr(run, "__self__", None), FormValidationAction)}


def test_exactly_the_form_validators_are_sent_the_domain(domain):
    validators = form_validators()
    assert "validate_garbage_form" in validators and len(validators) >= 9
    assert set(domain._actions_which_explicitly_need_domain) == validators


def test_a_validator_call_carries_the_domain_and_an_answer_call_does_not(domain, monkeypatch):
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-token")
    monkeypatch.setenv("MODEL_SERVER_URL", "")  # endpoints.yml needs every variable it names
    endpoint = read_endpoint_config("bot/endpoints.yml", "action_endpoint")
    tracker = DialogueStateTracker.from_events("citizen", [
        ActionExecuted("action_listen"), UserUttered("电池是什么垃圾", {"name": "ask_garbage_sorting"})])

    validator = RemoteAction("validate_garbage_form", endpoint)._action_call_format(tracker, domain)
    answer = RemoteAction("action_answer_service_question", endpoint)._action_call_format(tracker,
                                                                                         domain)
    assert validator["domain"]["forms"]["garbage_form"]["required_slots"]
    assert "domain" not in answer
    assert answer["tracker"]["latest_message"]["text"] == "电池是什么垃圾"

"""A form's fixed-text question is a domain response: Rasa renders it in the citizen's language
without an action-server call (counted at the proxy between the real Rasa and action server)."""
from __future__ import annotations

import pytest

from tests.bot.test_e2e import joined, rest
from tests.senders import new_sender


@pytest.mark.parametrize("text,asked", [
    ("我要取消预约", "预约号"),
    ("I want to cancel my appointment", "booking number"),
    ("查一下我的办件进度", "受理编号"),
    ("check my application status", "application number"),
])
def test_a_fixed_form_question_costs_no_action_server_call(backend, text, asked):
    sender = new_sender()
    assert asked in joined(rest(backend, text, sender))
    calls = backend["action_calls"].calls(sender)
    assert not any(name.startswith("action_ask_") for name in calls), calls

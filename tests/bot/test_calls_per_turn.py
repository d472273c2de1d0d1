"""What a turn costs: an informational question (documents, fee, processing time, where, opening
hours) is ONE action-server call, with no context action before the answer; a clarification is
where a form asks. Counted at a proxy between the real Rasa and the real action server."""
from __future__ import annotations

import pytest

from tests.bot.test_e2e import joined, rest
from tests.senders import new_sender


@pytest.mark.parametrize("text,action", [
    ("居住证要带什么材料？", "action_answer_service_question"),
    ("how much is a passport", "action_answer_service_question"),
    ("办护照要多久", "action_answer_service_question"),
    ("浦东的社区事务受理中心周六开门吗", "action_answer_center_question"),
    ("where can I renew my passport", "action_answer_center_question"),
])
def test_an_informational_question_is_one_action_server_call(backend, text, action):
    sender = new_sender()
    reply = joined(rest(backend, text, sender))
    assert reply  # answered...
    assert backend["action_calls"].calls(sender) == [action]  # ...in one call


def test_a_question_that_names_no_service_is_answered_once_the_form_knows(backend):
    sender = new_sender()
    asked = joined(rest(backend, "办这个需要带什么材料", sender))
    assert "哪项业务" in asked
    calls = backend["action_calls"].calls(sender)
    assert calls[0] == "action_answer_service_question"  # found no service, said nothing
    answer = joined(rest(backend, "居住证", sender))
    assert "「上海市居住证」办理指南" in answer  # the question asked first is the one answered
    assert backend["action_calls"].calls(sender)[-1] == "action_answer_service_question"

"""The form layer's contract with the domain: every slot a form requires has a question, found the
way Rasa looks for it, and a fixed-text question exists in both languages."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.centers import ValidateCenterForm
from actions.garbage import ValidateGarbageForm
from actions.hotline import ValidateReportIssueForm
from actions.partners import ValidateUtilityBillForm
from actions.services import ValidateServiceQuestionForm
from actions.ticket_status import ValidateTicketStatusForm
from actions.transport_card import ValidateTransportCardForm
from tests.actions.conftest import domain_files, make_tracker, render_response

DOMAIN = domain_files()
FORMS = {form: spec["required_slots"] for d in DOMAIN.values()
         for form, spec in (d.get("forms") or {}).items()}
# An action is a name, or {name: {send_domain: true}} (Rasa's selective domain).
ACTIONS = {name for d in DOMAIN.values() for a in d.get("actions") or []
           for name in ([a] if isinstance(a, str) else a)}
RESPONSES = {r for d in DOMAIN.values() for r in d.get("responses") or {}}
ASKED = [(form, slot) for form, slots in FORMS.items() for slot in slots]


def question(form: str, slot: str) -> str | None:
    """Rasa's order (rasa/core/actions/forms.py): the form's own question first, an action before
    a response."""
    return next((name for name in (f"action_ask_{form}_{slot}", f"utter_ask_{form}_{slot}",
                                   f"action_ask_{slot}", f"utter_ask_{slot}")
                 if name in ACTIONS or name in RESPONSES), None)


@pytest.mark.parametrize("form,slot", ASKED)
def test_every_required_slot_has_a_question(form, slot):
    assert question(form, slot), f"{form} never asks for {slot}"


@pytest.mark.parametrize("name", sorted(r for r in RESPONSES if r.startswith("utter_ask_")))
def test_fixed_questions_exist_in_both_languages(name):
    zh, en = render_response(name, {"language": "zh"}), render_response(name, {"language": "en"})
    assert zh != en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en)


@pytest.mark.asyncio
@pytest.mark.parametrize("action,slot", [
    (ValidateUtilityBillForm, "utility_account_no"), (ValidateTransportCardForm, "card_no"),
    (ValidateTicketStatusForm, "ticket_no"), (ValidateReportIssueForm, "issue_description"),
    (ValidateGarbageForm, "item"), (ValidateCenterForm, "district"),
    (ValidateServiceQuestionForm, "service")])
@pytest.mark.parametrize("text", ["算了", "never mind"])
async def test_a_typed_stop_word_ends_the_form(dispatcher, action, slot, text):
    """The NLU may read a typed stop word as an answer (from_text): the form ends anyway."""
    tracker = make_tracker(text, slots={"requested_slot": slot}, active_loop=action.form)
    tracker.add_slots([SlotSet(slot, text)])
    domain = {"forms": {form: {"required_slots": slots} for form, slots in FORMS.items()}}
    events = await action().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_form_stopped"
    assert {"event": "slot", "name": "requested_slot", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]
    assert not any(e.get("name") == slot and e.get("value") for e in events)

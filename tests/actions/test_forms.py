"""The form layer's contract with the domain: every slot a form requires has a question, found the
way Rasa looks for it, and a fixed-text question exists in both languages."""
from __future__ import annotations

import pytest

from tests.actions.conftest import domain_files, render_response

DOMAIN = domain_files()
FORMS = {form: spec["required_slots"] for d in DOMAIN.values()
         for form, spec in (d.get("forms") or {}).items()}
ACTIONS = {a for d in DOMAIN.values() for a in d.get("actions") or []}
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

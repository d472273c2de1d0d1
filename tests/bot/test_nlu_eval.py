"""The evaluation's own counting (bench/nlu_eval.py): what "handled" and "refused" mean, and the
real citizens' messages read only when they are there."""
from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

from nlu_data.examples import nlu_examples

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("nlu_eval", ROOT / "bench" / "nlu_eval.py")
nlu_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nlu_eval)


def parsed(intent: str, entities: list[str] = (), text: str = "", report_issue: float = 0.0
           ) -> dict:
    return {"text": text, "intent": {"name": intent}, "entities": [{"entity": e} for e in entities],
            "intent_ranking": [{"name": intent, "confidence": 1 - report_issue},
                               {"name": "report_issue", "confidence": report_issue}]}


def test_handled_means_a_task_not_a_refusal_nor_a_dialogue_act():
    share = nlu_eval.handled_share([parsed("report_issue"), parsed("ask_service_fee"),
                                    parsed("nlu_fallback"), parsed("out_of_scope"),
                                    parsed("inform"), parsed("affirm"), parsed("deny"),
                                    parsed("report_issue")])
    assert share["handled"] == 3 / 8 and share["report_issue"] == 2 / 8
    assert share["rejected"] == 2 / 8 and share["dialogue_act"] == 3 / 8


def test_a_bare_inform_counts_as_refused_only_in_the_dialogue_figure():
    share = nlu_eval.refusal_share([parsed("out_of_scope"), parsed("inform"),
                                    parsed("inform", ["service"]), parsed("report_issue")])
    assert share["nlu"] == 1 / 4  # the NLU alone refused one
    assert share["dialogue"] == 2 / 4  # a fresh conversation refuses the bare fragment too


def test_a_fallback_naming_a_service_is_not_refused_in_the_dialogue():
    """It gets the service's menu (action_answer_unclear); a bare fallback the refusal."""
    share = nlu_eval.refusal_share([parsed("nlu_fallback"), parsed("nlu_fallback", ["service"])])
    assert share["nlu"] == 2 / 2
    assert share["dialogue"] == 1 / 2


def test_the_classifier_s_second_opinion_counts_as_the_assistant_acts_on_it():
    """A short city matter the NLU took for small talk, report_issue close behind and the work-order
    classifier confident, starts the 12345 report (actions/out_of_context.py); the same ranking on
    an everyday request, or a city matter with the report far behind, is still refused."""
    messages = [parsed("out_of_scope", text="菜市场缺斤少两怎么办", report_issue=0.32),
                parsed("out_of_scope", text="帮我放首周杰伦的歌", report_issue=0.32),
                parsed("out_of_scope", text="菜市场缺斤少两怎么办", report_issue=0.05),
                parsed("inform", text="the street light outside my building has been off for weeks",
                       report_issue=0.3)]
    share = nlu_eval.handled_share(messages)
    assert share["handled_nlu"] == 0 and share["handled"] == 2 / 4
    assert nlu_eval.refusal_share(messages) == {"n": 4, "nlu": 3 / 4, "dialogue": 2 / 4}


def test_real_messages_are_read_only_when_present(tmp_path):
    assert nlu_eval.load_citizen_messages(tmp_path / "missing") == {}
    (tmp_path / "titles.jsonl").write_text(
        json.dumps({"text": "路灯不亮", "label": "城乡建设"}, ensure_ascii=False) + "\n\n",
        encoding="utf-8")
    assert nlu_eval.load_citizen_messages(tmp_path) == {"titles": ["路灯不亮"]}
    lines = nlu_eval.citizen_lines({"citizen_dir_present": False}, None)
    assert any("real citizens' messages handled | not present" in line for line in lines)


def test_the_evaluation_does_not_print_the_messages_it_parses(capfd):
    """Rasa logs every parsed text at debug level unless its command configured the log; the
    evaluation parses real citizens' messages, which must not end up in its output."""
    from tests.bot.conftest import latest_model

    text = "漕宝路的路灯坏了三天 the street lights are out"
    parsed = asyncio.run(nlu_eval.parse_all(str(latest_model()), [text]))
    assert parsed[0]["text"] == text  # it was parsed
    out, err = capfd.readouterr()
    assert "漕宝路的路灯" not in out + err


def _examples(path: Path) -> set[str]:
    return {text for _intent, text in nlu_examples(path)}


def test_no_held_out_message_is_also_a_training_example():
    held_out = set().union(*map(_examples, (ROOT / "tests" / "nlu_heldout").glob("*.yml")))
    assert len(held_out) > 500  # the scan reads the split
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        assert _examples(path) & held_out == set(), path.name

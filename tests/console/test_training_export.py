"""Annotations exported as Rasa training data, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import yaml

from console.models import Annotation, Conversation, Message
from console.training.export import annotated_examples, data_hash, write_annotations
from console.web.accounts import create_user
from tests.console.conftest import PASSWORD


def annotate(sessions, rows: list[tuple[str, str, str | None, list]]) -> None:
    now = datetime.now(timezone.utc)
    with sessions() as s, s.begin():
        user = create_user(s, "test", "annotator1", PASSWORD, "annotator")
        s.add(Conversation(id="rest:c1", channel="rest", started_at=now, last_event_at=now))
        s.flush()
        for i, (text, status, intent, entities) in enumerate(rows):
            m = Message(event_key=f"k{i}", conversation_id="rest:c1", sender="user", text=text,
                        normalized_text=text.casefold(), channel="rest", timestamp=now)
            s.add(m)
            s.flush()
            s.add(Annotation(message_id=m.id, status=status, intent=intent, entities=entities,
                             annotated_by=user.id, annotated_at=now))


def test_annotations_become_rasa_nlu_examples_in_a_folder_of_their_own(sessions, tmp_path):
    annotate(sessions, [
        ("徐汇哪里可以办居住证", "annotated", "find_service_center",
         [{"entity": "district", "value": "徐汇"}]),
        ("Where do I renew my PERMIT in Pudong", "annotated", "find_service_center",
         [{"entity": "district", "value": "pudong"}]),
        ("what is the weather [today](date)", "out_of_scope", None, []),
        ("skipped text", "skipped", None, []),
        ("hello", "annotated", "greet", []),  # the training data already says so
    ])
    with sessions() as s:
        examples = annotated_examples(s, {"hello": frozenset({"greet"})})
    assert examples == {
        "find_service_center": ["[徐汇](district)哪里可以办居住证",
                                "Where do I renew my PERMIT in [Pudong](district)"],
        "out_of_scope": ["what is the weather today date"]}
    assert write_annotations(tmp_path / "data", examples) == 3
    doc = yaml.safe_load((tmp_path / "data" / "console_annotations.yml").read_text())
    assert doc["nlu"][1] == {"intent": "out_of_scope",
                             "examples": "- what is the weather today date\n"}


def test_the_data_hash_changes_with_any_training_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "nlu.yml").write_text("one")
    first = data_hash([tmp_path / "a"])
    assert data_hash([tmp_path / "a"]) == first and len(first) == 64
    (tmp_path / "a" / "nlu.yml").write_text("two")
    assert data_hash([tmp_path / "a"]) != first


def test_the_same_data_exported_by_two_jobs_hashes_alike(tmp_path):
    for job in ("job-1", "job-2"):
        (tmp_path / job / "data").mkdir(parents=True)
        (tmp_path / job / "data" / "console_annotations.yml").write_text("nlu: []")
    assert data_hash([tmp_path / "job-1" / "data"]) == data_hash([tmp_path / "job-2" / "data"])
    (tmp_path / "job-2" / "data" / "renamed.yml").write_bytes(
        (tmp_path / "job-2" / "data" / "console_annotations.yml").read_bytes())
    (tmp_path / "job-2" / "data" / "console_annotations.yml").unlink()
    assert data_hash([tmp_path / "job-1" / "data"]) != data_hash([tmp_path / "job-2" / "data"])

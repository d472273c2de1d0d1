"""scripts/build_work_order_nlu.py: which corpus messages become `report_issue` examples."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("build_work_order_nlu",
                                               ROOT / "scripts" / "build_work_order_nlu.py")
builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builder)


def write(path: Path, texts: list[str], level1: str = "城乡建设", kind: str = "complaint") -> Path:
    path.write_text("".join(json.dumps({"text": t, "type": kind, "level1": level1},
                                       ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return path


def test_hand_written_messages_are_drawn_before_generated_ones(tmp_path):
    written = write(tmp_path / "messages_zh_c.jsonl", ["我家门口的路灯坏了一个多月了没人修",
                                                       "小区门口天天有人乱摆摊卖水果堵路"])
    generated = write(tmp_path / "messages_zh_gen.jsonl", [f"关于某路段问题{i}的投诉" for i in range(20)])
    chosen = builder.sample(builder.read([generated, written]), per_class=3)
    texts = [r["text"] for r in chosen]
    assert len(texts) == 3
    assert set(texts[:2]) == {"我家门口的路灯坏了一个多月了没人修", "小区门口天天有人乱摆摊卖水果堵路"}
    assert texts[2].startswith("关于某路段问题")


def test_each_class_and_type_is_capped_on_its_own(tmp_path):
    rows = builder.read([
        write(tmp_path / "messages_zh_a.jsonl", [f"公司拖欠我们{i}个月的工资一直不发"
                                                       for i in range(5)], "劳动和社会保障"),
        write(tmp_path / "messages_zh_b.jsonl", [f"The street light number {i} on our road has been out for weeks"
                                                       for i in range(5)],
              kind="report")])
    chosen = builder.sample(rows, per_class=2)
    assert sorted((r["level1"], r["type"]) for r in chosen) == [
        ("劳动和社会保障", "complaint")] * 2 + [("城乡建设", "report")] * 2


def test_short_reports_are_all_kept_but_short_questions_are_capped(tmp_path):
    """A chat message is short: every short hand-written report reaches the NLU, however many its
    group has; short consultations (the catalogue's questions) and generated lines stay capped."""
    rows = builder.read([
        write(tmp_path / "messages_zh_f.jsonl", [f"暖气不热{i}" for i in range(5)]),
        write(tmp_path / "messages_en_f.jsonl", [f"street light {i} broken" for i in range(5)],
              kind="report"),
        write(tmp_path / "messages_zh_a.jsonl", [f"咨询老年卡办理{i}" for i in range(5)],
              kind="consultation"),
        write(tmp_path / "messages_zh_gen.jsonl", [f"路灯坏了{i}" for i in range(5)], kind="report")])
    chosen = builder.sample(rows, per_class=2)
    texts = [r["text"] for r in chosen]
    assert {f"暖气不热{i}" for i in range(5)} <= set(texts)
    assert {f"street light {i} broken" for i in range(5)} <= set(texts)
    assert sum(t.startswith("咨询老年卡办理") for t in texts) == 2
    assert sum(t.startswith("路灯坏了") for t in texts) == 2  # generated: capped as before

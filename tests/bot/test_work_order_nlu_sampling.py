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
    written = write(tmp_path / "messages_zh_c.jsonl", ["路灯坏了一个月", "小区门口乱摆摊"])
    generated = write(tmp_path / "messages_zh_gen.jsonl", [f"关于某路段问题{i}的投诉" for i in range(20)])
    chosen = builder.sample(builder.read([generated, written]), per_class=3)
    texts = [r["text"] for r in chosen]
    assert len(texts) == 3
    assert set(texts[:2]) == {"路灯坏了一个月", "小区门口乱摆摊"}
    assert texts[2].startswith("关于某路段问题")


def test_each_class_and_type_is_capped_on_its_own(tmp_path):
    rows = builder.read([
        write(tmp_path / "messages_zh_a.jsonl", [f"工资拖欠{i}" for i in range(5)], "劳动和社会保障"),
        write(tmp_path / "messages_zh_b.jsonl", [f"Street light {i} out" for i in range(5)],
              kind="report")])
    chosen = builder.sample(rows, per_class=2)
    assert sorted((r["level1"], r["type"]) for r in chosen) == [
        ("劳动和社会保障", "complaint")] * 2 + [("城乡建设", "report")] * 2

"""The classifier itself: a city's own training command, model files, location and type rules.

No database: these run once, not per backend.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
import yaml

from dataservice.__main__ import main as cli
from dataservice.seed import DATA_DIR
from dataservice.work_orders.corpus import CorpusError, Example, read_export
from dataservice.work_orders.location import LocationExtractor
from dataservice.work_orders.message_type import cue
from dataservice.work_orders.model import ModelLoadError, WorkOrderModel, normalize
from dataservice.work_orders.shipped import load_model
from dataservice.work_orders.training import with_first_sentences

# A small generated export: three first-level classes, each with its own vocabulary.
TOPICS = {
    ("城乡建设", "城市建设和市政管理"): ["路灯不亮", "马路有坑", "井盖丢了", "人行道破损", "下水道堵塞"],
    ("环境保护", "环境污染"): ["工厂排放废气", "河水发黑发臭", "工地扬尘", "垃圾焚烧冒黑烟", "油烟扰民"],
    ("劳动和社会保障", "工资福利"): ["拖欠工资", "不发加班费", "克扣工资", "工资迟迟不发", "年终奖被扣"],
}
PLACES = ["徐汇区", "浦东新区", "闵行区", "杨浦区", "静安区", "宝山区"]
OPENERS = ["", "你好，", "我要反映：", "请问", "急！"]


def _export_rows(n_per_class: int = 30, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for (level1, level2), phrases in TOPICS.items():
        for _ in range(n_per_class):
            text = f"{rng.choice(OPENERS)}{rng.choice(PLACES)}{rng.choice(phrases)}，{rng.choice(phrases)}"
            rows.append({"text": text, "level1": level1, "level2": level2})
    return rows


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_train_classifier_command_writes_a_model_the_service_can_load(tmp_path, capsys):
    export = _write_csv(tmp_path / "export.csv", _export_rows())
    out = tmp_path / "city.joblib"
    assert cli(["train-classifier", "--input", str(export), "--out", str(out), "--folds", "3"]) == 0
    printed = capsys.readouterr().out
    assert "90 work orders in 3 first-level classes" in printed
    accuracy = float(printed.split("first-level accuracy: ")[1].split("%")[0])
    assert accuracy >= 90.0
    model = load_model(str(out), tmp_path / "unused")
    assert model.meta["source"] == "city export export.csv" and model.meta["city_examples"] == 90
    p = model.predict("闵行区有个工厂排放废气，味道很大")
    assert p.level1[0][0] == "04" and p.candidates[0][1] == "0402"
    assert p.level1[0][1] >= model.threshold
    # The project's negatives came along: chit-chat is not confidently a city matter.
    assert model.predict("今天天气怎么样").level1[0][1] < model.threshold
    # No types in the export: the types come from the project's corpus.
    assert model.predict("我要投诉，工厂排放废气").type[0][0] == "complaint"


def test_a_long_work_order_also_trains_its_first_sentence():
    rows = [
        Example("浦东新区张江路的路灯坏了一个多月了。晚上走路很危险，老人小孩都摔过，希望尽快派人来修。",
                "01", "0102", "complaint"),
        Example("Street light broken on Zhangjiang Road. It has been dark for a month and people "
                "trip over the kerb at night.", "01", "0102"),
        Example("路灯不亮找谁修？", "01"),  # a title: nothing to add
        Example("您好！我想反映一下我们小区门口的路灯已经坏了一个多月，晚上很黑。", "01"),  # a greeting
    ]
    assert with_first_sentences(rows) == [
        *rows,
        Example("浦东新区张江路的路灯坏了一个多月了", "01", "0102", "complaint"),
        Example("Street light broken on Zhangjiang Road", "01", "0102"),
    ]


def test_export_in_jsonl_by_code_or_english_name(tmp_path):
    rows = [{"text": "路灯坏了", "level1": "01", "level2": "0102", "type": "complaint"},
            {"text": "Factory smoke", "level1": "Environmental protection", "type": "投诉"},
            {"text": "工资没发", "level1": "劳动和社会保障", "level2": "其他"}]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    examples = read_export(path)
    assert [(e.level1, e.level2, e.type) for e in examples] == [
        ("01", "0102", "complaint"), ("04", None, "complaint"), ("15", "1507", None)]


@pytest.mark.parametrize("row,message", [
    ({"text": "路灯坏了", "level1": "城市管理"}, "export.csv:2: unknown first-level class '城市管理'"),
    ({"text": "路灯坏了", "level1": "城乡建设", "level2": "环境污染"}, "is no second-level class"),
    ({"text": "", "level1": "城乡建设"}, "export.csv:2: empty text"),
    ({"text": "路灯坏了", "level1": "城乡建设", "type": "rant"}, "unknown message type"),
])
def test_export_with_an_unknown_class_stops_with_its_line(tmp_path, row, message, capsys):
    export = _write_csv(tmp_path / "export.csv", [row])
    with pytest.raises(CorpusError, match=message):
        read_export(export)
    assert cli(["train-classifier", "--input", str(export), "--out", str(tmp_path / "m")]) == 2
    assert message.split(":")[-1].strip() in capsys.readouterr().err


def test_a_model_file_must_be_a_classifier(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        WorkOrderModel.load(tmp_path / "missing.joblib")
    (tmp_path / "junk.joblib").write_bytes(b"\x00\x01 not a pickle")
    with pytest.raises(ModelLoadError, match="unreadable"):
        WorkOrderModel.load(tmp_path / "junk.joblib")
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(ModelLoadError, match="not a work-order classifier"):
        WorkOrderModel.load(tmp_path / "other.joblib")


def test_prediction_matches_scikit_learn(tmp_path):
    """The numpy fast path gives the same scores as the fitted vectoriser and NB-SVM."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dataservice.work_orders.model import analyze, head_classifier
    from dataservice.work_orders.taxonomy import load_taxonomy

    rows = _export_rows()
    examples = read_export(_write_csv(tmp_path / "e.csv", rows))
    model = WorkOrderModel.train(examples, load_taxonomy(), c=0.7, beta=0.5)
    texts = [normalize(e.text) for e in examples]
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, dtype=np.float32).fit(texts)
    svm = head_classifier(0.7, beta=0.5).fit(vectorizer.transform(texts), [e.level1 for e in examples])
    probe = normalize("浦东新区河水发黑发臭，还有人拖欠工资 (unseen words too)")
    index, values = model.features(probe)
    ours = values @ model.level1.weights[index] + model.level1.bias
    theirs = svm.decision_function(vectorizer.transform([probe]))[0]
    assert np.allclose(ours, theirs, atol=1e-4)


def test_the_first_level_takes_half_from_the_second_level_classes(tmp_path):
    """Half of a first-level class's probability is its second-level classes' (summed); a class
    the export gives no second level keeps its own, and the in-scope total is unchanged."""
    from dataservice.work_orders.corpus import NONE
    from dataservice.work_orders.model import LEVEL2_SHARE
    from dataservice.work_orders.taxonomy import load_taxonomy

    rows = _export_rows()
    for row in rows:
        if row["level1"] == "劳动和社会保障":
            row["level2"] = ""
    model = WorkOrderModel.train(read_export(_write_csv(tmp_path / "e.csv", rows)), load_taxonomy())
    probe = "浦东新区河水发黑发臭，路灯不亮，还有人拖欠工资"
    index, values = model.features(normalize(probe))
    head = dict(zip(model.level1.classes, model.level1.probabilities(index, values).tolist()))
    head.pop(NONE, None)
    children = dict.fromkeys(head, 0.0)
    for code, q in zip(model.level2.classes, model.level2.probabilities(index, values).tolist()):
        children[model.parents[code]] += q
    childless = [code for code in head if children[code] == 0]
    assert len(childless) == 1 and LEVEL2_SHARE == 0.5
    mass = sum(p for code, p in head.items() if code not in childless)
    blended = dict(model.predict(probe).level1)
    assert blended[childless[0]] == pytest.approx(head[childless[0]])
    for code in set(head) - set(childless):
        assert blended[code] == pytest.approx(0.5 * head[code] + 0.5 * mass * children[code])
    assert sum(blended.values()) == pytest.approx(sum(head.values()))


@pytest.fixture(scope="module")
def locations() -> LocationExtractor:
    rows = yaml.safe_load((DATA_DIR / "districts.yaml").read_text(encoding="utf-8"))
    return LocationExtractor([(d["code"], d["name_zh"], d["name_en"], d["aliases"]) for d in rows])


@pytest.mark.parametrize("text,district,road,landmark", [
    ("我要投诉，徐汇区漕溪北路100号楼下烧烤店噪音扰民", "xuhui", "漕溪北路100号", None),
    ("闵行区七宝镇新镇路1399弄小区里路灯坏了", "minhang", "七宝镇新镇路1399弄", None),
    ("浦東新區張江高科地鐵站出口的共享單車堆滿了", "pudong", None, "張江高科地鐵站"),
    ("五角场万达广场门口晚上噪音很大", "yangpu", None, "五角场万达广场"),
    ("Huge pothole outside 100 Caoxi North Road in Xuhui", "xuhui", "100 Caoxi North Road", None),
    ("Rubbish dumped every night near Jing'an Park", "jingan", None, "Jing'an Park"),
    ("K8县丁字街的商户乱摆摊", None, "丁字街", None),
    ("走路去学校的路上有个坑", None, None, None),
    ("这条路上的路灯坏了", None, None, None),
    # a station's exit belongs to the place; 家 ends 我家 but not 徐家汇
    ("徐家汇地铁站3号口积水很深", "xuhui", None, "徐家汇地铁站3号口"),
    ("人民广场地铁站2号口的红绿灯不亮", "huangpu", None, "人民广场地铁站2号口"),
    ("我家小区门口垃圾没人收", None, None, None),
    ("The drain at Xujiahui metro station exit 3 is blocked", "xuhui", None,
     "Xujiahui metro station exit 3"),
    ("Broken traffic light at People's Square metro exit 2", None, None,
     "People's Square metro exit 2"),
    ("change the location to 150 Caoxi North Road", None, "150 Caoxi North Road", None),
    ("地址改成徐家汇地铁站3号口", "xuhui", None, "徐家汇地铁站3号口"),
    ("位置不对，地址是漕溪北路150号", None, "漕溪北路150号", None),
    # The longest alias wins whatever its script or position; Latin aliases are whole words only.
    ("Putuo friends told me: broken lights near jingan temple", "jingan", None, None),
    ("a bundle of cables hangs over the pavement", None, None, None),
])
def test_location_from_the_text(locations, text, district, road, landmark):
    found = locations.extract(text)
    assert (found.district, found.road, found.landmark) == (district, road, landmark)


@pytest.mark.parametrize("text,kind", [
    ("我要投诉楼下烧烤店", "complaint"), ("实名举报某单位负责人收受贿赂", "report"),
    ("建议在小区门口增设红绿灯", "suggestion"), ("表扬一下社区的王医生", "praise"),
    ("请问居住证怎么办", "consultation"), ("求助！家里老人走失了", "help"),
    ("I want to complain about the noise", "complaint"), ("I'd like to suggest more buses", "suggestion"),
    ("小区门口的路灯坏了", None),
    ("compliments to the bus driver on route 20", "praise"),
    ("is the ID card replacement complimentary", None),  # free of charge, not praise
])
def test_explicit_type_cues(text, kind):
    assert cue(normalize(text)) == kind

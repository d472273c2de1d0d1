"""Districts: bilingual list and the free-text resolver."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dataservice.seed import read_yaml

DISTRICTS = [d["code"] for d in read_yaml("districts.yaml")]


def test_list_is_bilingual(client: TestClient):
    zh = client.get("/v1/districts", params={"lang": "zh"}).json()["items"]
    en = client.get("/v1/districts", params={"lang": "en"}).json()["items"]
    assert sorted(i["code"] for i in zh) == sorted(DISTRICTS) and len(zh) == 16
    names = {i["code"]: i["name"] for i in zh}
    assert names["pudong"] == "浦东新区"
    assert {i["code"]: i["name"] for i in en}["pudong"] == "Pudong New Area"


@pytest.mark.parametrize("q,code", [
    ("浦东", "pudong"), ("Pudong New Area", "pudong"), ("pu dong", "pudong"), ("浦東", "pudong"),
    ("pudong xinqu", "pudong"), ("浦东新区", "pudong"), ("PUDONG", "pudong"), ("浦冬", "pudong"),
    ("我住在浦东张江", "pudong"), ("陆家嘴", "pudong"),
    ("徐家汇", "xuhui"), ("徐匯區", "xuhui"), ("xu hui district", "xuhui"),
    ("jing'an", "jingan"), ("Jingan Temple", "jingan"), ("静安区", "jingan"),
    ("闵行", "minhang"), ("Minhang District", "minhang"), ("min hang", "minhang"),
    ("崇明岛", "chongming"), ("chongming island", "chongming"),
    ("黄浦区", "huangpu"), ("the bund", "huangpu"), ("huangpu qu", "huangpu"),
    ("松江大学城", "songjiang"), ("嘉定", "jiading"), ("宝山区", "baoshan"),
    ("杨浦五角场", "yangpu"), ("虹口", "hongkou"), ("长宁", "changning"), ("changning", "changning"),
    ("普陀", "putuo"), ("青浦朱家角", "qingpu"), ("奉贤", "fengxian"), ("金山", "jinshan"),
])
def test_resolve_districts(client: TestClient, q, code):
    r = client.get("/v1/districts/resolve", params={"q": q, "lang": "en"})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == q
    top = body["matches"][0]
    assert top["code"] == code and top["confident"], body
    assert set(top) == {"code", "score", "name", "confident"}


def test_resolve_name_follows_lang(client: TestClient):
    zh = client.get("/v1/districts/resolve", params={"q": "pudong", "lang": "zh"}).json()
    assert zh["matches"][0]["name"] == "浦东新区"


@pytest.mark.parametrize("q", ["今天天气怎么样", "asdfgh", "what's the capital of France",
                               "'; DROP TABLE districts;--", "🙂🙂", "护照"])
def test_unrelated_text_is_not_a_confident_district(client: TestClient, q):
    body = client.get("/v1/districts/resolve", params={"q": q}).json()
    assert not any(m["confident"] for m in body["matches"])


@pytest.mark.parametrize("params", [{}, {"q": " "}, {"q": "x" * 201}, {"q": "浦东", "limit": 0},
                                    {"q": "浦东", "lang": "de"}])
def test_resolve_validates_input(client: TestClient, params):
    r = client.get("/v1/districts/resolve", params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_bad_lang_on_list_is_422(client: TestClient):
    assert client.get("/v1/districts", params={"lang": "fr"}).status_code == 422

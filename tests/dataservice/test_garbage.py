"""Shanghai garbage sorting guide: data, classification in both languages, typos, nonsense."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.models import GarbageItem

# (query, lang, expected category, expected item name in that language or None)
LOOKUPS = [
    ("大骨头", "zh", "dry", "大骨头"),
    ("小骨头", "zh", "wet", "小骨头"),
    ("鸡骨头是湿垃圾吗", "zh", "wet", "小骨头"),
    ("奶茶", "zh", "wet", "奶茶"),
    ("喝剩的奶茶怎么扔", "zh", "wet", "奶茶"),
    ("奶茶杯", "zh", "dry", "奶茶杯"),
    ("电池属于什么垃圾", "zh", "dry", "普通干电池"),
    ("五号电池", "zh", "dry", "普通干电池"),
    ("纽扣电池", "zh", "hazardous", "纽扣电池"),
    ("充电电池", "zh", "hazardous", "充电电池"),
    ("充点宝", "zh", "hazardous", "充电宝"),  # typo
    ("过期的药", "zh", "hazardous", "过期药品"),
    ("日光灯管", "zh", "hazardous", "荧光灯管"),
    ("香焦皮", "zh", "wet", "香蕉皮"),  # typo
    ("蛋壳", "zh", "wet", "蛋壳"),
    ("螃蟹壳", "zh", "wet", "螃蟹壳"),
    ("榴莲壳", "zh", "dry", "榴莲壳"),
    ("螺蛳壳", "zh", "dry", "贝壳"),
    ("瓜子壳", "zh", "wet", "瓜子壳"),
    ("用过的纸巾", "zh", "dry", "纸巾"),
    ("尿不试", "zh", "dry", "尿不湿"),  # typo
    ("矿泉水瓶子", "zh", "recyclable", "塑料瓶"),
    ("快递箱子", "zh", "recyclable", "纸箱"),
    ("旧報紙", "zh", "recyclable", "报纸"),  # traditional character
    ("外卖盒", "zh", "dry", "一次性餐盒"),
    ("塑料袋", "zh", "dry", "塑料袋"),
    ("茶叶渣", "zh", "wet", "茶叶渣"),
    ("猫砂", "zh", "dry", "猫砂"),
    ("体温计", "zh", "hazardous", "水银温度计"),
    ("照片", "zh", "hazardous", "照片"),
    ("旧衣服", "zh", "recyclable", "旧衣服"),
    ("玉米芯", "zh", "dry", "玉米芯"),
    ("large bones", "en", "dry", "large bones"),
    ("chiken bones", "en", "wet", "small bones"),  # typo
    ("bubble tea", "en", "wet", None),
    ("milk tea cup", "en", "dry", "bubble tea cup"),
    ("used batteries", "en", "dry", "ordinary dry-cell battery"),
    ("button battery", "en", "hazardous", "button cell battery"),
    ("batery", "en", "dry", None),  # typo
    ("how to dispose of expired medicine", "en", "hazardous", "expired medicine"),
    ("medecine", "en", "hazardous", None),  # typo
    ("bananna peel", "en", "wet", "banana peel"),  # typo
    ("plastic bottel", "en", "recyclable", "plastic bottle"),  # typo
    ("cardbord", "en", "recyclable", "cardboard box"),  # typo
    ("ciggarette", "en", "dry", "cigarette butts"),  # typo
    ("tisue", "en", "dry", "used tissues"),  # typo
    ("fluorescent tube", "en", "hazardous", "fluorescent tube"),
    ("power bank", "en", "hazardous", "power bank"),
    ("soda can", "en", "recyclable", "drink can"),
    ("wine bottle", "en", "recyclable", "glass bottle"),
    ("old phone", "en", "recyclable", "mobile phone"),
    ("coffee grounds", "en", "wet", "coffee grounds"),
    ("oyster shells", "en", "dry", "seashells"),
    ("hairy crab", "en", "wet", "crab shells"),
    ("diapers", "en", "dry", "nappies"),
    ("face mask", "en", "dry", "face mask"),
    ("where do i throw a pizza box", "en", "dry", None),
    ("tetra pak", "en", "recyclable", "milk carton"),
    ("X-Ray", "en", "hazardous", "X-ray film"),
]
NONSENSE = ["量子纠缠", "asdfgh", "quantum flux capacitor", "今天天气怎么样", "hello world", "哈哈哈",
            "xyz123", "火星石头", "护照", "垃圾"]


def _classify(client: TestClient, q: str, lang: str = "zh", **params):
    return client.get("/v1/garbage/classify", params={"q": q, "lang": lang, **params})


def test_at_least_220_items_are_seeded_in_every_category(settings):
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            total = session.scalar(select(func.count()).select_from(GarbageItem))
            per_category = dict(session.execute(
                select(GarbageItem.category, func.count()).group_by(GarbageItem.category)).all())
            items = session.scalars(select(GarbageItem)).all()
    finally:
        engine.dispose()
    assert total >= 220
    assert set(per_category) == {"dry", "wet", "recyclable", "hazardous"}
    assert min(per_category.values()) >= 15
    for item in items:
        assert item.name_zh and item.name_en and item.aliases
        assert bool(item.tip_zh) == bool(item.tip_en), item.name_zh


@pytest.mark.parametrize("query,lang,category,item", LOOKUPS)
def test_lookups_map_to_the_right_category(client: TestClient, query, lang, category, item):
    r = _classify(client, query, lang)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == query
    best = body["matches"][0]
    assert best["category"] == category, (query, body["matches"])
    assert best["confident"] is True, (query, best)
    if item is not None:
        assert best["item"] == item


def test_there_are_at_least_thirty_lookups_in_each_language():
    assert sum(1 for _q, lang, *_ in LOOKUPS if lang == "zh") >= 30
    assert sum(1 for _q, lang, *_ in LOOKUPS if lang == "en") >= 25


def test_answer_is_in_the_requested_language_with_category_and_item_tip(client: TestClient):
    zh = _classify(client, "奶茶", "zh").json()["matches"][0]
    assert zh["item"] == "奶茶" and zh["category_name"] == "湿垃圾"
    assert "下水口" in zh["tip"] and "杯子" in zh["tip"]  # item nuance
    assert "棕色" in zh["tip"] and zh["bin"] == "棕色湿垃圾桶"  # category rule
    en = _classify(client, "奶茶", "en").json()["matches"][0]
    assert en["item"] == "bubble tea (leftover)" and en["category_name"].startswith("Household food")
    assert "sink" in en["tip"] and "brown" in en["tip"]
    battery = _classify(client, "电池", "en").json()["matches"][0]
    assert battery["category"] == "dry" and "hazardous" in battery["tip"]
    plain = _classify(client, "报纸", "zh").json()["matches"][0]
    assert plain["tip"].startswith("保持清洁干燥")  # no item tip: the category rule alone


@pytest.mark.parametrize("query", NONSENSE)
def test_nonsense_is_not_confident(client: TestClient, query):
    r = _classify(client, query, "en")
    assert r.status_code == 200
    assert all(not m["confident"] for m in r.json()["matches"]), r.json()


def test_limit_and_scores(client: TestClient):
    matches = _classify(client, "骨头", limit=5).json()["matches"]
    assert 1 <= len(matches) <= 5
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert len(_classify(client, "塑料瓶", limit=1).json()["matches"]) == 1


@pytest.mark.parametrize("params", [
    {"q": ""}, {"q": "x" * 101}, {"q": "纸巾", "lang": "fr"}, {"q": "纸巾", "limit": 0},
    {"q": "纸巾", "limit": 11}, {"q": "纸巾", "limit": "many"}, {},
])
def test_invalid_queries_are_422(client: TestClient, params):
    r = client.get("/v1/garbage/classify", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_blank_and_hostile_queries_are_handled(client: TestClient):
    assert _classify(client, "   ").status_code == 422
    for q in ("'; DROP TABLE garbage_items; --", "<script>alert(1)</script>", "%00", "🍌🥚"):
        r = _classify(client, q)
        assert r.status_code == 200, q
        assert r.json()["query"] == q.strip()
    assert _classify(client, "香蕉皮").json()["matches"][0]["category"] == "wet"


def test_repeated_queries_are_served_from_the_cache(client: TestClient, anon_client: TestClient):
    def hits() -> float:
        for line in anon_client.get("/metrics").text.splitlines():
            if line.startswith('dataservice_cache_hits_total{namespace="garbage"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    first = _classify(client, "西瓜皮", "en").json()
    before = hits()
    assert _classify(client, "西瓜皮", "en").json() == first
    assert hits() == before + 1


def test_categories_in_both_languages(client: TestClient):
    zh = client.get("/v1/garbage/categories", params={"lang": "zh"}).json()["items"]
    en = client.get("/v1/garbage/categories", params={"lang": "en"}).json()["items"]
    assert [c["code"] for c in zh] == ["recyclable", "hazardous", "wet", "dry"]
    assert [c["name"] for c in zh] == ["可回收物", "有害垃圾", "湿垃圾", "干垃圾"]
    assert en[3]["name"] == "Residual waste (dry waste)" and "black" in en[3]["bin"]
    for c in zh + en:
        assert c["tip"] and len(c["examples"]) == 6
    assert client.get("/v1/garbage/categories", params={"lang": "jp"}).status_code == 422

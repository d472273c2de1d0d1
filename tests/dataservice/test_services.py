"""Service catalogue: list, details in zh/en, the free-text resolver and its index lifecycle."""
from __future__ import annotations

import statistics
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from dataservice.main import create_app
from dataservice.models import CenterService, Service
from dataservice.seed import read_yaml
from dataservice.text import CONFIDENT_SCORE, AliasMatcher

from tests.dataservice.conftest import API_KEY

CODES = [
    "resident_id_card", "residence_permit", "residence_permit_points", "hukou_transfer",
    "birth_registration", "marriage_registration", "passport", "hk_macau_permit",
    "driving_license_renewal", "social_security_card", "unemployment_benefit",
    "medical_insurance_reimbursement", "housing_fund_withdrawal", "business_license",
    "individual_business_license", "foreigner_work_permit", "foreigner_residence_permit",
    "property_registration", "public_rental_housing", "elderly_care_subsidy",
    "disability_certificate", "school_enrollment", "pension_claim", "minimum_living_allowance",
]
TEXT_FIELDS = ["name", "department", "eligibility", "fee", "processing_time", "online"]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ---------------------------------------------------------------- seed data


def test_yaml_has_the_24_services_with_rich_bilingual_content():
    rows = read_yaml("services.yaml")
    assert [r["code"] for r in rows] == CODES
    for r in rows:
        code = r["code"]
        for field in TEXT_FIELDS:
            assert _has_cjk(r[f"{field}_zh"]), (code, field)
            # English text may name the apps in Chinese, nothing else.
            en = r[f"{field}_en"].replace("一网通办", "").replace("随申办", "")
            assert en and not _has_cjk(en), (code, field)
        assert len(r["documents_zh"]) == len(r["documents_en"]) >= 3, code
        assert all(isinstance(d, str) and d for d in r["documents_zh"] + r["documents_en"]), code
        assert all(isinstance(a, str) and a.strip() for a in r["aliases"]), code
        # Aliases in both scripts: the resolver needs Chinese and English (and pinyin) forms.
        assert sum(_has_cjk(a) for a in r["aliases"]) >= 8, code
        assert sum(a.isascii() for a in r["aliases"]) >= 8, code
        assert r["online_url"].startswith("https://"), code
        assert "一网通办" in r["online_zh"] or "随申办" in r["online_zh"], code
        assert r["fee_cny"] is None or r["fee_cny"] >= 0, code
        assert r["processing_days_max"] is None or 0 < r["processing_days_max"] <= 60, code


def test_sample_facts_are_plausible():
    rows = {r["code"]: r for r in read_yaml("services.yaml")}
    assert rows["passport"]["fee_cny"] == 120 and rows["passport"]["processing_days_max"] == 7
    assert "出入境" in rows["passport"]["department_zh"]
    assert "Exit-Entry" in rows["hk_macau_permit"]["department_en"]


# ---------------------------------------------------------------- list and details


def test_list_is_bilingual(client: TestClient):
    zh = client.get("/v1/services", params={"lang": "zh"}).json()["items"]
    en = client.get("/v1/services", params={"lang": "en"}).json()["items"]
    assert sorted(i["code"] for i in zh) == sorted(CODES)
    assert [i["code"] for i in zh] == [i["code"] for i in en]
    assert all(_has_cjk(i["name"]) for i in zh)
    assert not any(_has_cjk(i["name"]) for i in en)
    assert client.get("/v1/services").json()["items"] == zh  # zh is the default


def test_passport_details_in_both_languages(client: TestClient):
    zh = client.get("/v1/services/passport", params={"lang": "zh"})
    en = client.get("/v1/services/passport", params={"lang": "en"})
    assert zh.status_code == en.status_code == 200
    zh, en = zh.json(), en.json()
    assert zh["code"] == en["code"] == "passport"
    assert zh["name"] == "普通护照" and en["name"] == "Ordinary Passport"
    assert "出入境管理局" in zh["department"] and "Exit-Entry Administration" in en["department"]
    assert zh["fee_cny"] == en["fee_cny"] == 120.0
    assert "120" in zh["fee"] and "120" in en["fee"]
    assert zh["processing_days_max"] == 7
    assert isinstance(zh["documents"], list) and "居民身份证" in zh["documents"]
    assert len(zh["documents"]) == len(en["documents"])
    assert "随申办" in zh["online"] and zh["online_url"].startswith("https://")
    assert isinstance(zh["centers"], list)


def test_every_service_has_full_details(client: TestClient):
    keys = {"code", "name", "department", "eligibility", "documents", "fee", "fee_cny",
            "processing_time", "processing_days_max", "online", "online_url", "centers"}
    for code in CODES:
        for lang in ("zh", "en"):
            body = client.get(f"/v1/services/{code}", params={"lang": lang}).json()
            assert set(body) == keys, (code, lang)
            for field in TEXT_FIELDS:
                assert body[field], (code, lang, field)
            assert _has_cjk(body["eligibility"]) == (lang == "zh"), (code, lang)
            assert body["documents"] and all(isinstance(d, str) for d in body["documents"])


def test_centers_come_from_the_center_services_table(client: TestClient, app):
    with app.state.sessionmaker() as session:
        expected = sorted(session.scalars(
            select(CenterService.center_id).where(CenterService.service_code == "passport")))
    assert client.get("/v1/services/passport").json()["centers"] == expected


@pytest.mark.parametrize("code", ["nope", "PASSPORT", "passport ", "x" * 65, "'; DROP TABLE services;--",
                                  "..%2F..%2Fetc", "护照", "passport%00"])
def test_unknown_service_is_json_404(client: TestClient, code):
    r = client.get(f"/v1/services/{code}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] in ("unknown_service", "not_found")


def test_unknown_code_error_code(client: TestClient):
    r = client.get("/v1/services/no_such_service")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service"


@pytest.mark.parametrize("path", ["/v1/services", "/v1/services/passport", "/v1/services/resolve?q=护照"])
def test_bad_lang_is_422(client: TestClient, path):
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}lang=fr")
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


# ---------------------------------------------------------------- resolver endpoint


def test_resolve_is_not_taken_for_a_code(client: TestClient):
    r = client.get("/v1/services/resolve", params={"q": "护照"})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "护照"
    top = body["matches"][0]
    assert top == {"code": "passport", "score": 100.0, "name": "普通护照", "confident": True}


def test_resolve_shape_order_and_language(client: TestClient):
    body = client.get("/v1/services/resolve",
                      params={"q": "居住证积分", "lang": "en", "limit": 5}).json()
    matches = body["matches"]
    assert [m["code"] for m in matches][:2] == ["residence_permit_points", "residence_permit"]
    assert matches[0]["name"] == "Residence Permit Points"
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(50 <= s <= 100 for s in scores)
    assert all(m["confident"] == (m["score"] >= CONFIDENT_SCORE) for m in matches)


def test_resolve_limit(client: TestClient):
    one = client.get("/v1/services/resolve", params={"q": "居住证积分", "limit": 1}).json()
    assert len(one["matches"]) == 1


def test_resolve_strips_the_query(client: TestClient):
    body = client.get("/v1/services/resolve", params={"q": "  passport \n"}).json()
    assert body["query"] == "passport" and body["matches"][0]["code"] == "passport"


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "   "}, {"q": "\t\n"}, {"q": "护" * 201}, {"q": "a" * 1001},
    {"q": "护照", "limit": 0}, {"q": "护照", "limit": 21}, {"q": "护照", "limit": "many"},
])
def test_resolve_validates_input(client: TestClient, params):
    r = client.get("/v1/services/resolve", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_resolve_accepts_200_characters(client: TestClient):
    q = "我想问一下" * 39 + "办护照"
    assert len(q) == 198
    r = client.get("/v1/services/resolve", params={"q": "  " + q + "  "})
    assert r.status_code == 200 and r.json()["matches"][0]["code"] == "passport"


@pytest.mark.parametrize("q", ["'; DROP TABLE services;--", "<script>alert(1)</script>", "%00%27",
                               "\x00护照", "{{7*7}}", "${jndi:ldap://x}", "\u202e护照", "🛂", "🙂" * 50])
def test_hostile_queries_are_just_text(client: TestClient, q):
    r = client.get("/v1/services/resolve", params={"q": q})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == q.strip()
    if "护照" not in q:
        assert not any(m["confident"] for m in body["matches"])


def test_resolve_is_cached(client: TestClient):
    params = {"q": f"换护照 {uuid.uuid4().hex[:6]}", "lang": "zh"}
    first = client.get("/v1/services/resolve", params=params)
    second = client.get("/v1/services/resolve", params=params)
    assert first.content == second.content


# ---------------------------------------------------------------- index lifecycle


def test_resolver_index_is_built_from_the_database_and_rebuilt_after_its_ttl(settings):
    """Aliases are data: a new service becomes resolvable once the index is rebuilt (TTL)."""
    token = uuid.uuid4().hex[:8]
    code = f"test_svc_{token}"
    alias = f"zorblaxian permit {token}"
    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": API_KEY}) as c:
        def resolve(q: str) -> list[str]:
            return [m["code"] for m in c.get("/v1/services/resolve", params={"q": q}).json()["matches"]]

        # A query never seen before, so the cache misses and the index is built.
        assert resolve(f"护照 {token}")[0] == "passport"
        index = app.state.service_resolver
        built = index._resolver
        with app.state.sessionmaker() as session, session.begin():
            session.add(Service(
                code=code, name_zh="测试服务", name_en="Test service", aliases=[alias],
                department_zh="测试", department_en="Test", eligibility_zh="测试", eligibility_en="Test",
                documents_zh=[], documents_en=[], fee_zh="免费", fee_en="Free", fee_cny=None,
                processing_time_zh="即时", processing_time_en="Instant", processing_days_max=None,
                online_zh="无", online_en="None", online_url=None))
        try:
            assert code not in resolve(f"{alias} a")  # still the index built before the insert
            assert index._resolver is built
            index._built_at -= 10_000  # as if the TTL had passed
            assert resolve(f"{alias} b")[0] == code
            assert index._resolver is not built
        finally:
            with app.state.sessionmaker() as session, session.begin():
                session.execute(delete(Service).where(Service.code == code))


def test_uncached_resolve_is_fast(client: TestClient, app):
    """The matcher itself (no HTTP, no cache) must stay well under 5 ms per query."""
    client.get("/v1/services/resolve", params={"q": "护照"})  # make sure the index exists
    with app.state.sessionmaker() as session:
        resolver = app.state.service_resolver.get(session)
    queries = ["hi, how do I renew my driver's license in shanghai?", "我想办 passport", "居住正",
               "residense permit", "小孩上学报名", "今天天气怎么样", "公基金提取", "外国人居住证"]
    for q in queries:
        resolver.resolve(q, "zh", 5)  # warm the per-character pinyin cache
    timings = []
    for _ in range(20):
        for q in queries:
            t = time.perf_counter()
            resolver.resolve(q, "zh", 5)
            timings.append(time.perf_counter() - t)
    median_ms = statistics.median(timings) * 1000
    print(f"\nuncached resolve: median {median_ms:.2f} ms, max {max(timings) * 1000:.2f} ms")
    assert median_ms < 5


def test_index_build_is_reasonably_fast():
    rows = read_yaml("services.yaml")
    t = time.perf_counter()
    AliasMatcher((r["code"], r["aliases"]) for r in rows)
    assert time.perf_counter() - t < 5

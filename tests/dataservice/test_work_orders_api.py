"""Work-order taxonomy, classification and tickets with work-order fields, on SQLite and PostgreSQL."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from dataservice.main import create_app
from tests.dataservice.conftest import API_KEY

# The classification's own names (the 12345 work-order taxonomy), first level -> second level.
TAXONOMY = {
    "城乡建设": "安全生产、城市建设和市政管理、城乡规划、村镇建设、工程质量、国有土地上房屋征收与补偿、集体土地上房屋拆迁与补偿、建筑市场、其他、住房保障与房地产",
    "党务政务": "党的建设、港澳台侨、国防外交、民族宗教、其他、群众团体、宣传舆论、政治体制",
    "国土资源": "海洋气象地震、矿产资源管理、其他、土地征收、土地资源管理",
    "环境保护": "环保管理、环境污染、建设项目审批、其他",
    "纪检监察": "党政处分、干部作风、滥用职权、其他、失职渎职、贪污贿赂",
    "交通运输": "出租车管理、建设管理、交通运输、客货运输、其他、邮政管理",
    "经济管理": "安全生产、保险证券期货、国资监管、宏观调控、金融财税、能源管理、其他、企业破产",
    "科技与信息产业": "电信、科学技术、其他、信息化建设、知识产权",
    "民政": "福利慈善、复退安置、基层选举和社区建设、救灾募捐、民间组织、其他、区划地名、社会服务、社会救助、优抚",
    "农村农业": "草原草场、村务管理、动物防疫、扶贫开发、惠农补贴、林业管理、农副产品流通、农垦农场、农资农技、其他、水库移民、水利水电、土地承包经营、野生资源管理",
    "商贸旅游": "旅游管理、其他、商业贸易、市场监管、质监检验检疫",
    "卫生计生": "公共卫生、其他、人口计生、食品药品监管、医患纠纷、医政监管",
    "政法": "法律服务、法制建设、行政复议、户籍证件、交通管理、警务督察、其他、社会治安、诉讼、刑案侦破、刑罚执行、仲裁与调解",
    "教育文体": "教师队伍和待遇、教育行政管理、教育收费、教育体制、考试招生、其他、失学辍学、体育、文化、文物管理",
    "劳动和社会保障": "城镇居民社会保险、城镇职工社会保险、工资福利、就业培训、劳动保护、劳动关系、其他、社保基金管理、退休政策及待遇",
}


def _classify(client: TestClient, text: str, lang: str = "zh"):
    return client.post("/v1/tickets/classify", json={"text": text, "lang": lang})


# -- taxonomy ----------------------------------------------------------------------------------

def test_categories_carry_the_classification_names_exactly(client: TestClient):
    items = client.get("/v1/tickets/categories", params={"lang": "zh"}).json()["items"]
    assert [c["name"] for c in items] == list(TAXONOMY)
    for top in items:
        assert sorted(c["name"] for c in top["children"]) == sorted(TAXONOMY[top["name"]].split("、"))
        assert top["department"].startswith("市") and top["response_working_days"] > 0
    codes = [c["code"] for top in items for c in [top, *top["children"]]]
    assert len(codes) == len(set(codes)) == 15 + 118
    # The same name under two first-level classes is two classes.
    safety = [c["code"] for top in items for c in top["children"] if c["name"] == "安全生产"]
    assert safety == ["0101", "0701"]


def test_categories_and_types_in_english(client: TestClient):
    en = client.get("/v1/tickets/categories", params={"lang": "en"}).json()["items"]
    assert en[0]["name"] == "Urban and rural construction"
    assert en[0]["children"][1] == {
        "code": "0102", "name": "City construction and municipal management",
        "department": "Municipal Landscaping and City Appearance Administration",
        "response_working_days": 3}
    ocean = next(c for top in en for c in top["children"] if c["code"] == "0301")
    assert ocean["name"] == "Ocean, weather and earthquakes"
    assert all(c["name"].isascii() for top in en for c in [top, *top["children"]])
    types = client.get("/v1/tickets/types", params={"lang": "en"}).json()["items"]
    assert [t["code"] for t in types] == ["consultation", "help", "complaint", "report",
                                          "suggestion", "praise"]
    zh = client.get("/v1/tickets/types", params={"lang": "zh"}).json()["items"]
    assert [t["name"] for t in zh] == ["咨询", "求助", "投诉", "举报", "建议", "表扬"]
    assert client.get("/v1/tickets/categories", params={"lang": "fr"}).status_code == 422


# -- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,level1", [
    ("我家小区门口的马路上有个大坑，井盖也缺了一块，晚上骑车很危险", "城乡建设"),
    ("隔壁化工厂每天晚上偷偷排放废气，整个小区都是刺鼻的味道", "环境保护"),
    ("公司已经拖欠我们三个月工资了，老板一直不给，怎么办", "劳动和社会保障"),
    ("孩子明年上小学，户口在外区，请问怎么办理入学", "教育文体"),
    ("在超市买的电饭煲用了一周就坏了，商家拒绝退换", "商贸旅游"),
    ("社区卫生服务中心打疫苗排队太久，医生态度也很差", "卫生计生"),
    ("公交车司机开车太猛，还经常不按站点停车", "交通运输"),
])
def test_clear_chinese_messages_get_their_first_level_class(client: TestClient, text, level1):
    r = _classify(client, text)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category"]["level1"]["name"] == level1, body
    assert body["confident"] is True
    assert body["category"]["level2"]["code"].startswith(body["category"]["level1"]["code"])


def test_a_pasted_complaint_gets_type_category_and_location(client: TestClient):
    text = ("您好！我要投诉，我家楼下的烧烤店天天营业到凌晨两三点，油烟直接往楼上飘，客人喝酒划拳噪音扰民，"
            "家里老人孩子根本睡不着。地址是徐汇区漕溪北路100号，打过好几次电话都没人管，希望尽快处理。")
    body = _classify(client, text).json()
    assert body["type"]["code"] == "complaint"
    assert body["location"]["district"] == {"code": "xuhui", "name": "徐汇区"}
    assert body["location"]["road"] == "漕溪北路100号"
    assert body["score"] >= 0.5 and body["confident"]
    top3 = [body["category"], *body["alternatives"][:2]]
    assert all(a["level2"] for a in top3) and len({a["level2"]["code"] for a in top3}) == 3


@pytest.mark.parametrize("lang, text, stated", [
    ("zh", "我要投诉，小区门口的饭店油烟太大", True),
    ("zh", "小区门口的饭店油烟太大，窗户都不敢开", False),
    ("en", "I want to praise the staff at the Xuhui service centre", True),
    ("en", "the staff at the Xuhui service centre were very patient with my mother", False),
])
def test_the_type_says_whether_the_citizen_named_it(client: TestClient, lang, text, stated):
    """`stated`: the type was said outright, not only learnt; the assistant files such a message as
    a report even when it could not tell what else was asked."""
    kind = _classify(client, text, lang).json()["type"]
    assert kind["stated"] is stated
    if stated:
        assert kind["code"] in ("complaint", "praise")


def test_traditional_chinese_reads_like_simplified(client: TestClient):
    simplified = _classify(client, "隔壁化工厂每天晚上偷偷排放废气，整个小区都是刺鼻的味道").json()
    traditional = _classify(client, "隔壁化工廠每天晚上偷偷排放廢氣，整個小區都是刺鼻的味道").json()
    assert traditional["category"] == simplified["category"]
    assert abs(traditional["score"] - simplified["score"]) < 0.05


def test_english_and_mixed_messages(client: TestClient):
    en = _classify(client, "There is a huge pothole outside 100 Caoxi North Road in Xuhui, "
                           "two scooters already fell in it", "en").json()
    assert en["category"]["level1"] == {"code": "01", "name": "Urban and rural construction"}
    assert en["location"]["road"] == "100 Caoxi North Road"
    assert en["location"]["district"] == {"code": "xuhui", "name": "Xuhui District"}
    assert en["type"]["name"] == "Complaint"
    mixed = _classify(client, "My employer 拖欠工资 for three months, 老板不接电话", "en").json()
    assert mixed["category"]["level1"]["code"] == "15"


@pytest.mark.parametrize("text", ["今天天气怎么样", "放一首周杰伦的歌", "35的平方根是多少",
                                  "play some jazz", "what's the weather tomorrow",
                                  "asdkjh qwpoeiru zxmcnv", "？？？", "哈哈哈哈"])
def test_out_of_scope_and_nonsense_get_a_low_score(client: TestClient, text):
    body = _classify(client, text).json()
    assert body["confident"] is False, body
    assert body["score"] < 0.5


@pytest.mark.parametrize("payload,status", [
    ({"text": ""}, 422),
    ({"text": "   \n\t "}, 422),
    ({"text": "路" * 2001}, 422),
    ({"text": "路灯坏了\x00\x07"}, 422),
    ({"text": "路灯坏了", "lang": "fr"}, 422),
    ({"text": 12345}, 422),
    ({"lang": "zh"}, 422),
    ({"text": "路灯坏了", "extra": 1}, 422),
])
def test_bad_classify_input_is_a_json_4xx(client: TestClient, payload, status):
    r = client.post("/v1/tickets/classify", json=payload)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_lone_surrogates_are_refused_not_a_500(client: TestClient):
    r = client.post("/v1/tickets/classify", content=b'{"text": "\\ud800 road broken"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_two_thousand_characters_are_fine(client: TestClient):
    text = ("楼下的烧烤店天天半夜噪音扰民，" * 200)[:2000]
    assert _classify(client, text).status_code == 200


def test_html_is_classified_and_returned_as_text(client: TestClient):
    body = _classify(client, "<script>alert(1)</script>小区门口<b>漕溪北路100号</b>路灯坏了").json()
    assert body["location"]["road"] == "漕溪北路100号"


# -- tickets with work-order fields ---------------------------------------------------------

def _ticket(**fields) -> dict:
    body = {"description": "我要投诉，楼下烧烤店天天半夜噪音扰民 <script>alert('x')</script>",
            "location": "漕溪北路100号", "district": "xuhui", "language": "zh"}
    body.update(fields)
    return body


def test_ticket_stores_type_category_location_channel(client: TestClient):
    long_text = "我家楼下的烧烤店天天营业到凌晨，噪音和油烟严重扰民。" * 150  # a long pasted complaint
    r = client.post("/v1/tickets", json=_ticket(
        description=long_text, type="complaint", category="0402", road="漕溪北路100号",
        landmark="徐家汇公园", channel="Chat"))
    assert r.status_code == 201, r.text
    assert r.json()["expected_response"]["working_days"] == 3  # the category's target
    no = r.json()["ticket_no"]
    zh = client.get(f"/v1/tickets/{no}", params={"lang": "zh"}).json()
    assert zh["description"] == long_text
    assert zh["type"] == {"code": "complaint", "name": "投诉"}
    assert zh["category"] == {"level1": {"code": "04", "name": "环境保护"},
                              "level2": {"code": "0402", "name": "环境污染"}}
    assert zh["department"] == "市生态环境局"
    assert (zh["road"], zh["landmark"], zh["channel"]) == ("漕溪北路100号", "徐家汇公园", "chat")
    en = client.get(f"/v1/tickets/{no}", params={"lang": "en"}).json()
    assert en["type"]["name"] == "Complaint"
    assert en["category"]["level2"]["name"] == "Environmental pollution"
    assert en["department"] == "Municipal Bureau of Ecology and Environment"


def test_ticket_with_a_first_level_category_only(client: TestClient):
    r = client.post("/v1/tickets", json=_ticket(category="15", type="help", language="en"))
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}", params={"lang": "en"}).json()
    assert got["category"] == {"level1": {"code": "15", "name": "Labour and social security"},
                               "level2": None}
    assert got["expected_response"]["working_days"] == 5


def test_old_clients_keep_working(client: TestClient):
    r = client.post("/v1/tickets", json=_ticket(issue_type="noise"))
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}").json()
    assert got["issue_type"]["code"] == "noise"
    assert got["type"] is None and got["category"] is None and got["channel"] == "api"
    assert got["description"] == _ticket()["description"]  # HTML kept as text, verbatim


@pytest.mark.parametrize("fields,code", [
    ({"category": "9999"}, "unknown_category"),
    ({"category": "1"}, "validation_error"),
    ({"type": "rant"}, "validation_error"),
    ({"channel": "we chat!"}, "validation_error"),
    ({"road": ""}, "validation_error"),
    ({"landmark": "L" * 201}, "validation_error"),
    ({"description": "x" * 10_001}, "validation_error"),
])
def test_bad_work_order_fields_are_422(client: TestClient, fields, code):
    r = client.post("/v1/tickets", json=_ticket(**fields))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


# -- readiness when the classifier cannot load ----------------------------------------------

@pytest.mark.parametrize("content", [None, b"not a model at all", b"\x80\x04garbage"])
def test_a_city_model_that_cannot_load_fails_readiness(settings, tmp_path, caplog, content):
    path = tmp_path / "city.joblib"
    if content is not None:
        path.write_bytes(content)
    caplog.set_level(logging.ERROR, logger="dataservice.classifier")
    with TestClient(create_app(replace(settings, ticket_classifier_model=str(path))),
                    headers={"X-API-Key": API_KEY}) as c:
        ready = c.get("/readyz")
        classify = _classify(c, "路灯坏了")
    assert ready.status_code == 503
    assert ready.json()["checks"]["classifier"].startswith("unavailable: model file")
    assert classify.status_code == 503
    assert classify.json()["error"]["code"] == "classifier_unavailable"
    assert any("work-order classifier not loaded" in r.getMessage() and str(path) in r.getMessage()
               for r in caplog.records)


# -- a city that files under some first-level classes only (TICKET_CLASSES) ------------------

BOARD = ("01", "04", "06", "11", "12", "14", "15")  # a message board's seven classes


@pytest.mark.parametrize("lang,text", [
    ("zh", "小区门口每天晚上有人聚众赌博，打了110也没人来管"),
    ("en", "people gamble in the lane outside my building every night and the police never come"),
])
def test_a_city_with_fewer_classes_gets_the_nearest_of_its_own(settings, client: TestClient,
                                                                lang, text):
    everything = _classify(client, text, lang).json()
    assert everything["category"]["level1"]["code"] not in BOARD, everything  # 政法 otherwise
    with TestClient(create_app(replace(settings, ticket_classes=BOARD)),
                    headers={"X-API-Key": API_KEY}) as c:
        assert c.get("/readyz").status_code == 200
        chosen = _classify(c, text, lang).json()
        unchanged = _classify(c, "隔壁化工厂每天晚上偷偷排放废气，整个小区都是刺鼻的味道").json()
    assert chosen["category"]["level1"]["code"] in BOARD
    assert chosen["category"]["level2"]["code"].startswith(chosen["category"]["level1"]["code"])
    assert {a["level1"]["code"] for a in chosen["alternatives"]} <= set(BOARD)
    # Whether it is a city matter is judged as before; scores are probabilities among the city's
    # classes, so the alternatives still say how near each of them is.
    assert chosen["confident"] is everything["confident"] is True
    scores = [chosen["score"], *(a["score"] for a in chosen["alternatives"])]
    assert chosen["score"] >= 0.2 and scores == sorted(scores, reverse=True)
    assert unchanged["category"]["level1"]["name"] == "环境保护" and unchanged["score"] >= 0.5


@pytest.mark.parametrize("city_model,classes,missing", [
    (True, ("04", "15"), "15"),  # the city's model was trained on 01 and 04 only
    (False, ("01", "99"), "99"),  # no such class in the taxonomy
])
def test_classes_the_model_does_not_have_fail_readiness(settings, tmp_path, caplog, city_model,
                                                         classes, missing):
    from dataservice.work_orders.corpus import Example
    from dataservice.work_orders.model import WorkOrderModel
    from dataservice.work_orders.taxonomy import load_taxonomy

    city = replace(settings, ticket_classes=classes)
    if city_model:
        path = tmp_path / "city.joblib"
        rows = [Example(f"{place}{matter}", level1) for place in ("徐汇区", "闵行区", "浦东新区", "杨浦区")
                for level1, matter in (("01", "路灯不亮"), ("01", "马路有坑"), ("04", "河水发臭"),
                                       ("04", "工地扬尘"))]
        WorkOrderModel.train(rows, load_taxonomy()).save(path)
        city = replace(city, ticket_classifier_model=str(path))
    caplog.set_level(logging.ERROR, logger="dataservice.classifier")
    with TestClient(create_app(city), headers={"X-API-Key": API_KEY}) as c:
        ready = c.get("/readyz")
        classify = _classify(c, "路灯坏了")
    assert ready.status_code == 503 and classify.status_code == 503
    assert ready.json()["checks"]["classifier"].startswith(f"unavailable: TICKET_CLASSES: {missing}:")
    assert any(r.getMessage().startswith("work-order classifier not loaded, the service is not "
                                         "ready: TICKET_CLASSES:") for r in caplog.records)

"""A day in an operator's life, in a real headless Chromium against a running console: log in,
read the inbox, label a whole group of messages, find them in a conversation's transcript and on
the dashboard; once in Chinese, once in English (two operators, two browsers). The screenshots of
docs/operators.md come from this walk (`make console-screenshots`).

Training, the evaluation gate and promotion are appended to the walk as further steps."""
from __future__ import annotations

import time

import pytest

from console.ingest.events import normalize_text
from console.ingest.store import store_events
from console.migrate import upgrade
from console.web.accounts import create_user
from dataservice.db import make_engine, make_sessionmaker
from tests.browser import chromium
from tests.console.conftest import PASSWORD
from tests.console.events import bot, user
from tests.console.live import serving_console
from tests.console.walk import OperatorWalk

NOW = time.time()  # seeded relative to now: the dashboard shows the last 30 days
HOUR = 3600

# (conversation id prefix, text, Rasa's intent ranking, how many citizens sent it, the reply)
FALLBACK_ZH, FALLBACK_EN = "抱歉，我没有理解您的问题。您也可以拨打 12345 热线。", \
    "Sorry, I did not quite understand. You can also call the 12345 hotline."
CONVERSATIONS = [
    ("wechat:zh-pudong-", "浦东的居住证在哪里办？",
     [("nlu_fallback", 0.7), ("ask_service_requirements", 0.38), ("find_service_center", 0.31)], 4, FALLBACK_ZH),
    ("web:en-renew-", "How do I renew my residence permit in Pudong",
     [("ask_service_requirements", 0.46), ("check_application_status", 0.29)], 3, FALLBACK_EN),
    ("wechat:zh-medical-", "医保卡丢了怎么补办",
     [("ask_service_fee", 0.44), ("ask_service_requirements", 0.4)], 2, FALLBACK_ZH),
    ("rest:portal:en-water-", "where can I pay the water bill in Minhang",
     [("nlu_fallback", 0.7), ("check_utility_bill", 0.52), ("find_service_center", 0.2)], 2, FALLBACK_EN),
    ("wechat:zh-noise-", "楼下装修太吵了能投诉吗",
     [("nlu_fallback", 0.7), ("report_issue", 0.35), ("request_human", 0.3)], 1, FALLBACK_ZH),
    ("wechat:zh-docs-", "居住证要带什么材料", [("ask_service_requirements", 0.97)], 6,
     "办理居住证需要：身份证、租房合同或房产证明、近期照片。"),
    ("web:en-fee-", "what is the fee for a passport", [("ask_service_fee", 0.95)], 4,
     "A passport costs 120 yuan."),
    ("wechat:zh-hours-", "浦东市民中心周六开门吗", [("ask_office_hours", 0.93)], 3,
     "浦东新区市民中心周六 9:00–17:00 开放。"),
    ("web:en-hello-", "hello", [("greet", 0.99)], 2, "Hello! How can I help?"),
]


def citizen(sender: str, text: str, ranking: list[tuple[str, float]], ts: float, n: int) -> dict:
    event = user(sender, text, ranking[0][0], ranking[0][1], ts, channel=None, message_id=f"m{n}")
    event["parse_data"]["intent_ranking"] = [{"name": i, "confidence": c} for i, c in ranking]
    return event


def seed(database_url: str) -> None:
    events, n = [], 0
    for prefix, text, ranking, times, reply in CONVERSATIONS:
        for i in range(times):
            n += 1
            ts = NOW - (n % 7) * 20 * HOUR - 600  # spread over the last week
            events += [citizen(f"{prefix}{i}", text, ranking, ts, n), bot(f"{prefix}{i}", reply, ts + 1)]
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as s, s.begin():
        store_events(s, events)
        create_user(s, "test", "wang.fang", PASSWORD, "annotator")
        create_user(s, "test", "sam.lee", PASSWORD, "annotator")
    engine.dispose()


@pytest.fixture(scope="module")
def console_url(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("walk")
    url = f"sqlite:///{workdir / 'console.sqlite3'}"
    upgrade(url)
    seed(url)
    with serving_console(url, workdir) as base:
        yield base


# One operator per language, each in a browser of their own, labelling a different group.
WALKS = {
    "zh": dict(browser="zh-CN", operator="wang.fang", inbox="待处理", group="浦东的居住证在哪里办？",
               intent="find_service_center", service="居住证", district="浦东", done="已标注 4 条消息。",
               conversation="wechat:zh-pudong-0", verdict="已由 wang.fang 标注为 find_service_center",
               labelled="已标注，待训练"),
    "en": dict(browser="en-US", operator="sam.lee", inbox="Inbox",
               group="How do I renew my residence permit in Pudong", intent="ask_service_requirements",
               service="residence permit", district="Pudong", done="3 messages annotated.",
               conversation="web:en-renew-1", verdict="Annotated ask_service_requirements by sam.lee",
               labelled="labelled, awaiting training"),
}


@pytest.mark.parametrize("language", WALKS)
def test_a_day_in_the_life_of_an_operator(console_url, tmp_path, language):
    w = WALKS[language]
    with chromium(width=1100, height=720, language=w["browser"]) as driver:
        walk = OperatorWalk(driver, console_url, tmp_path, language)
        walk.log_in(w["operator"], PASSWORD)
        inbox = walk.inbox()
        # The page is in the operator's language; the most frequent misunderstanding comes first.
        assert w["inbox"] in inbox and inbox.index(w["group"]) < inbox.index("医保卡丢了怎么补办")
        done = walk.annotate_group(normalize_text(w["group"]), w["intent"], service=w["service"],
                                   district=w["district"])
        assert w["done"] in done
        transcript = walk.transcript(w["conversation"])
        assert w["group"] in transcript and w["verdict"] in transcript
        assert f"service={w['service'].lower()}" in transcript and f"district={w['district'].lower()}" in transcript
        dashboard = walk.dashboard()
        line = next(ln for ln in dashboard.splitlines() if w["group"] in ln)
        assert w["labelled"] in line, line
        assert len(walk.taken) == 6 and all(p.stat().st_size > 5000 for p in walk.taken)

"""The backend in its production configuration (PostgreSQL tracker store, Redis lock store and
channel state, action server, data service), driven through its integrator REST and WeChat
webhooks:

- corpus test: personal data in every format appears nowhere it is kept: not in the tracker
  store's table, not in Redis under this run's prefixes, not in the data service's database, not
  in the services' logs;
- a tracker database outage is a retryable 503 for the integrator and for the operators' HTTP
  API, never a 200 for a message that is not stored, nor an empty tracker."""
from __future__ import annotations

import json
import os
import sqlite3
import uuid
from contextlib import closing

import psycopg2
import pytest
import redis
import requests

from bench.processes import free_port, stop
from tests.actions.conftest import API_KEY, start_dataservice
from tests.bot.conftest import ROOT, TOKEN, start_action_server, start_rasa
from tests.bot.wechat_support import (APP_ID, APP_SECRET, REDIS_URL, WX_TOKEN, FakeWeChatAPI,
                                      WeChat, require_redis, text_xml)

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
KEY = "corpus-integrator-key"

# (message, the forms of the personal data in it that must never be kept)
CORPUS = [
    ("我的手机号是13958231746", ["13958231746"]),
    ("call me on 139 5823 1746", ["139 5823 1746", "13958231746"]),
    ("手机：139-5823-1746", ["139-5823-1746"]),
    ("my mobile is 139.5823.1746", ["139.5823.1746"]),
    ("电话 +86 139 5823 1746", ["5823 1746"]),
    ("我的电话１３９５８２３１７４６", ["１３９５８２３１７４６"]),
    ("手机一三九五八二三一七四六", ["一三九五八二三一七四六"]),
    ("身份证号 310104198807153218", ["310104198807153218"]),
    ("my ID is 310104 19880715 3218", ["310104 19880715 3218"]),
    ("身份证 31010419880715321X", ["31010419880715321X"]),
    ("身份证３１０１０４１９８８０７１５３２１８", ["３１０１０４１９８８０７１５３２１８"]),
    ("old ID card 310104880715321", ["310104880715321"]),
    ("银行卡号 6217 0012 3456 7894 012", ["6217 0012 3456 7894 012", "6217001234567894012"]),
    ("my card number is 6217001234567894012", ["6217001234567894012"]),
    ("邮箱 wang.xiaoming@example.cn", ["wang.xiaoming@"]),
    ("email me at xiaoming_w@example.com", ["xiaoming_w@"]),
]
# A 12345 ticket whose location and description carry personal data: it reaches the data service.
REPORT = ["楼下广场舞太吵了，想投诉", "漕溪北路88号门口，我的电话13958231746，身份证310104198807153218"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    require_redis()
    tmp = tmp_path_factory.mktemp("corpus")
    run = uuid.uuid4().hex[:8]
    tracker_db = f"corpus_tracker_{run}"
    with closing(psycopg2.connect(PG)) as admin:
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{tracker_db}"')
    ds_log = tmp / "dataservice.log"
    ds_proc, ds_url = start_dataservice(tmp, log=ds_log)
    fake = FakeWeChatAPI()
    prefixes = {"integrator": f"corpus{run}:integrator:", "wechat": f"corpus{run}:wechat"}
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url,
               DATASERVICE_API_KEY=API_KEY, TF_CPP_MIN_LOG_LEVEL="3",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", REDIS_URL=REDIS_URL,
               TRACKER_STORE_URL=PG.rsplit("/", 1)[0] + "/" + tracker_db,
               INTEGRATOR_API_KEYS=f"corpus:{KEY}", INTEGRATOR_REDIS_PREFIX=prefixes["integrator"],
               INTEGRATOR_SENDER_RATE_PER_MINUTE="600", INTEGRATOR_SENDER_BURST="100",
               WECHAT_TOKEN=WX_TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
               WECHAT_API_BASE=fake.url, WECHAT_AES_KEY="", WECHAT_REDIS_PREFIX=prefixes["wechat"],
               PII_SECRET_KEY=f"corpus-{run}")
    action_port, rasa_port = free_port(), free_port()
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
    logs = {"actions": tmp / "actions.log", "rasa": tmp / "rasa.log", "dataservice": ds_log}
    procs = [ds_proc]
    try:
        procs.append(start_action_server(env, action_port, logs["actions"]))
        procs.append(start_rasa(env, rasa_port, logs["rasa"]))
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "tracker_db": env["TRACKER_STORE_URL"],
               "ds_db": tmp / "ds.sqlite3", "logs": logs, "prefixes": prefixes}
    finally:
        stop(procs)
        fake.close()
        r = redis.Redis.from_url(REDIS_URL)
        for prefix in prefixes.values():
            for key in r.scan_iter(f"{prefix}*"):
                r.delete(key)
        with closing(psycopg2.connect(PG)) as admin:
            admin.autocommit = True
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{tracker_db}" WITH (FORCE)')


def post(backend, sender: str, text: str, message_id: str | None = None) -> requests.Response:
    return requests.post(backend["rasa"] + "/webhooks/rest/webhook", timeout=60,
                         headers={"Authorization": f"Bearer {KEY}"},
                         json={"sender": sender, "message": text,
                               "message_id": message_id or uuid.uuid4().hex})


def rest(backend, sender: str, text: str) -> list[dict]:
    r = post(backend, sender, text)
    assert r.status_code == 200, r.text
    return r.json()


def tracker_rows(backend) -> str:
    with closing(psycopg2.connect(backend["tracker_db"])) as conn:
        cur = conn.cursor()
        cur.execute("SELECT data FROM events")
        return "\n".join(json.dumps(json.loads(data), ensure_ascii=False)
                         for (data,) in cur.fetchall())


def redis_contents(backend) -> str:
    r = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    out = []
    for prefix in backend["prefixes"].values():
        for key in r.scan_iter(f"{prefix}*"):
            kind = r.type(key)
            value = {"string": r.get, "hash": r.hgetall, "list": lambda k: r.lrange(k, 0, -1),
                     "set": r.smembers, "zset": lambda k: r.zrange(k, 0, -1)}.get(kind, str)(key)
            out.append(f"{key} {value}")
    return "\n".join(out)


def dataservice_text(backend) -> str:
    with closing(sqlite3.connect(backend["ds_db"])) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                out.extend(str(v) for v in row if isinstance(v, str))
    return "\n".join(out)


def ticket_count(backend) -> int:
    with closing(sqlite3.connect(backend["ds_db"])) as db:
        return db.execute("SELECT count(*) FROM tickets").fetchone()[0]


def test_personal_data_is_kept_nowhere(backend):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    wechat = WeChat(backend["rasa"] + "/webhooks/wechat/webhook")
    openid = "o" + uuid.uuid4().hex[:27]
    for text, _ in CORPUS:
        rest(backend, sender, text)
        assert wechat.post(text_xml(openid, text)).status_code == 200
    reporter = f"reporter-{uuid.uuid4().hex[:8]}"
    tickets_before = ticket_count(backend)
    complaint, place = REPORT
    replies = [rest(backend, reporter, complaint)]
    for _ in range(6):  # category, place, district, confirmation: answered in the order asked
        asked = " ".join(m.get("text", "") for m in replies[-1])
        if any(word in asked for word in ("确认", "提交", "对吗")):
            answer = "对"
        elif "哪个区" in asked:
            answer = "徐汇"
        elif "位置" in asked or "哪里" in asked:
            answer = place
        else:
            break
        replies.append(rest(backend, reporter, answer))
    assert ticket_count(backend) == tickets_before + 1, replies  # its text reached the data service

    places = {"tracker store": tracker_rows(backend), "redis": redis_contents(backend),
              "data service": dataservice_text(backend),
              **{f"{name} log": log.read_text(errors="replace")
                 for name, log in backend["logs"].items()}}
    for kept in ("139******46", "3101************18", "**** 4012", "w***@example.cn"):
        assert kept in places["tracker store"]  # the messages are stored, redacted
    assert "漕溪北路88号" in places["data service"]  # the ticket's place is kept, its numbers not
    leaks = [(form, where) for _, forms in CORPUS for form in forms
             for where, text in places.items() if form in text]
    assert leaks == []


def test_a_booking_keeps_the_name_and_phone_out_of_the_stores_and_logs(backend):
    """The form asks for a name and a mobile: the booking is made with them, and neither is kept
    by the tracker store, Redis or a log (the data service keeps what a booking needs)."""
    name, phone = "欧阳娜娜", "136-2283-9174"
    sender = f"booker-{uuid.uuid4().hex[:8]}"
    bookings_before = booking_count(backend)
    replies = rest(backend, sender, "我想预约明天去浦东办护照")
    for _ in range(6):
        asked = " ".join(m.get("text", "") for m in replies)
        buttons = [b for m in replies for b in (m.get("buttons") or [])]
        if "姓名" in asked:
            answer = f"我叫{name}"
        elif "手机" in asked and "尾号" not in asked:
            answer = phone
        elif buttons:
            answer = buttons[0]["payload"]  # a time slot, then "confirm"
        else:
            break
        replies = rest(backend, sender, answer)
    done = " ".join(m.get("text", "") for m in replies)
    assert booking_count(backend) == bookings_before + 1, done
    assert "欧**" in tracker_rows(backend)  # the confirmation, masked
    kept = {"tracker store": tracker_rows(backend), "redis": redis_contents(backend),
            **{f"{n} log": log.read_text(errors="replace") for n, log in backend["logs"].items()}}
    leaks = [(form, where) for form in (name, phone, "13622839174", "2283-9174")
             for where, text in kept.items() if form in text]
    assert leaks == []


def booking_count(backend) -> int:
    with closing(sqlite3.connect(backend["ds_db"])) as db:
        return db.execute("SELECT count(*) FROM bookings").fetchone()[0]


def set_tracker_db_open(backend, is_open: bool) -> None:
    name = backend["tracker_db"].rsplit("/", 1)[1]
    with closing(psycopg2.connect(PG)) as admin:
        admin.autocommit = True
        cur = admin.cursor()
        cur.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(is_open).lower()}')
        if not is_open:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        (name,))


def test_a_tracker_database_outage_is_a_retryable_503(backend):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    rest(backend, sender, "护照多少钱")
    tracker_url = f"{backend['rasa']}/conversations/rest:corpus:{sender}/tracker"
    set_tracker_db_open(backend, False)
    try:
        refused = post(backend, sender, "how long does it take", message_id=f"{sender}-2")
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "processing_failed"
        operators = requests.get(tracker_url, params={"token": TOKEN}, timeout=60)
        assert operators.status_code == 503  # not an empty conversation
    finally:
        set_tracker_db_open(backend, True)
    retried = post(backend, sender, "how long does it take", message_id=f"{sender}-2")
    assert retried.status_code == 200 and retried.json()
    events = requests.get(tracker_url, params={"token": TOKEN}, timeout=60).json()["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["护照多少钱",
                                                                   "how long does it take"]

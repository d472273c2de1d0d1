"""The WeChat Official Account channel against the real backend: Rasa (trained model, channel
configured by environment, Redis for shared state), the action server and the data service, with
wechatpy playing WeChat's side and a fake WeChat API server on loopback."""
from __future__ import annotations

import json
import re
import subprocess
import os
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from bench.processes import free_port, stop
from bot.channels.state import hashed
from bot.channels.wechat_output import TEXT_LIMIT, render_messages, split_text
from tests.actions.conftest import API_KEY, start_dataservice
from tests.bot.conftest import ROOT, start_action_server
from tests.bot.wechat_support import (AES_KEY, APP_ID, APP_SECRET, REDIS_URL, WX_TOKEN,
                                      FakeWeChatAPI, WeChat, event_xml, other_xml, rasa_server,
                                      require_redis, sign, text_xml, user_events)


# ------------------------------------------------------------------------------ no server


def test_signature_known_answer_vectors():
    # sha1 of the sorted, concatenated (token, timestamp, nonce), as WeChat computes it.
    assert sign(WX_TOKEN, "1409304348", "xxxxxx") == "61d52fc87196e600ad8d672ed989ff478aac314b"
    assert sign("token", "1000000000", "nonce") == "e8793af58e237722b05d3801369d30b18143aafb"


def test_long_replies_are_split_within_wechat_limits():
    text = "\n\n".join(["办理护照需要身份证和照片。" * 40] * 6)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(len(c.encode("utf-8")) <= TEXT_LIMIT for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert all(len(c.encode()) <= TEXT_LIMIT for c in split_text("护" * 5000))


def test_buttons_become_numbered_options():
    text, payloads = render_messages([
        {"text": "请选择业务："},
        {"text": "您要办哪一项？", "buttons": [{"title": "护照", "payload": "/inform{\"service\": \"passport\"}"},
                                             {"title": "居住证", "payload": "/inform{\"service\": \"residence_permit\"}"}]}])
    assert "1. 护照" in text and "2. 居住证" in text
    assert payloads == ['/inform{"service": "passport"}', '/inform{"service": "residence_permit"}']


def numbered_lines(text: str) -> list:
    return re.findall(r"(?m)^\s*(\d{1,2})(?:[.)．]\s|、)", text)


# The answers whose text has its own numbered list, alone and with options (buttons).
CENTRES = {"zh": "徐汇区的社区事务受理中心共 4 个：\n1. 徐汇区社区事务受理中心\n   地址：漕溪北路 336 号\n"
                 "2. 漕河泾街道社区事务受理中心\n3. 天平路街道社区事务受理中心\n另有 1 个中心未列出。",
           "en": "Community affairs centres in Xuhui: 4 in all.\n1. Xuhui Community Affairs Centre\n"
                 "   Address: 336 Caoxi North Road\n2. Caohejing Centre\n3. Tianping Road Centre\n"
                 "1 more not listed."}
FOLLOW_UPS = {"zh": ["所需材料", "办理时限", "去哪里办"], "en": ["Documents", "Processing time", "Where to go"]}


def buttons(titles: list) -> list:
    return [{"title": title, "payload": f"/option{{\"n\": {i}}}"} for i, title in enumerate(titles)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_reply_never_shows_two_lists_numbered_alike(lang):
    """The case of the issue: a fee answer with follow-up options, then a list of centres with
    "show the rest" - one numbering (the options'), so a typed "2" can mean one thing only."""
    more = "显示其余 1 个" if lang == "zh" else "Show the other 1"
    replies = [
        [{"text": "护照 120 元" if lang == "zh" else "Passport: CNY 120", "buttons": buttons(FOLLOW_UPS[lang])},
         {"text": CENTRES[lang], "buttons": buttons([more])}],
        [{"text": CENTRES[lang], "buttons": buttons([more])}],
        [{"text": CENTRES[lang]}, {"text": "?", "buttons": buttons(FOLLOW_UPS[lang])}],
    ]
    for messages in replies:
        text, payloads = render_messages(messages)
        assert numbered_lines(text) == [str(i) for i in range(1, len(payloads) + 1)], text
        # each option shows the number that maps back to its payload
        titles = [b["title"] for m in messages for b in m.get("buttons") or []]
        assert [line for line in text.splitlines() if re.match(r"\d+\. ", line)] == \
            [f"{i}. {t}" for i, t in enumerate(titles, 1)]
        assert "• " + CENTRES[lang].splitlines()[1].split(". ", 1)[1] in text  # the list is kept
    # Without options the text keeps its numbers: nothing maps a number back then.
    text, payloads = render_messages([{"text": CENTRES[lang]}])
    assert payloads == [] and text == CENTRES[lang] and numbered_lines(text) == ["1", "2", "3"]


def test_only_list_numbering_becomes_bullets():
    text, _ = render_messages([{"text": "1.5 公里\n12345 热线\n2026-12-03\n 2、第二项\n3) third",
                                "buttons": buttons(["x"])}])
    assert text.splitlines()[:5] == ["1.5 公里", "12345 热线", "2026-12-03", " • 第二项", "• third"]


SAFE_VECTOR = {  # a push encrypted with AES_KEY for APP_ID, as WeChat's servers send it
    "encrypt": "yso83is4oSWmTFNXkwu5PXiM3+OwTJDDgqbivP3h5Q6Ec8hRNn19IsqDrnJD5wgqB9AhDCnE3YlvK0rVbDe"
               "+N9gQLiRQs4IodsTqh0pxrFzlq20OpYAJ36JHQ6rYsFCI",
    "msg_signature": "b221096ad004a3f13dabf2cc57faff4a7ac81533", "timestamp": "1409304348",
    "nonce": "nonce1"}


def test_safe_mode_known_answer_vector():
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

    v = SAFE_VECTOR
    assert sign(WX_TOKEN, v["timestamp"], v["nonce"], v["encrypt"]) == v["msg_signature"]
    plain = WeChatCrypto(WX_TOKEN, AES_KEY, APP_ID).decrypt_message(
        {"Encrypt": v["encrypt"]}, v["msg_signature"], v["timestamp"], v["nonce"])
    assert plain == "<xml><Content><![CDATA[你好]]></Content></xml>"
    with pytest.raises(InvalidSignatureException):
        WeChatCrypto(WX_TOKEN, AES_KEY, APP_ID).decrypt_message(
            {"Encrypt": v["encrypt"]}, v["msg_signature"], v["timestamp"], "nonce2")
    with pytest.raises(InvalidAppIdException):
        WeChatCrypto(WX_TOKEN, AES_KEY, "wxOTHER").decrypt_message(
            {"Encrypt": v["encrypt"]}, v["msg_signature"], v["timestamp"], v["nonce"])


def test_wechatpy_accepts_the_vectors_and_rejects_a_tampered_one():
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature

    check_signature(WX_TOKEN, "61d52fc87196e600ad8d672ed989ff478aac314b", "1409304348", "xxxxxx")
    with pytest.raises(InvalidSignatureException):
        check_signature(WX_TOKEN, "61d52fc87196e600ad8d672ed989ff478aac314c", "1409304348", "xxxxxx")


@pytest.mark.asyncio
async def test_without_redis_state_and_access_token_live_in_memory():
    from bot.channels.state import MemoryState
    from bot.channels.wechat import WeChatInput

    fake = FakeWeChatAPI()
    try:
        channel = WeChatInput(env={"WECHAT_TOKEN": WX_TOKEN, "WECHAT_APP_ID": APP_ID,
                                   "WECHAT_APP_SECRET": APP_SECRET, "WECHAT_API_BASE": fake.url})
        assert isinstance(channel.state(), MemoryState)
        assert await channel.state().set_nx("k", "pending", 60)
        assert not await channel.state().set_nx("k", "pending", 60)
        await channel._deliver("o-memory", ["第一条", "second"])
        await channel._deliver("o-memory", ["third"])
        assert fake.messages_for("o-memory") == ["第一条", "second", "third"]
        assert fake.token_fetches == 1
        # An expired token is fetched again.
        channel.client.session._expiry[channel.client.access_token_key] = 0
        await channel._deliver("o-memory", ["fourth"])
        assert fake.token_fetches == 2
    finally:
        fake.close()


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    require_redis()
    tmp = tmp_path_factory.mktemp("wechat")
    ds_proc, ds_url = start_dataservice(tmp)
    fake = FakeWeChatAPI()
    prefix = f"test:wechat:{uuid.uuid4().hex}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url,
               DATASERVICE_API_KEY=API_KEY, TF_CPP_MIN_LOG_LEVEL="3",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", REDIS_URL=REDIS_URL,
               WECHAT_TOKEN=WX_TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET=APP_SECRET,
               WECHAT_API_BASE=fake.url, WECHAT_AES_KEY="", WECHAT_REDIS_PREFIX=prefix)
    env.pop("TRACKER_STORE_URL", None)
    action_port = free_port()
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
    log = tmp / "actions.log"
    actions = start_action_server(env, action_port, log)
    try:
        yield {"tmp": tmp, "env": env, "fake": fake, "dataservice": ds_url, "prefix": prefix}
    finally:
        stop([ds_proc, actions])
        fake.close()
        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"{prefix}:*"):
            r.delete(key)


def warm_up(server: dict, aes_key: str = "") -> None:
    """The first message of a fresh server loads the policies and connects to the action server."""
    wechat = WeChat(server["webhook"], aes_key=aes_key)
    for text in ("你好", "护照多少钱"):
        wechat.post(text_xml("warm-up-" + uuid.uuid4().hex[:8], text))


@pytest.fixture(scope="module")
def plain(services):
    with rasa_server(services["tmp"], services["env"], {}, "plain") as server:
        warm_up(server)
        yield server


@pytest.fixture(scope="module")
def safe(services):
    with rasa_server(services["tmp"], services["env"], {"WECHAT_AES_KEY": AES_KEY}, "safe") as server:
        warm_up(server, AES_KEY)
        yield server


@pytest.fixture(scope="module")
def slow(services):
    with rasa_server(services["tmp"], services["env"], {"WECHAT_REPLY_BUDGET": "0.01"}, "slow") as s:
        yield s


def ds(services, path: str) -> dict:
    req = urllib.request.Request(services["dataservice"] + path, headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


# ------------------------------------------------------------------------------ plaintext mode


def test_url_verification_echoes_only_with_a_valid_fresh_signature(plain):
    url = plain["webhook"]
    ok = dict(WeChat(url).params(), echostr="5837397520665436492")
    r = requests.get(url, params=ok, timeout=10)
    assert r.status_code == 200 and r.text == "5837397520665436492"
    known_but_old = {"signature": "61d52fc87196e600ad8d672ed989ff478aac314b",
                     "timestamp": "1409304348", "nonce": "xxxxxx", "echostr": "1"}  # from 2014
    for bad in ({**ok, "signature": "0" * 40}, {**ok, "nonce": "yyyyyy"},
                {k: v for k, v in ok.items() if k != "signature"}, known_but_old):
        assert requests.get(url, params=bad, timeout=10).status_code == 403


def test_text_question_answered_passively_in_chinese_and_english(plain, services):
    wechat = WeChat(plain["webhook"])
    user = openid()
    zh = ds(services, "/v1/services/passport?lang=zh")
    reply = wechat.say(user, "护照办理要多少钱")
    assert reply and zh["fee"] in reply
    en = ds(services, "/v1/services/passport?lang=en")
    reply = wechat.say(user, "how much does a passport cost")
    assert reply and en["fee"] in reply
    texts = [e["text"] for e in user_events(plain["rasa"], user)]
    assert texts == ["护照办理要多少钱", "how much does a passport cost"]
    assert user_events(plain["rasa"], user)[0]["input_channel"] == "wechat"


def _external_entity(user: str) -> str:
    return ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + text_xml(user, "&xxe;").replace("<![CDATA[&xxe;]]>", "&xxe;"))


def _laughs(user: str) -> str:
    return ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            + text_xml(user, "&c;").replace("<![CDATA[&c;]]>", "&c;"))


@pytest.mark.parametrize("case, status", [
    ("forged_signature", 403), ("missing_signature", 403), ("stale_timestamp", 403),
    ("future_timestamp", 403), ("replayed_signature_other_body", 403), ("encrypted_to_plain", 403),
    ("malformed_xml", 400), ("external_entity", 400), ("entity_expansion", 400),
    ("one_megabyte", 413), ("not_a_message", 400), ("not_an_openid", 400),
])
def test_bad_requests_are_refused_and_reach_no_conversation(plain, case, status):
    wechat = WeChat(plain["webhook"])
    user = openid()
    xml = text_xml(user, "护照多少钱")
    params, body = wechat.build(xml)
    if case == "forged_signature":
        params["signature"] = sign("not-the-token", params["timestamp"], params["nonce"])
    elif case == "missing_signature":
        params.pop("signature")
    elif case == "stale_timestamp":
        params, body = wechat.build(xml, timestamp=int(time.time()) - 301)
    elif case == "future_timestamp":
        params, body = wechat.build(xml, timestamp=int(time.time()) + 3600)
    elif case == "replayed_signature_other_body":
        first = requests.post(plain["webhook"], params=params, data=body, timeout=30)
        assert first.status_code == 200
        user = openid()
        body = text_xml(user, "居住证要带什么材料").encode()
    elif case == "encrypted_to_plain":
        params.update(encrypt_type="aes", msg_signature="0" * 40)
    elif case == "malformed_xml":
        body = body[:-10]
    elif case == "external_entity":
        body = _external_entity(user).encode()
    elif case == "entity_expansion":
        body = _laughs(user).encode()
    elif case == "one_megabyte":
        body = text_xml(user, "护" * 350_000).encode()
        assert len(body) > 1_000_000
    elif case == "not_a_message":
        body = b"<notxml><a>1</a></notxml>"
    elif case == "not_an_openid":  # e.g. naming an integrator's conversation
        body = text_xml("portal:" + user, "/affirm").encode()
    r = requests.post(plain["webhook"], params=params, data=body, timeout=30)
    assert r.status_code == status, r.text
    assert user_events(plain["rasa"], user) == []


def test_same_message_three_times_including_concurrently_is_processed_once(plain, services):
    wechat = WeChat(plain["webhook"])
    # WeChat's retries of one message: the same MsgId, each retry freshly signed.
    user = openid()
    xml = text_xml(user, "居住证要带什么材料", msg_id=uuid.uuid4().int % 10**16)
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda _: wechat.read(wechat.post(xml)), range(3)))
    late = wechat.read(wechat.post(xml))
    if replies[0] is None:  # a machine too busy for the budget: all `success`, one pushed reply
        assert replies == [None, None, None] and late is None
        assert len(services["fake"].wait_for(user, 1)) == 1
    else:
        assert len({r["Content"] for r in replies + [late]}) == 1
    assert [e["text"] for e in user_events(plain["rasa"], user)] == ["居住证要带什么材料"]

    # Sequential retries of an event (no MsgId: FromUserName + CreateTime).
    user = openid()
    click = event_xml(user, "CLICK", "/help", create_time=int(time.time()))
    answers = [wechat.read(wechat.post(click)) for _ in range(3)]
    assert answers[0] and len({a["Content"] for a in answers}) == 1
    assert len(user_events(plain["rasa"], user)) == 1


def test_numbered_options_map_back_to_button_payloads(plain, services):
    wechat = WeChat(plain["webhook"])
    user = openid()
    reply = wechat.say(user, "我想预约")
    assert reply and "\n1. " in reply and "\n2. " in reply, reply
    stored = redis.Redis.from_url(REDIS_URL)
    # shared, expiring, and keyed by a hash of the openid, not the openid
    assert 0 < stored.ttl(f"{services['prefix']}:opts:{hashed(user)}") <= 24 * 3600
    assert not list(stored.scan_iter(match=f"{services['prefix']}*{user}*"))
    option = reply.split("\n1. ", 1)[1].split("\n", 1)[0].strip()
    answer = wechat.say(user, "1")
    events = user_events(plain["rasa"], user)
    assert events[-1]["text"].startswith("/"), events[-1]  # the button's payload, not "1"
    # WeChat users default to Chinese (the language slot starts as zh): a number, which has no
    # language of its own, is answered in Chinese.
    assert answer and re.search(r"[\u4e00-\u9fff]", answer), answer
    assert option  # the title the user saw


def options_of(reply: str) -> list:
    """The titles of the reply's numbered lines, checked to be one numbering (1, 2, 3 …)."""
    numbered = re.findall(r"(?m)^\s*(\d{1,2})[.)、．] ?(.+)$", reply)
    assert [n for n, _ in numbered] == [str(i) for i in range(1, len(numbered) + 1)], reply
    return [title for _, title in numbered]


@pytest.mark.parametrize("first, question", [("最近的受理中心在哪里", "护照多少钱"),
                                             ("where is the nearest service centre", "how much is a passport")])
def test_options_and_a_numbered_answer_in_one_reply_cannot_collide(plain, services, first, question):
    """The issue's case: a fee question while the district question is open (the fee's follow-ups
    and the districts are options), then a district picked by number, then the centres there (a
    numbered list cut with "show the rest"). Every reply has one numbering, the options', and a
    number picks the option shown with it."""
    wechat = WeChat(plain["webhook"])
    user = openid()
    stored = redis.Redis.from_url(REDIS_URL)
    key = f"{services['prefix']}:opts:{hashed(user)}"
    wechat.say(user, first)
    reply = wechat.say(user, question)
    options = options_of(reply)
    payloads = json.loads(stored.get(key))
    assert len(options) >= 2 and len(payloads) == len(options), reply
    xuhui = next(i for i, title in enumerate(options, 1) if title in ("徐汇区", "Xuhui District"))
    centres = wechat.say(user, str(xuhui))
    assert user_events(plain["rasa"], user)[-1]["text"] == payloads[xuhui - 1]  # the option shown so
    assert centres.count("\n• ") >= 2, centres  # the centres listed, as bullets
    more = options_of(centres)
    payloads = json.loads(stored.get(key))
    assert more and len(payloads) == len(more) and "/show_more" in payloads, centres
    wechat.say(user, str(payloads.index("/show_more") + 1))
    assert user_events(plain["rasa"], user)[-1]["text"] == "/show_more"


def test_subscribe_welcome_unsubscribe_silence_and_menu_click(plain):
    wechat = WeChat(plain["webhook"])
    user = openid()
    welcome = wechat.read(wechat.post(event_xml(user, "subscribe")))["Content"]
    assert "欢迎" in welcome and "Welcome" in welcome and "12345" in welcome
    assert wechat.read(wechat.post(event_xml(user, "unsubscribe"))) is None
    assert user_events(plain["rasa"], user) == []
    helped = wechat.read(wechat.post(event_xml(user, "CLICK", "/help")))
    assert helped and helped["Content"]
    events = user_events(plain["rasa"], user)
    assert len(events) == 1 and events[0]["parse_data"]["intent"]["name"] == "help"


def test_location_voice_and_image(plain, services):
    wechat = WeChat(plain["webhook"])
    user = openid()
    # People's Square: the nearest centres as the data service ranks them.
    nearest = ds(services, "/v1/centers/nearest?lat=31.2304&lon=121.4737&limit=3&lang=zh")["items"]
    reply = wechat.read(wechat.post(other_xml(
        user, "location", "<Location_X>31.2304</Location_X><Location_Y>121.4737</Location_Y>"
                          "<Scale>15</Scale><Label><![CDATA[人民广场]]></Label>")))["Content"]
    assert nearest and all(c["name"] in reply for c in nearest)
    unreadable = wechat.read(wechat.post(other_xml(
        user, "location", "<Location_X>north</Location_X><Location_Y>121.4737</Location_Y>")))["Content"]
    assert "文字" in unreadable and "text" in unreadable
    voice = wechat.read(wechat.post(other_xml(
        user, "voice", "<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>"
                       "<Recognition><![CDATA[护照多少钱]]></Recognition>")))["Content"]
    assert ds(services, "/v1/services/passport?lang=zh")["fee"] in voice
    image = wechat.read(wechat.post(other_xml(
        user, "image", "<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl>"
                       "<MediaId><![CDATA[m2]]></MediaId>")))["Content"]
    assert "文字" in image and "text" in image
    # The place reached the assistant as an intent carrying its coordinates, rounded to about 100 m
    # so the stored conversation does not pinpoint the citizen.
    shared, *said = user_events(plain["rasa"], user)
    assert shared["parse_data"]["intent"]["name"] == "share_location"
    assert {e["entity"]: e["value"] for e in shared["parse_data"]["entities"]} == \
        {"latitude": 31.23, "longitude": 121.474}
    assert [e["text"] for e in said] == ["护照多少钱"]


def test_load_fifty_users_five_messages_each(plain, services):
    wechat = WeChat(plain["webhook"])
    fake = services["fake"]
    script = ["你好", "护照多少钱", "居住证要带什么材料", "谢谢", "再见"]
    users = [openid() for _ in range(50)]

    def run(user: str) -> list:
        answers = []
        for text in script:
            r = wechat.post(text_xml(user, text), timeout=60)
            reply = wechat.read(r)
            answers.append(reply["Content"] if reply else None)  # None: customer-service API
            if reply is None:
                fake.wait_for(user, answers.count(None), seconds=60)
        return answers

    with ThreadPoolExecutor(50) as pool:
        results = dict(zip(users, pool.map(run, users)))
    for user, answers in results.items():
        events = user_events(plain["rasa"], user)
        assert [e["text"] for e in events] == script, user
        pushed = fake.messages_for(user)
        assert len(pushed) == answers.count(None), (user, answers, pushed)
        assert all(a is None or a.strip() for a in answers)


# ------------------------------------------------------------------------------ safe mode (AES)


def test_safe_mode_round_trip(safe, services):
    wechat = WeChat(safe["webhook"], aes_key=AES_KEY)
    user = openid()
    params, body = wechat.build(text_xml(user, "护照多少钱"))
    assert "护照" not in body.decode() and b"<Encrypt>" in body
    r = requests.post(safe["webhook"], params=params, data=body, timeout=30)
    assert "<Encrypt>" in r.text and "护照" not in r.text
    reply = wechat.read(r)
    assert ds(services, "/v1/services/passport?lang=zh")["fee"] in reply["Content"]
    assert reply["ToUserName"] == user
    ok = dict(wechat.params(), echostr="echo-me")  # URL verification works in safe mode too
    assert requests.get(safe["webhook"], params=ok, timeout=10).text == "echo-me"


@pytest.mark.parametrize("case", ["wrong_app_id", "wrong_key", "forged_msg_signature",
                                  "plaintext_downgrade", "stale_timestamp", "old_genuine_push"])
def test_safe_mode_refuses_forgeries(safe, case):
    user = openid()
    xml = text_xml(user, "护照多少钱")
    if case == "wrong_app_id":
        params, body = WeChat(safe["webhook"], aes_key=AES_KEY, app_id="wxWRONGWRONGWRONG").build(xml)
    elif case == "wrong_key":
        params, body = WeChat(safe["webhook"], aes_key="B" * 43).build(xml)
    elif case == "forged_msg_signature":
        params, body = WeChat(safe["webhook"], aes_key=AES_KEY).build(xml)
        params["msg_signature"] = sign(WX_TOKEN, params["timestamp"], params["nonce"], "forged")
    elif case == "plaintext_downgrade":
        params, body = WeChat(safe["webhook"]).build(xml)
    elif case == "old_genuine_push":  # correctly signed and encrypted, but from 2014
        v = SAFE_VECTOR
        params = {"signature": sign(WX_TOKEN, v["timestamp"], v["nonce"]), "encrypt_type": "aes",
                  "timestamp": v["timestamp"], "nonce": v["nonce"],
                  "msg_signature": v["msg_signature"]}
        body = f"<xml><Encrypt><![CDATA[{v['encrypt']}]]></Encrypt></xml>".encode()
    else:
        params, body = WeChat(safe["webhook"], aes_key=AES_KEY).build(
            xml, timestamp=int(time.time()) - 1000)
    r = requests.post(safe["webhook"], params=params, data=body, timeout=30)
    assert r.status_code == 403, r.text
    assert user_events(safe["rasa"], user) == []


# ------------------------------------------------------------------------------ slow replies


def test_slow_reply_goes_through_the_customer_service_api(slow, services):
    fake = services["fake"]
    wechat = WeChat(slow["webhook"])
    user = openid()
    xml = text_xml(user, "护照多少钱")
    started = time.monotonic()
    r = wechat.post(xml)
    assert r.status_code == 200 and r.text == "success"
    assert time.monotonic() - started < 2
    pushed = fake.wait_for(user, 1)
    assert len(pushed) == 1 and ds(services, "/v1/services/passport?lang=zh")["fee"] in pushed[0]
    # WeChat's retry of the same message: `success` again, nothing processed or sent twice.
    assert wechat.post(xml).text == "success"
    second = openid()
    assert wechat.post(text_xml(second, "谢谢")).text == "success"
    fake.wait_for(second, 1)
    time.sleep(1)
    assert len(fake.messages_for(user)) == 1 and len(fake.messages_for(second)) == 1
    assert len(user_events(slow["rasa"], user)) == 1
    # One access token, fetched once and shared through Redis.
    assert fake.token_fetches == 1 and fake.bad_token == 0
    store = redis.Redis.from_url(REDIS_URL)
    token_keys = list(store.scan_iter(f"{services['prefix']}:api:*token"))
    assert len(token_keys) == 1
    # Kept for its validity (7200 s) minus a margin: every replica refreshes it before it expires.
    assert 0 < store.ttl(token_keys[0]) <= 7200 - 300


# ------------------------------------------------------------------------------ Redis outage


def _private_redis(port: int, log) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port, socket_timeout=1).ping()
            return proc
        except redis.RedisError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("private redis-server did not start")


def test_redis_outage_gets_the_hotline_not_a_500_and_the_channel_recovers(services):
    """Redis (WeChat's shared state and Rasa's lock store) goes away under a running server."""
    port = free_port()
    log = open(services["tmp"] / "redis-outage.log", "wb")
    redis_proc = _private_redis(port, log)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with rasa_server(services["tmp"], services["env"], {"REDIS_URL": url}, "outage") as srv:
            warm_up(srv)
            wechat = WeChat(srv["webhook"])
            user = openid()
            fee = ds(services, "/v1/services/passport?lang=zh")["fee"]
            assert fee in (wechat.say(user, "护照办理要多少钱") or "")

            redis_proc.kill()
            redis_proc.wait()
            started = time.monotonic()
            r = wechat.post(text_xml(user, "护照多少钱"))
            assert r.status_code == 200, r.text  # protocol-correct, never a 500
            reply = wechat.read(r)["Content"]
            assert "12345" in reply and "Traceback" not in reply
            assert time.monotonic() - started < 5  # inside WeChat's reply window

            redis_proc = _private_redis(port, log)  # Redis back: answers come back
            assert fee in (wechat.say(user, "护照办理要多少钱") or "")
    finally:
        redis_proc.kill()
        redis_proc.wait()
        log.close()

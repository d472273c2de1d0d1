"""The channel core every connector shares: the settings of the Rasa process (bot/settings.py), the
one state store and its one outage policy (bot/channels/state.py), the one dedupe
(bot/channels/once.py) and WeChat's output channel. The outage policy is checked over real HTTP
against the connectors of tests/bot/channel_harness.py pointed at a Redis that is not there."""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
import requests

from bench.processes import free_port
from bot.channels import replies
from bot.channels.once import Claim, Once
from bot.channels.state import MemoryState, RedisState, StateUnavailable
from bot.channels.wechat import WeChatInput
from bot.channels.wechat_output import WeChatOutput
from bot.settings import (IntegratorSettings, RasaSettings, SettingsError, StoreSettings,
                          with_credentials)
from tests.bot.channel_harness import harness_server
from tests.bot.conftest import ROOT
from tests.bot.wechat_support import WX_TOKEN, WeChat, text_xml

PRODUCTION = {"DEPLOYMENT_ENV": "production", "SOCKETIO_SESSION_SECRET": "s" * 32,
              "AGENT_RELAY_SECRET": "r" * 32, "CONSOLE_URL": "http://console:8100",
              "CONSOLE_HANDOFF_TOKEN": "t" * 32}


# ------------------------------------------------------------------------------ settings


def test_production_refuses_each_development_secret_by_name():
    RasaSettings.from_env(PRODUCTION)  # every secret set: starts
    for name in ("SOCKETIO_SESSION_SECRET", "AGENT_RELAY_SECRET", "CONSOLE_HANDOFF_TOKEN"):
        env = {k: v for k, v in PRODUCTION.items() if k != name}
        with pytest.raises(SettingsError, match=name):
            RasaSettings.from_env(env)
    # development keeps its development values, and no console URL needs no handoff token
    assert RasaSettings.from_env({}).agent_relay.secret == "dev-agent-relay-secret"
    RasaSettings.from_env({k: v for k, v in PRODUCTION.items()
                           if k not in ("CONSOLE_URL", "CONSOLE_HANDOFF_TOKEN")})
    with pytest.raises(SettingsError, match="DEPLOYMENT_ENV"):  # a misspelt production
        RasaSettings.from_env({**PRODUCTION, "DEPLOYMENT_ENV": "Production"})


@pytest.mark.parametrize("name, value", [("WECHAT_REPLY_BUDGET", "soon"), ("WECHAT_BURST", "0"),
                                         ("INTEGRATOR_RATE_PER_MINUTE", "-5"),
                                         ("SOCKETIO_MAX_MESSAGE_CHARS", "many"),
                                         ("TRACKER_WINDOW_TURNS", "2"), ("SANIC_WORKERS", "x"),
                                         ("WECHAT_AES_KEY", "too-short"),
                                         ("TRACKER_STORE_URL", "mysql://db/rasa")])
def test_a_bad_value_stops_the_start_naming_its_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        RasaSettings.from_env({name: value})


def test_credentials_yml_values_win_and_unknown_keys_are_refused():
    env = with_credentials({"WECHAT_REPLY_BUDGET": "4.5"}, "WECHAT_", {"reply_budget": 3})
    assert WeChatInput(env).settings.reply_budget == 3
    with pytest.raises(SettingsError, match="reply_budgt"):
        with_credentials({}, "WECHAT_", {"reply_budgt": 3})
    with pytest.raises(SettingsError, match="INTEGRATOR_ALWAYS_ASYNC"):
        IntegratorSettings.from_env({"INTEGRATOR_ALWAYS_ASYNC": "portal"})


def test_endpoints_yml_store_settings_win_and_unknown_keys_are_refused():
    stores = StoreSettings.from_env({"REDIS_URL": "redis://a:6379/0", "TRACKER_WINDOW_TURNS": "5"},
                                    tracker={"window_turns": 0},
                                    lock={"url": "redis://b:6379/1", "key_prefix": "city"})
    assert (stores.window_turns, stores.redis_url, stores.lock_key_prefix) == (
        None, "redis://b:6379/1", "city")
    with pytest.raises(SettingsError, match="key_prefx"):
        StoreSettings.from_env({}, lock={"key_prefx": "x"})
    with pytest.raises(SettingsError, match="SANIC_WORKERS"):
        StoreSettings.from_env({"SANIC_WORKERS": "2"})


# ------------------------------------------------------------------------------ state and dedupe


def test_redis_unreachable_is_state_unavailable_within_wechats_window():
    async def scenario() -> float:
        state = RedisState(f"redis://127.0.0.1:{free_port()}/0")
        started = time.monotonic()
        with pytest.raises(StateUnavailable):
            await state.set_nx("k", "v", 10)
        return time.monotonic() - started
    assert asyncio.run(scenario()) < 3


def test_once_processes_first_and_gives_retries_its_outcome():
    async def scenario() -> None:
        once = Once(MemoryState(), lock_ttl=0.3)
        first = await once.claim_or_outcome("m1", time.monotonic() + 5)
        assert isinstance(first, Claim)
        async with first:
            # a concurrent retry waits for the outcome instead of processing
            retry = asyncio.create_task(once.claim_or_outcome("m1", time.monotonic() + 5))
            await asyncio.sleep(0.5)  # past the lock's first lifetime: its holder extended it
            assert not retry.done()
            await first.store("answer", 60)
        assert await retry == "answer"
        assert await once.claim_or_outcome("m1", time.monotonic()) == "answer"
        # without an outcome by the deadline, a retry gets None (the caller answers for itself)
        holder = await once.claim_or_outcome("m2", time.monotonic() + 5)
        async with holder:
            assert await once.claim_or_outcome("m2", time.monotonic() + 0.2) is None
        # a dead holder's lock expires: a later retry processes the message
        dead = await once.claim_or_outcome("m3", time.monotonic() + 5)
        assert isinstance(dead, Claim)
        await asyncio.sleep(0.4)
        assert isinstance(await once.claim_or_outcome("m3", time.monotonic() + 5), Claim)
    asyncio.run(scenario())


def test_wechat_output_channel_renders_the_turn():
    async def scenario() -> tuple:
        output = WeChatOutput()
        await output.send_text_message("wechat:o1", "您要办哪一项？")
        await output.send_text_with_buttons("wechat:o1", "请选择：", [
            {"title": "护照", "payload": "/inform{\"service\": \"passport\"}"},
            {"title": "居住证", "payload": "/inform{\"service\": \"residence_permit\"}"}])
        return output.reply()
    text, payloads = asyncio.run(scenario())
    assert text == "您要办哪一项？\n\n请选择：\n1. 护照\n2. 居住证"
    assert payloads == ['/inform{"service": "passport"}', '/inform{"service": "residence_permit"}']


# ------------------------------------------------------------------------------ the outage policy


@pytest.fixture(scope="module")
def no_redis(tmp_path_factory):
    """The connectors with REDIS_URL pointing at a port nothing listens on."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
               INTEGRATOR_API_KEYS="portal:core-key", WECHAT_TOKEN=WX_TOKEN,
               SOCKETIO_SESSION_SECRET="core-secret")
    with harness_server(env, tmp_path_factory.mktemp("core") / "harness.log") as (_, _, base):
        yield base


@pytest.mark.parametrize("metadata, expected", [({"language": "en"}, replies.OUTAGE["en"]),
                                                ({}, replies.UNAVAILABLE)])
@pytest.mark.parametrize("with_id", [True, False])
def test_integrator_without_redis_is_a_retryable_503_with_the_hotline(no_redis, metadata, expected,
                                                                      with_id):
    body = {"sender": "s-" + uuid.uuid4().hex[:8], "message": "护照多少钱", "metadata": metadata}
    if with_id:
        body["message_id"] = uuid.uuid4().hex
    started = time.monotonic()
    r = requests.post(no_redis + "/webhooks/rest/webhook", json=body, timeout=30,
                      headers={"Authorization": "Bearer core-key"})
    assert r.status_code == 503, r.text
    assert r.json()["error"] == {"code": "processing_failed", "message": expected}
    assert time.monotonic() - started < 5


def test_wechat_without_redis_answers_the_hotline_as_a_passive_reply(no_redis):
    wechat = WeChat(no_redis + "/webhooks/wechat/webhook")
    started = time.monotonic()
    r = wechat.post(text_xml("o" + uuid.uuid4().hex[:20], "护照多少钱"))
    assert r.status_code == 200, r.text
    assert wechat.read(r)["Content"] == replies.UNAVAILABLE
    assert time.monotonic() - started < 5  # inside WeChat's reply window

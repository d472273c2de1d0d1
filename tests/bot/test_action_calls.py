"""bot.rasa_patches.action_calls: the action server's responses are judged as Rasa's schema judges
them, the request body is the JSON Rasa's encoding makes, and calls share kept connections."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_patches
from bot.rasa_patches import action_calls

rasa_patches.install()


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    from tests.bot.conftest import latest_model

    return Agent.load(str(latest_model()))


def conversations(domain) -> list:
    """The conversation tests and rules as Rasa reads them."""
    from rasa.core.training import load_data

    return [*load_data("tests/conversations", domain, augmentation_factor=0),
            *load_data("data/rules", domain, augmentation_factor=0)]


def events_of_conversations(domain) -> list[dict]:
    """Every event of the conversation tests and rules, and of the kinds actions return, as the
    action server would send them."""
    from rasa.shared.core import events as e

    returned = [e.BotUttered("你好", {"buttons": [{"title": "是", "payload": "/affirm"}]}),
                e.FollowupAction("action_listen"), e.Restarted(), e.AllSlotsReset(),
                e.SessionStarted(), e.ConversationPaused(), e.ConversationResumed(),
                e.UserUtteranceReverted(), e.ActionReverted(), e.LoopInterrupted(True),
                e.ActionExecutionRejected("booking_form"),
                e.ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 3, 9)),
                e.ReminderCancelled(name="reminder"), e.EntitiesAdded([{"entity": "district",
                                                                        "value": "徐汇区"}])]
    return [event.as_dict() for story in conversations(domain) for event in story.events] + \
        [event.as_dict() for event in returned]


def broken(event: dict) -> list[dict]:
    """The event with each key missing, each value of a wrong type, and another event's name."""
    variants = [{k: v for k, v in event.items() if k != key} for key in event]
    variants += [dict(event, **{key: wrong}) for key in event for wrong in (42, "x", None, [1], {})]
    variants += [dict(event, event=name) for name in ("user", "slot", "bot", "action", "nope")]
    return variants


def test_responses_are_judged_as_by_rasa_s_full_schema(agent):
    events = events_of_conversations(agent.domain)
    assert len({e["event"] for e in events}) >= 15
    samples = [{"events": events[i:i + 3], "responses": [{"text": "hi"}]}
               for i in range(0, len(events), 3)]
    for event in {json.dumps(e, sort_keys=True): e for e in events}.values():
        samples += [{"events": [variant]} for variant in broken(event)]
    samples += [None, [], "x", {}, {"events": None}, {"events": [1]}, {"events": [{"event": None}]},
                {"responses": "x"}, {"responses": [{"text": 1}]}, {"events": [], "responses": []}]
    full, seen = action_calls.full_validator(), set()
    for sample in samples:
        verdict = action_calls.response_is_valid(sample)
        assert verdict == full.is_valid(sample), sample
        seen.add(verdict)
    assert seen == {True, False} and len(samples) > 1000


def test_the_schema_is_split_by_event_name():
    """Without the split every event is checked against all branches again (the slow path)."""
    split = action_calls._split_validators()
    assert split is not None
    assert {"user", "slot", "bot", "action", "active_loop"} <= set(split[1])


def test_the_request_body_is_rasa_s_json(agent):
    story = max(conversations(agent.domain), key=lambda story: len(story.events))
    tracker = DialogueStateTracker.from_events("t", list(story.events), agent.domain.slots)
    action = RemoteAction("validate_booking_form", EndpointConfig("http://localhost:1/webhook"))
    body = action._action_call_format(tracker, agent.domain)
    assert body["domain"] is agent.domain.as_dict() and len(body["tracker"]["events"]) > 10
    serializer = action_calls.DomainSplicingSerializer()

    def same_as_rasa(value):
        return json.loads(serializer(value)) == json.loads(json.dumps(value))

    assert same_as_rasa(body)
    assert same_as_rasa(dict(body, sender_id="another"))
    assert same_as_rasa(dict(body, domain={"intents": ["greet"]}))
    assert same_as_rasa({"domain": {"a": 1}})
    assert same_as_rasa({"text": "你好 / hello \ \"quoted\"", "n": 0.1 + 0.2, "tiny": 1e-7})


def test_the_domain_is_encoded_once_per_domain(agent):
    encoded = []

    def dumps(value):
        encoded.append(value)
        return json.dumps(value)

    serializer = action_calls.DomainSplicingSerializer(dumps)
    domain = agent.domain.as_dict()
    for sender in ("a", "b", "c"):
        serializer({"next_action": "x", "sender_id": sender, "domain": domain})
    assert sum(value is domain for value in encoded) == 1


def test_sessions_are_rasa_s_with_the_body_serializer():
    endpoint = EndpointConfig("http://localhost:1/webhook", headers={"X-Token": "t"},
                              basic_auth={"username": "u", "password": "p"})
    assert EndpointConfig.session is action_calls.session

    async def settings():
        async with endpoint.session() as ours, action_calls.rasa_session(endpoint) as rasas:
            assert ours._json_serialize is action_calls.serialize_body
            return [(s.headers, s.auth, s.timeout) for s in (ours, rasas)]

    ours, rasas = asyncio.run(settings())
    assert ours == rasas


def test_calls_share_one_kept_connection_per_event_loop():
    from aiohttp import web

    peers = []

    async def handler(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    async def calls():
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            for _ in range(3):
                assert await endpoint.request(json={"next_action": "x"}) == {"events": [],
                                                                            "responses": []}
            pool = action_calls.connection_pool()
            assert not pool.closed
            await action_calls.close_connection_pool()
            assert pool.closed
            await endpoint.request(json={"next_action": "x"})  # a new pool after closing
            await action_calls.close_connection_pool()
        finally:
            await runner.cleanup()

    asyncio.run(calls())
    assert len(peers) == 4 and len(set(peers[:3])) == 1 and peers[3] != peers[0]


def test_the_pool_drops_idle_connections_before_the_action_server_does():
    from actions.server import create_app

    app = create_app("a-token-long-enough-for-the-check")
    assert action_calls.KEEPALIVE_SECONDS < app.config.KEEP_ALIVE_TIMEOUT


def test_the_server_s_shutdown_closes_the_pool():
    import rasa.core.run
    from sanic import Sanic

    assert rasa.core.run.close_resources is action_calls.close_resources

    async def shutdown():
        pool = action_calls.connection_pool()
        app = Sanic.get_app("rasa", force_create=True)
        await rasa.core.run.close_resources(app, asyncio.get_running_loop())
        return pool.closed

    assert asyncio.run(shutdown())

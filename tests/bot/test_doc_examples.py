"""The examples of README.md, docs/integrators.md and docs/wechat.md, run as written (curl, bash,
openssl) against the real assistant: data service, action server and Rasa with the trained model,
the integrator webhook and the WeChat channel configured, Redis behind them. Each documented answer
is compared with the real one (tests/doc_examples.py says how)."""
from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest
import yaml

from bot.channels.integrator_rest import IntegratorRestInput
from bot.settings import IntegratorSettings
from tests import doc_examples
from tests.bot.conftest import ROOT
from tests.bot.integrator_support import (KEYS, REDIS_URL, SECRETS, CallbackServer,  # noqa: F401
                                          redis_client, start_backend, stop)
from tests.bot.wechat_support import WX_TOKEN

DOCS = ["README.md", "docs/integrators.md", "docs/wechat.md"]
# The documents' ids of citizens and messages, made unique per run: conversations persist.
IDS = ["user-41", "user-42", "user-43", "user-44", "caller-7", "portal-0001", "portal-0002", "call-7-1",
       "oUser0001"]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, redis_client):
    run = uuid.uuid4().hex[:10]
    callbacks = CallbackServer(fail_first=0)
    backend, procs = start_backend(
        tmp_path_factory.mktemp("doc-examples"), REDIS_URL, f"test:docs:{run}:", callbacks.url,
        {"WECHAT_TOKEN": WX_TOKEN, "WECHAT_AES_KEY": "", "WECHAT_REDIS_PREFIX": f"test:docs-wx:{run}"})
    try:
        yield backend, run, callbacks
    finally:
        stop(procs)
        callbacks.close()
        for key in redis_client.scan_iter(f"test:docs*:{run}*"):
            redis_client.delete(key)


@pytest.mark.parametrize("doc", DOCS)
def test_every_example_answers_as_documented(assistant, doc, tmp_path):
    backend, run, callbacks = assistant
    count, problems = doc_examples.run_document(
        ROOT / doc, dict(os.environ, KEY=KEYS["portal"], WECHAT_TOKEN=WX_TOKEN),
        doc_examples.curlrc(tmp_path),
        substitutions={"http://127.0.0.1:5005": backend["rasa"]},
        renamed={name: f"{name}-{run}" for name in IDS},
        roles={"signed": {"KEY": KEYS["signed"], "SECRET": SECRETS["signed"]}})
    assert count >= 1, f"no example in {doc}"
    assert not problems, "\n".join(problems)
    if doc == "docs/integrators.md":
        check_documented_callback(callbacks, run)


def check_documented_callback(callbacks: CallbackServer, run: str) -> None:
    """The integrator guide's async example delivers the callback the guide shows."""
    guide = (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")
    block = re.search(r"POSTs the assistant's messages to the callback URL[^`]*```json\n(.*?)```",
                      guide, re.S).group(1)
    documented = doc_examples.lenient_json(block)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not callbacks.received:
        time.sleep(0.2)
    assert callbacks.received, "no callback arrived"
    text = callbacks.received[0]["raw"].decode("utf-8")
    for name in IDS:
        text = text.replace(f"{name}-{run}", name)
    comparison = doc_examples.Comparison(frozenset({"request_id"}))
    comparison.compare(documented, json.loads(text))
    assert not comparison.problems, comparison.problems


def test_the_documented_default_rate_limit_policy_is_the_servers():
    guide = (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")
    documented = re.search(r'^RateLimit-Policy: ("integrator";q=\d.*)$', guide, re.M).group(1)
    assert IntegratorRestInput(IntegratorSettings()).rate_limit_policy("portal") == documented


def test_every_status_the_webhook_returns_is_in_its_openapi_document():
    """Each `error(<status>, …)` of the channel's code, and 200/202, is documented on the paths
    that can return it (the schemathesis run and validate() check the answers themselves)."""
    source = (ROOT / "bot" / "channels" / "integrator_rest.py").read_text(encoding="utf-8")
    returned = {int(code) for code in re.findall(r"\berror\((\d{3}),", source)} | {200, 202}
    paths = yaml.safe_load((ROOT / "docs" / "integrator-webhook.openapi.yaml").read_text(
        encoding="utf-8"))["paths"]
    documented = {int(status) for path in paths.values() for operation in path.values()
                  for status in operation["responses"]}
    post = {int(status) for status in paths["/webhooks/rest/webhook"]["post"]["responses"]}
    assert returned <= documented
    assert returned - {404, 405} <= post  # 404/405 are the other paths' and methods' answers

"""The model server (`models:` in bot/endpoints.yml), optional.

`MODEL_SERVER_URL` names the operator console's model server (console/web/model_server.py); every
Rasa worker and replica pulls the production model from it every `MODEL_PULL_SECONDS` and swaps a
promoted one in without a restart. Rasa 3.6 requires every `${VAR}` of endpoints.yml to be set, and
with a models URL it ignores `--model` and starts with no model at all when the server has none or
is down. `install()` (bot.rasa_patches.install, before Rasa loads its agent) makes both cases safe:

- `MODEL_SERVER_URL` empty: no model server, the `--model` path is loaded as before;
- server unreachable or empty at start: the `--model` path is loaded, with its sha256 as the
  fingerprint (the console's ETag for the same file), and pulling continues.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

from rasa.core import agent as rasa_agent
from rasa.model import get_local_model

logger = logging.getLogger(__name__)
_original_load_from_server = rasa_agent.load_from_server


def _model_argument() -> str:
    """The model path given to `rasa run` (`--model`, default `models`)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-m", "--model", default="models")
    return parser.parse_known_args(sys.argv[1:])[0].model


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_local(agent: rasa_agent.Agent) -> None:
    try:
        path = get_local_model(_model_argument())
    except Exception as exc:  # no local model either: Rasa's own "no model" state
        logger.warning("No local model to start with: %s", exc)
        return
    agent.load_model(path, fingerprint=_sha256(path))
    logger.info("Loaded the local model %s", path)


async def load_from_server(agent: rasa_agent.Agent, model_server) -> rasa_agent.Agent:
    if not (model_server.url or "").strip():
        agent.model_server = None
        _load_local(agent)
        return agent
    await _original_load_from_server(agent, model_server)
    if not agent.is_ready():
        logger.warning("The model server %s has no model for us yet: starting with the local "
                       "model and pulling again later", model_server.url)
        _load_local(agent)
    return agent


def install() -> None:
    rasa_agent.load_from_server = load_from_server

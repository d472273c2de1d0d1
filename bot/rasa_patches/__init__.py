"""Every change this project makes to Rasa's internals, installed in one place: `install()`.

The Rasa server is started through `python -m bot` (bot/__main__.py), which calls `install()` and
then runs Rasa's own command line, so `python -m bot run ...` is `rasa run ...` with these patches.
Each was written against Rasa 3.6 and replaces a private function: `install()` refuses any other
Rasa version with a clear error rather than patch code it was not written for.

- action_calls: action responses checked event by event against their own type, the domain's
  JSON kept for the form validators' calls;
- speedups: event types from a dictionary;
- graph_runner: the model graph run in plain Python instead of through dask;
- rule_policy: RulePolicy's rules parsed once, not on every check;
- tracker_copy: the tracker copied before each action from its state, not by replaying its events;
- past_states: a tracker's past states replayed once for repeated calls with the same arguments;
- frozen_model: the objects alive after each model load kept out of the cyclic garbage collector
  (all measured, docs/performance.md);
- model_server: a missing or empty model server falls back to the `--model` path;
- store_failures: a tracker store that declares `fails_loudly` is used without Rasa's fail-safe
  wrapper, so a database outage answers 503 instead of silently forgetting the conversation.

The tracker store (bot.stores) refuses to start when they are not installed: a server started with
plain `rasa run` would otherwise run, subtly differently.
"""
from __future__ import annotations

SUPPORTED_SERIES = (3, 6)

_installed = False


class UnsupportedRasaVersion(RuntimeError):
    pass


class PatchesNotInstalled(RuntimeError):
    pass


def check_rasa_version(version: str | None = None) -> None:
    """Raise UnsupportedRasaVersion unless `version` (default: the installed Rasa's) is 3.6.x."""
    if version is None:
        import rasa

        version = rasa.__version__
    series = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if series != SUPPORTED_SERIES:
        wanted = ".".join(map(str, SUPPORTED_SERIES))
        raise UnsupportedRasaVersion(
            f"bot.rasa_patches was written for Rasa {wanted}.x and Rasa {version} is installed: "
            f"check each patch against the new version before changing SUPPORTED_SERIES")


def install() -> None:
    """Apply every patch (once; later calls do nothing)."""
    global _installed
    if _installed:
        return
    check_rasa_version()
    from bot.rasa_patches import (action_calls, frozen_model, graph_runner, model_server,
                                  past_states, rule_policy, speedups, store_failures, tracker_copy)

    for patch in (action_calls, speedups, graph_runner, rule_policy, tracker_copy, past_states,
                  frozen_model, model_server, store_failures):
        patch.install()
    _installed = True


def installed() -> bool:
    return _installed


def require_installed() -> None:
    if not _installed:
        raise PatchesNotInstalled("Rasa was started without this project's patches: start it with "
                                  "`python -m bot run ...` instead of `rasa run ...` (bot/__main__.py)")

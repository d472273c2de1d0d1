"""The whole backend (data service, action server, Rasa with the trained model) on free loopback
ports, for tests that run in another environment: the browser tests run in the console's, which
has Selenium but not Rasa. Prints one JSON line with the addresses once everything is ready, and
stops it all when its standard input closes or it is terminated.

    .venv/rasa/bin/python -m tests.bot.live_backend WORKDIR
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from tests.actions.conftest import API_KEY
from tests.bot.conftest import TOKEN, running_backend


def main(workdir: Path) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwinds through running_backend's stop
    with running_backend(workdir) as started:
        print(json.dumps({"rasa": started["rasa"], "dataservice": started["dataservice"],
                          "dataservice_key": API_KEY, "rasa_token": TOKEN,
                          "logs": {k: str(v) for k, v in started["logs"].items()}}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

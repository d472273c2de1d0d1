"""`python -m bot <rasa command> ...`: Rasa's command line with this project's Rasa patches
installed first (bot.rasa_patches). The one way the Rasa server is started: `make run`
(scripts/run_backend.sh), the Docker image (docker/rasa-entrypoint.sh), the tests and benchmarks.
"""
from __future__ import annotations

import sys

from bot import rasa_patches
from bot.settings import RasaSettings, SettingsError


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        try:  # every setting of the server, checked before Rasa starts (bot/settings.py)
            RasaSettings.from_env()
        except SettingsError as exc:
            sys.exit(f"bot settings: {exc}")
    rasa_patches.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

# The two commands of the README:  `make run`  and  `make test`.  Everything else is a building block.
SHELL := /bin/bash
.DEFAULT_GOAL := help
DS_PY  := .venv/dataservice/bin/python
RASA_PY := .venv/rasa/bin/python
CONSOLE_PY := .venv/console/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup setup-dataservice setup-rasa setup-console setup-haproxy setup-browser run migrate migrate-console seed train test test-dataservice test-console test-assistant test-webchat webchat-screenshots handoff-screenshots test-bench-smoke test-topology evaluate bench bench-smoke bench-topology bench-webchat regen-migration

help:
	@echo "make run    - set up, migrate and seed, then run the backend on its embedded defaults"
	@echo "make test   - set up and run every test (needs PostgreSQL, Redis and RabbitMQ, see .ci/run)"
	@echo "make bench  - benchmark the data service and the assistant against stock Rasa (~30 min;"
	@echo "              writes docs/performance.md and docs/perf/*.png; needs wrk)"

setup: setup-dataservice setup-rasa setup-console

setup-dataservice:
	@bash scripts/setup_venv.sh dataservice 3.11 dataservice/requirements-dev.txt

setup-rasa:
	@bash scripts/setup_venv.sh rasa 3.10 bot/requirements.txt

setup-console:
	@bash scripts/setup_venv.sh console 3.11 console/requirements.txt

migrate-console: setup-console
	@echo "==> migrating the console database"
	@$(CONSOLE_PY) -m console migrate

migrate: setup-dataservice
	@echo "==> migrating the data service database"
	@$(DS_PY) -m dataservice migrate

seed: migrate
	@echo "==> loading sample data"
	@$(DS_PY) -m dataservice seed

run: setup seed migrate-console train
	@bash scripts/run_backend.sh

train: setup-rasa
	@bash scripts/train.sh

test: test-dataservice test-console test-assistant test-webchat test-bench-smoke test-topology

# tests/deploy reads the console environment's package metadata (the console image's packages).
test-dataservice: setup-dataservice setup-console setup-haproxy
	@echo "==> data service tests (SQLite + PostgreSQL + Redis)"
	@$(DS_PY) -m pytest -q tests/dataservice tests/deploy --ignore=tests/deploy/live

# The console's tests publish through Rasa's brokers and run Rasa servers on the trained model
# (zero-downtime promotion), so the Rasa environment and a model are needed too.
test-console: setup-console setup-rasa setup-browser train
	@echo "==> console tests (SQLite + PostgreSQL + RabbitMQ + Redis)"
	@$(CONSOLE_PY) -m pytest -q tests/console

test-assistant: setup train
	@bash scripts/test_assistant.sh

# The web chat page in headless Chromium: Selenium (console environment) drives it while the
# backend runs in Rasa's environment (~3 min).
test-webchat: setup train setup-browser
	@echo "==> web chat page in a real browser"
	@$(CONSOLE_PY) -m pytest -q -p no:cacheprovider tests/webchat

# The screenshots of docs/operators.md's agent desk: a citizen and an agent in two browsers.
handoff-screenshots: setup train setup-browser
	@HANDOFF_SCREENSHOT_DIR=docs/handoff $(CONSOLE_PY) -m pytest -q -p no:cacheprovider tests/webchat/test_handoff_browsers.py

# The screenshots of docs/webchat.md, taken by the citizen's browser test.
webchat-screenshots: setup train setup-browser
	@WEBCHAT_SCREENSHOT_DIR=docs/webchat $(CONSOLE_PY) -m pytest -q -p no:cacheprovider tests/webchat/test_citizen_chat.py

evaluate: setup train
	@bash scripts/evaluate_nlu.sh

bench: setup seed train
	@$(DS_PY) bench/dataservice_bench.py
	@$(RASA_PY) bench/assistant_bench.py --write-doc

# HAProxy (Debian package) for the load balancer's checks and the multi-replica test.
setup-haproxy:
	@bash scripts/install_haproxy.sh

# Debian's Chromium and ChromeDriver for the browser tests.
setup-browser:
	@bash scripts/install_browser.sh

# The operators' guide's screenshots (docs/img/operators/), taken by the console's browser walk.
.PHONY: console-screenshots
console-screenshots: setup-console setup-browser
	@CONSOLE_SCREENSHOTS=docs/img/operators $(CONSOLE_PY) -m pytest -q tests/console/test_browser_walk.py

# The whole operator's walk for real (5-20 min, not part of `make test`): annotate, a real training
# in the worker, the gate, promotion, and the running Rasa's new answer; refreshes the guide's
# training screenshots. Without CONSOLE_WALK_FULL=1 the test is not collected.
.PHONY: console-walk-full
console-walk-full: setup-console setup-rasa setup-browser train
	@CONSOLE_WALK_FULL=1 CONSOLE_SCREENSHOTS=docs/img/operators $(CONSOLE_PY) -m pytest -q -s \
		-p no:cacheprovider tests/console/test_browser_walk_full.py

# Three Rasa replicas and two action servers behind HAProxy, one replica killed mid-run (~5 min).
test-topology: setup train setup-haproxy
	@echo "==> production topology: readiness, and a replica's death under load"
	@PYTHONPATH=. $(RASA_PY) -m pytest -c pytest-rasa.ini -q -rxX tests/deploy/live

# 50 concurrent web chat sessions on the production configuration (~10 min): docs/webchat-load.md.
bench-webchat: setup train
	@PYTHONPATH=. $(RASA_PY) bench/webchat_load.py --write-doc

# The full failover run, a Redis outage and the capacity figures of docs/deployment.md (~15 min).
bench-topology: setup train setup-haproxy
	@PYTHONPATH=. $(RASA_PY) bench/topology_bench.py --write-doc

# The assistant benchmark's smoke run: tiny load on the production configuration, not a timed test.
test-bench-smoke: setup train
	@echo "==> assistant benchmark smoke run"
	@$(RASA_PY) bench/assistant_bench.py --smoke

bench-smoke: test-bench-smoke setup-dataservice
	@$(DS_PY) bench/dataservice_bench.py --smoke

regen-migration:
	@bash scripts/regen_migration.sh "$(MSG)"

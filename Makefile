# The two commands of the README:  `make run`  and  `make test`.  Everything else is a building block.
SHELL := /bin/bash
.DEFAULT_GOAL := help
DS_PY  := .venv/dataservice/bin/python
RASA_PY := .venv/rasa/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup setup-dataservice setup-rasa run dataservice migrate seed test test-dataservice bench bench-smoke regen-migration docker-check

help:
	@echo "make run    - set up, migrate and seed, then run the backend on its embedded defaults"
	@echo "make test   - set up and run every test (needs PostgreSQL and Redis, see .ci/run)"
	@echo "make bench  - benchmark the data service (writes docs/performance.md)"

setup: setup-dataservice setup-rasa

setup-dataservice:
	@bash scripts/setup_venv.sh dataservice 3.11 dataservice/requirements-dev.txt

setup-rasa:
	@bash scripts/setup_venv.sh rasa 3.10 bot/requirements.txt

migrate: setup-dataservice
	@echo "==> migrating the data service database"
	@$(DS_PY) -m dataservice migrate

seed: migrate
	@echo "==> loading sample data"
	@$(DS_PY) -m dataservice seed

run: setup seed
	@echo "==> data service on http://$${DATASERVICE_HOST:-127.0.0.1}:$${DATASERVICE_PORT:-8000}  (OpenAPI: /docs, /openapi.json)"
	@echo "    try: curl -H 'X-API-Key: $${DATASERVICE_API_KEYS:-dev-dataservice-key}' 'http://127.0.0.1:8000/v1/services/resolve?q=护照'"
	@$(DS_PY) -m dataservice serve

test: setup
	@echo "==> data service tests (SQLite + PostgreSQL + Redis)"
	@$(DS_PY) -m pytest -q tests/dataservice tests/deploy

bench: setup seed
	@$(DS_PY) bench/dataservice_bench.py

bench-smoke: setup-dataservice
	@$(DS_PY) bench/dataservice_bench.py --smoke

regen-migration:
	@bash scripts/regen_migration.sh

#!/usr/bin/env bash
# Regenerate the initial Alembic migration from the models (allowed while the project is unreleased).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f dataservice/migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/gen.sqlite3" .venv/dataservice/bin/alembic -c dataservice/alembic.ini \
  revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
rm -rf "$tmp"
echo "regenerated dataservice/migrations/versions/0001_initial_schema.py"

#!/usr/bin/env bash
# A new Alembic migration from what the models add to the migrated schema:
#   make regen-migration MSG="what changed"
# (tests/dataservice/test_migrations.py fails while a model change has no migration.)
set -euo pipefail
cd "$(dirname "$0")/.."
msg=${1:-${MSG:-schema change}}
versions=dataservice/migrations/versions
last=$(ls "$versions" | grep -E '^[0-9]{4}_' | sort | tail -1 | cut -c1-4)
next=$(printf "%04d" $((10#$last + 1)))
tmp=$(mktemp -d)
export DATABASE_URL="sqlite:///$tmp/gen.sqlite3"
.venv/dataservice/bin/alembic -c dataservice/alembic.ini upgrade head >/dev/null
.venv/dataservice/bin/alembic -c dataservice/alembic.ini revision --autogenerate -m "$msg" \
  --rev-id "$next" >/dev/null
rm -rf "$tmp"
echo "new migration $next in $versions: review it before committing"

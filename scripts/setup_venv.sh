#!/usr/bin/env bash
# Create or update one virtual environment from an exactly pinned requirements file.
# Idempotent: reinstalls only when the requirements file changed (hash stamp), so a second run is instant.
set -euo pipefail
name="$1" pyver="$2" reqs="$3"
cd "$(dirname "$0")/.."
venv=".venv/$name"
stamp="$venv/.requirements.sha256"
# The stamp covers the files a requirements file includes with -r, so a new runtime pin reinstalls.
want=$( { cat "$reqs"; sed -n 's/^-r //p' "$reqs" | while read -r inc; do cat "$(dirname "$reqs")/$inc"; done; } \
       | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  echo "==> $name environment up to date ($venv)"
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  py=$(bash scripts/find_python.sh "$pyver")
  echo "==> creating $name environment with $py"
  "$py" -m venv "$venv"
fi
echo "==> installing $name requirements from $reqs (first run downloads packages; progress below)"
"$venv/bin/python" -m pip install --disable-pip-version-check --upgrade "pip==24.3.1" >/dev/null
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r "$reqs"
echo "$want" > "$stamp"
echo "==> $name environment ready"

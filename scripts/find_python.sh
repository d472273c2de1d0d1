#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.10), or fail clearly.
set -euo pipefail
want="$1"
for cand in "python$want" "$(command -v pyenv >/dev/null && pyenv root)/versions/$want"*/bin/python; do
  [ -n "$cand" ] || continue
  path=$(command -v "$cand" 2>/dev/null || true)
  [ -n "$path" ] && [ -x "$path" ] || continue
  if "$path" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
if [ "$want" = "3.11" ] && python3 -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)"; then
  command -v python3; exit 0
fi
echo "error: Python $want not found (install it, e.g. 'pyenv install $want')" >&2
exit 1

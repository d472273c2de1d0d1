#!/usr/bin/env bash
# Installs HAProxy from Debian's packages for the multi-replica test (tests/deploy, bench/). The
# test runs its own haproxy on a free port; the package's service is kept from starting.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi
echo "==> installing haproxy (Debian package) for the multi-replica test"
export DEBIAN_FRONTEND=noninteractive
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then  # no service start during the install
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -q --no-install-recommends haproxy >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends haproxy >/dev/null; }
command -v haproxy >/dev/null || { echo "FAIL: haproxy could not be installed" >&2; exit 1; }
haproxy -v | sed -n 1p  # sed reads to the end: head would leave haproxy a broken pipe (pipefail)

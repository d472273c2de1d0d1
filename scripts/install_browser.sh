#!/usr/bin/env bash
# Installs Debian's Chromium and its matching ChromeDriver for the browser tests (console, web chat).
# Selenium drives this system browser; nothing is downloaded by the test itself.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
echo "==> installing chromium and chromium-driver (Debian packages) for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
command -v chromedriver >/dev/null || { echo "FAIL: chromium-driver could not be installed" >&2; exit 1; }
chromedriver --version | head -1

#!/usr/bin/env bash
# Installs Debian's Chromium and its matching ChromeDriver for the browser tests (console, web chat),
# and a Chinese font so that pages and screenshots show Chinese text rather than empty boxes.
# Selenium drives this system browser; nothing is downloaded by the test itself.
set -euo pipefail
has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && has_cjk_font; then
  exit 0
fi
echo "==> installing chromium, chromium-driver and fonts-wqy-microhei (Debian packages) for the browser tests"
export DEBIAN_FRONTEND=noninteractive
packages=(chromium chromium-driver fonts-wqy-microhei)
apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null; }
command -v chromedriver >/dev/null || { echo "FAIL: chromium-driver could not be installed" >&2; exit 1; }
chromedriver --version | head -1

#!/usr/bin/env bash
# The browser tests drive Debian's chromium (no browser download is possible on these machines).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "chromium is not installed and cannot be installed here (need root + apt-get);" \
       "the browser tests will be skipped. Install it with: sudo apt-get install chromium" >&2
fi

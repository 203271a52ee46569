#!/usr/bin/env bash
# Servers the tests start themselves on 127.0.0.1: Debian's dovecot (IMAP, for the e-mail channel).
# The tests run dovecot as their own non-daemon instance on a random port with a temporary mail
# store; the package's system service is not needed (and not started here).
set -euo pipefail
if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's dovecot-imapd for the e-mail tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d-less machines start the system service on install; the tests do not use it.
  apt-get install -y -qq dovecot-imapd >/dev/null
else
  echo "dovecot is not installed and cannot be installed here (need root + apt-get);" \
       "the real-IMAP tests will be skipped. Install it with: sudo apt-get install dovecot-imapd" >&2
fi

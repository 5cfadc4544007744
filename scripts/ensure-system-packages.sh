#!/usr/bin/env bash
# The Debian packages the test suite drives from outside Node: chromium (the browser test of the
# admin UI; playwright-core never downloads a browser) and dovecot-imapd (the IMAP server the
# email plugin's tests start on a free port, test/mail/dovecot.ts). Run by `npm test` (pretest)
# and .ci/run. As root with apt-get, it installs what is missing; otherwise it prints the one
# command that does and leaves the decision to you: locally the tests needing a package skip;
# under CI=true this script fails (and so would those tests).
set -euo pipefail

# package name → the file that says it is installed
declare -A WANTED=(
  [chromium]=/usr/bin/chromium
  [dovecot-imapd]=/usr/sbin/dovecot
)

missing=()
for pkg in "${!WANTED[@]}"; do
  [ -x "${WANTED[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list is the usual reason an install fails on a fresh container.
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "ensure-system-packages: missing ${missing[*]}; install with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
exit 0

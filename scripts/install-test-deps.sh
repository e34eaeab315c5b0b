#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, from Debian's packages, the npm registry and
# PyPI: headless Chromium with CJK fonts for the browser journeys, wrk for load benchmarks, the
# journeys' one npm package, and schemathesis (pinned, in a virtual environment under target/) for
# fuzzing the API. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "Installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# The version pinned in scripts/schemathesis-requirements.txt, with every package it pulls in.
venv=target/schemathesis
version=$(sed -n 's/^schemathesis==//p' scripts/schemathesis-requirements.txt)
if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $version"; then
  echo "Installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/schemathesis-requirements.txt
fi

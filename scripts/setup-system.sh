#!/usr/bin/env bash
# Installs the system packages that skygate's tests use and that PyPI cannot provide:
# a PostgreSQL server (the store tests run against a real one) and Debian's chromium
# (the web page is tested in a real headless browser), and Node.js with npm (the web map's
# JavaScript is built from the npm registry). Idempotent and quiet when all is there.
set -euo pipefail
need=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Node.js builds the web map's assets from the npm registry (make web).
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-system: missing ${need[*]} and not root; the PostgreSQL/browser tests will be skipped" >&2
    exit 0
  fi
fi
echo "setup-system: installing ${need[*]} from Debian's packages" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

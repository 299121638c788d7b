#!/usr/bin/env bash
# Make sure everything the tests need is installed. Idempotent and fast when all is present.
#   - Debian packages: influxdb (influxd), mosquitto, mosquitto-clients, docker-compose, mbpoll,
#     python3-pymodbus (for /usr/bin/python3), chromium (/usr/bin/chromium, driven by playwright-core in
#     the dashboard tests; no browser download) and fonts-wqy-zenhei (so zh-CN pages render)
#   - npm dependencies (runs `npm ci` when node_modules is missing)
# It never starts a daemon itself: tests start influxd/mosquitto on temp dirs and free ports.
# (Debian's postinst may start the packaged influxdb/mosquitto services; tests do not use them.)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

missing=()
have_file() { [ -x "$1" ]; }

have_file /usr/bin/influxd || missing+=(influxdb)
have_file /usr/sbin/mosquitto || missing+=(mosquitto)
have_file /usr/bin/mosquitto_pub || missing+=(mosquitto-clients)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
have_file /usr/bin/mbpoll || missing+=(mbpoll)
if ! /usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1; then missing+=(python3-pymodbus); fi
have_file /usr/bin/chromium || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)

if [ "${#missing[@]}" -gt 0 ]; then
  install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  echo "ensure-deps: missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "ensure-deps: cannot install them: not root and no passwordless sudo." >&2
    echo "ensure-deps: run as root:  $install_cmd" >&2
    exit 1
  fi
  echo "ensure-deps: installing ${missing[*]} (apt-get update, then apt-get install)"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  # Check again, so a package that installed but lacks what we need fails here, not in a test.
  still=()
  have_file /usr/bin/influxd || still+=("influxdb (/usr/bin/influxd)")
  have_file /usr/sbin/mosquitto || still+=("mosquitto (/usr/sbin/mosquitto)")
  have_file /usr/bin/mosquitto_pub || still+=("mosquitto-clients (/usr/bin/mosquitto_pub)")
  command -v docker-compose >/dev/null 2>&1 || still+=("docker-compose")
  have_file /usr/bin/mbpoll || still+=("mbpoll (/usr/bin/mbpoll)")
  /usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1 || still+=("python3-pymodbus (import pymodbus)")
  have_file /usr/bin/chromium || still+=("chromium (/usr/bin/chromium)")
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || still+=("fonts-wqy-zenhei (/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc)")
  if [ "${#still[@]}" -gt 0 ]; then
    echo "ensure-deps: still missing after install: ${still[*]}" >&2
    exit 1
  fi
  echo "ensure-deps: Debian packages installed"
fi

if [ ! -d node_modules ]; then
  echo "ensure-deps: node_modules missing: running npm ci"
  npm ci
fi

echo "ensure-deps: test dependencies present"

#!/usr/bin/env bash
# Make sure everything the tests need is installed. Idempotent and fast when all is present.
# Every check below tests what the tests actually use (the binary they exec, the Python module they
# import), not that a package is registered: a package can be present while a dependency it only
# *recommends* is not (python3-pymodbus's server needs python3-serial, a recommendation).
#
# What the tests use from outside npm (Debian package -> what is checked):
#   influxdb              /usr/bin/influxd
#   mosquitto             /usr/sbin/mosquitto
#   mosquitto-clients     /usr/bin/mosquitto_pub, /usr/bin/mosquitto_sub
#   docker-compose        docker-compose (config validation only; no engine needed)
#   mbpoll                /usr/bin/mbpoll
#   python3               /usr/bin/python3 -c 'import select; import termios; import tty' (line.py's standard library)
#   python3-pymodbus      /usr/bin/python3 -c 'import pymodbus.server; import pymodbus.datastore; import pymodbus.transaction'
#                         and, last, the Modbus fixtures themselves ('import server; import rtu_server; import line'
#                         in gateway/connectors/modbus/fixtures): every module they import, checked by importing them
#   python3-serial        /usr/bin/python3 -c 'import serial'  (pymodbus's serial server; line.py needs only the standard library)
#   python3-serial-asyncio /usr/bin/python3 -c 'import serial_asyncio'  (pymodbus's serial server opens the port with it)
#   chromium              /usr/bin/chromium (driven by playwright-core; no browser download)
#   fonts-wqy-zenhei      the zh-CN font file
#   nats-server           /usr/sbin/nats-server (3-node JetStream clusters in the head-office tests)
#   postgresql-15         /usr/lib/postgresql/15/bin/{initdb,pg_ctl,postgres}
#   socat                 /usr/bin/socat (virtual serial lines)
#   util-linux            runuser (PostgreSQL refuses to run as root; tests run it as nobody)
# It never starts a daemon itself: tests start every server on temp dirs and free ports.
# (Debian's postinst may start the packaged services; tests do not use them.)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PY=/usr/bin/python3
PG=/usr/lib/postgresql/15/bin

# check <package> <description> <command...>: records the package when the command fails
checks=(
  "influxdb|/usr/bin/influxd|test -x /usr/bin/influxd"
  "mosquitto|/usr/sbin/mosquitto|test -x /usr/sbin/mosquitto"
  "mosquitto-clients|/usr/bin/mosquitto_pub|test -x /usr/bin/mosquitto_pub"
  "docker-compose|docker-compose|command -v docker-compose"
  "mbpoll|/usr/bin/mbpoll|test -x /usr/bin/mbpoll"
  "python3|import select; import termios; import tty|$PY -c 'import select; import termios; import tty'"
  "python3-pymodbus|import pymodbus.server; import pymodbus.datastore; import pymodbus.transaction|$PY -c 'import pymodbus.server; import pymodbus.datastore; import pymodbus.transaction'"
  "python3-serial|import serial|$PY -c 'import serial'"
  "python3-serial-asyncio|import serial_asyncio|$PY -c 'import serial_asyncio'"
  "chromium|/usr/bin/chromium|test -x /usr/bin/chromium"
  "fonts-wqy-zenhei|wqy-zenhei.ttc|test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
  "nats-server|/usr/sbin/nats-server|test -x /usr/sbin/nats-server"
  "postgresql-15|$PG/initdb|test -x $PG/initdb -a -x $PG/pg_ctl -a -x $PG/postgres"
  "socat|/usr/bin/socat|test -x /usr/bin/socat"
  "util-linux|runuser|command -v runuser"
  # The fixtures as the tests run them: any import the lines above miss fails here, not in a test.
  "python3-pymodbus|Modbus fixtures|cd gateway/connectors/modbus/fixtures && $PY -c 'import server; import rtu_server; import line'"
)

failing() {
  local out=() entry pkg what cmd
  for entry in "${checks[@]}"; do
    IFS='|' read -r pkg what cmd <<<"$entry"
    if ! bash -c "$cmd" >/dev/null 2>&1; then out+=("$pkg"); fi
  done
  echo "${out[@]:-}"
}

read -r -a missing <<<"$(failing)"
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
  read -r -a still <<<"$(failing)"
  if [ "${#still[@]}" -gt 0 ]; then
    for entry in "${checks[@]}"; do
      IFS='|' read -r pkg what cmd <<<"$entry"
      bash -c "$cmd" >/dev/null 2>&1 || echo "ensure-deps: still missing after install: $pkg ($what)" >&2
    done
    exit 1
  fi
  echo "ensure-deps: Debian packages installed"
fi

if [ ! -d node_modules ]; then
  echo "ensure-deps: node_modules missing: running npm ci"
  npm ci
fi

echo "ensure-deps: test dependencies present"

#!/usr/bin/env bash
# What `npm run portfolio` needs from Debian, installed when missing (same way as
# test/setup/ensure-deps.sh, limited to the company demo's two engines):
#   nats-server     /usr/sbin/nats-server                 (3-node JetStream cluster)
#   postgresql-15   /usr/lib/postgresql/15/bin/{initdb,postgres,pg_isready}
# It never starts a daemon itself: demo/portfolio.ts runs both on its own data folder and ports.
set -euo pipefail

PG=/usr/lib/postgresql/15/bin
checks=(
  "nats-server|test -x ${NATS_SERVER_BIN:-/usr/sbin/nats-server}"
  "postgresql-15|test -x $PG/initdb -a -x $PG/postgres -a -x $PG/pg_isready"
)

failing() {
  local out=() entry pkg cmd
  for entry in "${checks[@]}"; do
    IFS='|' read -r pkg cmd <<<"$entry"
    if ! bash -c "$cmd" >/dev/null 2>&1; then out+=("$pkg"); fi
  done
  echo "${out[@]:-}"
}

read -r -a missing <<<"$(failing)"
[ "${#missing[@]}" -eq 0 ] && exit 0

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
echo "portfolio: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "portfolio: cannot install them: not root and no passwordless sudo." >&2
  echo "portfolio: run as root:  $install_cmd" >&2
  exit 1
fi
echo "portfolio: installing ${missing[*]} (apt-get update, then apt-get install)"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
read -r -a still <<<"$(failing)"
if [ "${#still[@]}" -gt 0 ]; then
  echo "portfolio: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "portfolio: Debian packages installed"

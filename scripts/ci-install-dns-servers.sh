#!/usr/bin/env bash
# Install the authoritative DNS servers that the RFC 2136 provider tests run
# against (BIND 9, Knot DNS, PowerDNS with the SQLite backend) on Debian 12.
#
# The tests start their own server processes on 127.0.0.1 with throw-away
# configuration, so the distribution's services must not run: they would
# hold port 53 and a system-wide configuration we do not want to depend on.
# Services are kept from starting during the install and disabled afterwards.
#
# Idempotent: safe to run again on a machine that already has the packages.
# Must run as root (CI runs as root).
set -euo pipefail

packages=(
	bind9                # named
	knot                 # knotd, knotc
	pdns-server          # pdns_server, pdnsutil
	pdns-backend-sqlite3 # gsqlite3 backend and its schema
	sqlite3              # to load the gsqlite3 schema into a fresh database
)
services=(named bind9 knot pdns)

if [[ $(id -u) -ne 0 ]]; then
	echo "ci-install-dns-servers: must run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# Keep maintainer scripts from starting daemons while installing. Only put a
# policy in place (and remove it again) when the machine has none of its own.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} > 0)); then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}" >/dev/null
fi

# Stop and disable whatever the packages registered as a service.
if [[ -d /run/systemd/system ]]; then
	for s in "${services[@]}"; do
		if systemctl list-unit-files "$s.service" >/dev/null 2>&1; then
			systemctl disable --now "$s.service" >/dev/null 2>&1 || true
		fi
	done
else
	for s in "${services[@]}"; do
		if [[ -x /etc/init.d/$s ]]; then
			/etc/init.d/"$s" stop >/dev/null 2>&1 || true
			update-rc.d "$s" disable >/dev/null 2>&1 || true
		fi
	done
fi

echo "named:       $(named -v)"
echo "knotd:       $(knotd --version | head -n1)"
echo "pdns_server: $(dpkg-query -W -f='${Version}' pdns-server) ($(dpkg-query -W -f='${Version}' pdns-backend-sqlite3) gsqlite3)"
echo "sqlite3:     $(sqlite3 --version | cut -d' ' -f1)"

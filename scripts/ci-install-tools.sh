#!/usr/bin/env bash
# Install the tools the deployment, editor and hook checks use, on Debian
# 12, for CI (which then sets DNSSYNC_REQUIRE_TOOLS=1 so that a missing tool
# fails instead of skipping):
#
#   pre-commit        the dnssync-validate hook (scripts/ci-pre-commit.sh)
#   prometheus        promtool, for deploy/prometheus (its service is kept off)
#   systemd           systemd-analyze, for deploy/systemd
#   nodejs, npm       yaml-language-server (installed by the test from npm)
#
# Go tools (staticcheck, actionlint, goreleaser) are pinned in the Makefile
# and run with `go run`. Idempotent; must run as root (CI runs as root).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "ci-install-tools: must run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

declare -A need=(
	[pre-commit]=pre-commit
	[promtool]=prometheus
	[systemd-analyze]=systemd
	[node]=nodejs
	[npm]=npm
)
missing=()
for cmd in "${!need[@]}"; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		missing+=("${need[$cmd]}")
	fi
done
if ((${#missing[@]} > 0)); then
	# Keep maintainer scripts from starting daemons (prometheus) while
	# installing; only when the machine has no policy of its own.
	policy=/usr/sbin/policy-rc.d
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		$(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
	if [[ -d /run/systemd/system ]]; then
		systemctl disable --now prometheus.service >/dev/null 2>&1 || true
	elif [[ -x /etc/init.d/prometheus ]]; then
		/etc/init.d/prometheus stop >/dev/null 2>&1 || true
	fi
fi

echo "pre-commit:      $(pre-commit --version)"
echo "promtool:        $(promtool --version 2>&1 | head -n1)"
echo "systemd-analyze: $(systemd-analyze --version | head -n1)"
echo "node:            $(node --version), npm $(npm --version)"

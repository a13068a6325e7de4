#!/usr/bin/env bash
# demo.sh — `make demo`: the whole dnssync loop on the local sandbox.
#
# Builds bin/dnssync, copies examples/ (config, zone files, sandbox seed)
# into a fresh temporary directory, serves the provider emulators there on
# free loopback ports with fresh state, then runs plan, apply and plan
# again. Nothing in the clone changes besides bin/; the sandbox is stopped
# and the temporary directory removed on exit, failure or Ctrl-C included.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
go="${GO:-go}"
bin="$root/bin/dnssync"
task_delay="${DEMO_TASK_DELAY:-200ms}"   # how long each provider task item takes

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
if [ ! -t 1 ]; then step() { printf '\n==> %s\n' "$*"; }; fi

step "Building bin/dnssync"
(cd "$root" && "$go" build -o "$bin" ./cmd/dnssync)

work="$(mktemp -d "${TMPDIR:-/tmp}/dnssync-demo.XXXXXX")"
sandbox_log="$work/sandbox.log"
sandbox_pid=""
cleanup() {
  local rc=$?
  if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    echo "demo failed (exit $rc)" >&2
    if [ -s "$sandbox_log" ]; then echo "--- sandbox log:" >&2; cat "$sandbox_log" >&2; fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp -R "$root/examples/." "$work/"
rm -rf "$work/.dnssync"
ready="$work/sandbox-ready.json"
cd "$work"

step "Starting the sandbox (emulators of Alibaba Cloud Domain and DNSPod, seeded from examples/sandbox/seed.yaml)"
"$bin" sandbox -c dnssync.yaml --reset --addr 127.0.0.1:0 \
  --task-delay "$task_delay" --ready-file "$ready" -q >"$sandbox_log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 200); do
  [ -s "$ready" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "the sandbox stopped:" >&2; cat "$sandbox_log" >&2; exit 1; }
  sleep 0.05
done
[ -s "$ready" ] || { echo "the sandbox did not become ready in 10 s" >&2; exit 1; }
url() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$ready"; }
aliyun_url="$(url aliyun_url)"
dnspod_url="$(url dnspod_url)"
# Point the copied config at the ports the sandbox picked.
sed -i.bak -e "s#https://127.0.0.1:18443#$aliyun_url#" -e "s#https://127.0.0.1:18444#$dnspod_url#" dnssync.yaml
rm -f dnssync.yaml.bak
echo "aliyun $aliyun_url   dnspod $dnspod_url   (pid $sandbox_pid)"

step "dnssync plan --allow-delegation          # what would change, in the fewest batches (no writes)"
"$bin" plan -c dnssync.yaml --allow-delegation

step "dnssync apply --yes --allow-delegation   # submit, await the providers' tasks, verify"
"$bin" apply -c dnssync.yaml --yes --allow-delegation

step "dnssync plan --detailed-exitcode         # exit 0: live state matches the zone files"
"$bin" plan -c dnssync.yaml --detailed-exitcode

step "Done: the sandbox is stopped and its state discarded"

#!/usr/bin/env bash
# End-to-end timing of `dnssync plan` on one zone of N records (default
# 100,000) against the sandbox over HTTPS: the zone of internal/benchzone
# (40% A, 25% CNAME, 20% TXT, 15% MX; 10% differing). Each binary given is
# run RUNS times, alternating between binaries, under /usr/bin/time -v; one
# line per run gives wall seconds, user and system CPU seconds and the peak
# RSS. With hyperfine installed it is run afterwards on the same binaries.
#
#   scripts/bench-plan-e2e.sh [-n N] [-runs RUNS] [-port PORT] BINARY...
#
# The sandbox is started from the first binary and stopped at the end; its
# DNSPod emulator listens on PORT (default 18544), the Alibaba Cloud one on
# PORT-1 and the Tencent Cloud one on PORT+1.
set -euo pipefail
n=100000
runs=5
port=18544
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) n=$2; shift 2 ;;
    -runs) runs=$2; shift 2 ;;
    -port) port=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: $0 [-n N] [-runs RUNS] [-port PORT] BINARY..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'kill -TERM "${sandbox:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
(cd "$root" && go run ./internal/benchzone/cmd/benchzone -n "$n" -dir "$dir" -endpoint "https://127.0.0.1:$port")
"$1" sandbox -c "$dir/dnssync.yaml" --seed "$dir/seed.yaml" --task-delay 0s \
  --addr "aliyun=127.0.0.1:$((port - 1)),dnspod=127.0.0.1:$port,tencentcloud=127.0.0.1:$((port + 1))" --ready-file "$dir/ready.json" >"$dir/sandbox.log" 2>&1 &
sandbox=$!
until [[ -s $dir/ready.json ]]; do
  kill -0 "$sandbox" 2>/dev/null || { cat "$dir/sandbox.log" >&2; exit 1; }
  sleep 0.2
done
echo "zone: $n records; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
plan() { "$1" plan -c "$dir/dnssync.yaml" --format json --detailed-exitcode >/dev/null || [[ $? -eq 2 ]]; }
for b in "$@"; do plan "$b"; done # warm the page cache and the sandbox
# CPU seconds the sandbox process has used: it runs on the same cores, and
# it also saves its state (all records) after requests and every second.
tck=$(getconf CLK_TCK)
sandbox_cpu() { awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$sandbox/stat"; }
for r in $(seq "$runs"); do
  for b in "$@"; do
    s0=$(sandbox_cpu)
    /usr/bin/time -v "$b" plan -c "$dir/dnssync.yaml" --format json --detailed-exitcode >/dev/null 2>"$dir/time" || true
    s1=$(sandbox_cpu)
    awk -v b="$b" -v r="$r" -v sb="$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" -F': ' '
      /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = t[n] + (n > 1 ? t[n-1] * 60 : 0) }
      /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 / 1024 }
      END { printf "run %d  %-28s wall %.2f s  user %.2f s  sys %.2f s  peak RSS %.0f MB  (sandbox CPU %s s)\n", r, b, wall, user, sys, rss, sb }' "$dir/time"
  done
done
if command -v hyperfine >/dev/null; then
  cmds=()
  for b in "$@"; do cmds+=("$b plan -c $dir/dnssync.yaml --format json --detailed-exitcode"); done
  hyperfine -N -i --warmup 1 --runs "$runs" "${cmds[@]}"
fi

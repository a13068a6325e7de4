#!/usr/bin/env bash
# Runs this repository's pre-commit hook (.pre-commit-hooks.yaml) with the
# real pre-commit on a git repository made from examples/: it must pass,
# and must fail on a broken zone file. `pre-commit try-repo` builds dnssync
# from this work tree (uncommitted changes included) as users' pre-commit
# builds it from a tag. Needs pre-commit (Debian package), git and Go.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v pre-commit >/dev/null; then
  echo "pre-commit is not installed (apt-get install pre-commit)" >&2
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/dnssync-pre-commit.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Share the module cache: pre-commit gives the hook's build a GOPATH of its own.
GOMODCACHE="$(go env GOMODCACHE)"
export GOMODCACHE PRE_COMMIT_HOME="$work/cache"

cp -R "$root/examples/." "$work/repo/" 2>/dev/null || { mkdir -p "$work/repo" && cp -R "$root/examples/." "$work/repo/"; }
rm -rf "$work/repo/.dnssync"
cd "$work/repo"
git init -q
git add -A
git -c user.name=ci -c user.email=ci@localhost commit -qm examples

echo "== pre-commit try-repo dnssync-validate on examples/ (must pass)"
pre-commit try-repo "$root" dnssync-validate --all-files

echo "== with a broken zone file (must fail)"
printf 'domain: bad.example\ndns:\n  provder: dnspod\n' > zones/bad.yaml
git add zones/bad.yaml
if pre-commit try-repo "$root" dnssync-validate --all-files > "$work/out.txt" 2>&1; then
  cat "$work/out.txt"
  echo "the hook passed a broken zone file" >&2
  exit 1
fi
grep -q 'zones/bad.yaml:3:' "$work/out.txt" || { cat "$work/out.txt"; echo "the hook's output lacks the problem's position" >&2; exit 1; }
echo "ok: the hook failed with the problem's position"

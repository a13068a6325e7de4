#!/usr/bin/env bash
# Installs dnssync at $DNSSYNC_VERSION (a tag, a branch or "latest") with
# go install and puts it on the job's PATH; "installed" uses the dnssync
# already on PATH. Part of action.yml.
set -euo pipefail
version="${DNSSYNC_VERSION:-latest}"
if [ "$version" = installed ]; then
  command -v dnssync >/dev/null || { echo "::error::version: installed, but there is no dnssync on PATH"; exit 1; }
  dnssync version
  exit 0
fi
gobin="$(go env GOPATH)/bin"
echo "::group::go install github.com/dnssync/dnssync/cmd/dnssync@$version"
go install "github.com/dnssync/dnssync/cmd/dnssync@$version"
echo "::endgroup::"
echo "$gobin" >> "$GITHUB_PATH"
"$gobin/dnssync" version

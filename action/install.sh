#!/usr/bin/env bash
# Installs dnssync at $DNSSYNC_VERSION (a tag, a branch or "latest") with
# go install and puts it on the job's PATH. Part of action.yml.
set -euo pipefail
version="${DNSSYNC_VERSION:-latest}"
gobin="$(go env GOPATH)/bin"
echo "::group::go install github.com/dnssync/dnssync/cmd/dnssync@$version"
go install "github.com/dnssync/dnssync/cmd/dnssync@$version"
echo "::endgroup::"
echo "$gobin" >> "$GITHUB_PATH"
"$gobin/dnssync" version

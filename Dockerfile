# syntax=docker/dockerfile:1
# dnssync container image: a static binary on a distroless base, run as a
# non-root user. Build from a clone:
#
#   docker build -t dnssync --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) --build-arg DATE=$(git log -1 --format=%cI) .
#   docker run --rm dnssync version
#
# deploy/kubernetes runs it as `dnssync watch` beside git-sync.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that source changes do not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# CGO off: a static binary that runs on a base without libc.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/dnssync ./cmd/dnssync

# distroless/static: CA certificates, /etc/passwd with "nonroot" (65532),
# no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dnssync /usr/local/bin/dnssync
USER 65532:65532
# The state directory (journal, lock) when the configuration is read-only.
ENV DNSSYNC_STATE_DIR=/var/lib/dnssync
VOLUME ["/var/lib/dnssync"]
# /healthz, /readyz and /metrics of `dnssync watch --addr 0.0.0.0:9353`.
EXPOSE 9353
ENTRYPOINT ["/usr/local/bin/dnssync"]
CMD ["watch", "--config", "/etc/dnssync/dnssync.yaml", "--addr", "0.0.0.0:9353"]

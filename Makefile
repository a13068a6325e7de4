# dnssync build and checks. `make test` is what CI runs (.ci/run).
# Sections: build, test, fuzz, bench; others append their targets below
# under a heading of their own.

GO          ?= go
# Pinned tools: a fresh clone needs only Go. staticcheck runs through
# `go run pkg@version`; actionlint and goreleaser are installed with
# `go install pkg@version` into bin/tools (the module proxy fetches them,
# the build cache keeps them).
TOOLS       := $(CURDIR)/bin/tools
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT  ?= $(TOOLS)/actionlint
GORELEASER  ?= $(TOOLS)/goreleaser
FUZZTIME    ?= 10s
BENCH_OUT   ?= dist/bench.txt
PKGS        := ./...

.PHONY: all build test vet staticcheck unit fuzz-short bench clean demo lint-ci actionlint goreleaser-check precommit-check tools

# What `dnssync version` reports for a build from a clone (go build in a
# git work tree records the commit too, unless -buildvcs=false).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

all: build test

## build: compile bin/dnssync
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dnssync ./cmd/dnssync

## test: vet, staticcheck and the race-enabled unit tests
test: vet staticcheck unit

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(STATICCHECK) $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

## fuzz-short: run every fuzz target for $(FUZZTIME)
fuzz-short:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$fz"; \
	    $(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: run all benchmarks and write the report to $(BENCH_OUT)
bench:
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS) | tee $(BENCH_OUT)
	$(GO) test -run '^$$' -bench '^BenchmarkPlan' -benchmem -cpu 1 ./internal/diff/ | tee -a $(BENCH_OUT)
	@echo "benchmark report: $(BENCH_OUT)"

clean:
	rm -rf bin dist

## demo: build, start the sandbox, plan, apply and plan again on examples/ (needs only Go and bash)
demo:
	GO=$(GO) bash scripts/demo.sh

## lint-ci: the checks of the files for other tools (CI runs them; each needs only Go and git)
lint-ci: actionlint goreleaser-check

# Installed on every use: quick once built, and a changed pin takes effect.
tools:
	GOBIN=$(TOOLS) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
	GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/goreleaser/v2@v2.17.0

## actionlint: this repository's workflows (which use action.yml, so its inputs are checked too),
## the example workflow and the one `dnssync init` writes
actionlint: tools
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(GO) run ./cmd/dnssync init -q "$$tmp/repo" && \
	  $(ACTIONLINT) -no-color .github/workflows/*.yaml examples/ci/*.yaml "$$tmp/repo/.github/workflows/dnssync.yaml" && \
	  echo "actionlint: ok"

## goreleaser-check: validate .goreleaser.yaml
goreleaser-check: tools
	$(GORELEASER) check

## precommit-check: run the dnssync-validate hook with pre-commit on a copy of examples/ (needs pre-commit)
precommit-check:
	bash scripts/ci-pre-commit.sh

# dnssync build and checks. `make test` is what CI runs (.ci/run).
# Sections: build, test, fuzz, bench; others append their targets below
# under a heading of their own.

GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK ?= $(GOBIN)/staticcheck
FUZZTIME    ?= 10s
BENCH_OUT   ?= dist/bench.txt
PKGS        := ./...

.PHONY: all build test vet staticcheck unit fuzz-short bench clean demo

all: build test

## build: compile bin/dnssync
build:
	$(GO) build -o bin/dnssync ./cmd/dnssync

## test: vet, staticcheck and the race-enabled unit tests
test: vet staticcheck unit

vet:
	$(GO) vet $(PKGS)

staticcheck:
	@test -x $(STATICCHECK) || { echo "staticcheck not found at $(STATICCHECK): go install honnef.co/go/tools/cmd/staticcheck@v0.8.2"; exit 1; }
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

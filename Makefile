# aspirego/redis developer tasks. `make check` is what CI runs.

GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 60s
# staticcheck from PATH, else the pinned version through the module proxy.
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo "$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2")

.PHONY: check test lint fmt fuzz bench run tidy-check

## check: lint, then every test with the race detector (CI runs this)
check: lint test

## test: all tests, with -race, against real redis-server processes
test:
	$(GO) test -race -count=1 -timeout 12m $(PKGS)

## lint: gofmt check, go vet, staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run the connection-string fuzzer for FUZZTIME
fuzz:
	$(GO) test ./settings -run '^$$' -fuzz FuzzParseConnectionString -fuzztime $(FUZZTIME)

## bench: telemetry overhead against raw go-redis (starts its own redis-server)
bench:
	$(GO) run ./internal/cmd/benchmark

## run: the quickstart example (embedded miniredis when nothing is configured)
run:
	$(GO) run ./examples/quickstart

## tidy-check: go.mod and go.sum are tidy
tidy-check:
	$(GO) mod tidy
	git diff --exit-code -- go.mod go.sum

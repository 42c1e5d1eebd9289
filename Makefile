# aspirego/redis developer tasks. `make check` is what CI runs.

GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 60s
# The real-server suites mostly wait on servers (faults held for seconds,
# failovers): four at a time halves internal/integration's time on 2 cores.
PARALLEL  ?= 4
# staticcheck from PATH, else the pinned version through the module proxy.
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo "$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2")

.PHONY: check test test-deps lint fmt fuzz bench run tidy-check api

## check: lint, then every test with the race detector (CI runs this)
check: lint test

## test: all tests, with -race, against real redis-server processes
test: test-deps
	$(GO) test -race -count=1 -parallel $(PARALLEL) -timeout 12m $(PKGS)
	$(GO) test -race -count=1 -tags azure -run Azure ./cmd/redis-doctor

# What the real-server tests run: redis-server (also as a sentinel, through
# `redis-server --sentinel`, so the redis-sentinel package is not needed) and
# redis-cli (`--cluster create`). Debian's redis-server package depends on
# redis-tools, which holds redis-cli.
TEST_BINARIES := redis-server redis-cli
TEST_PACKAGES := redis-server
APT_INSTALL   := apt-get install -y --no-install-recommends $(TEST_PACKAGES)

## test-deps: install redis-server and redis-cli when missing (apt-get as
## root or through sudo), else stop with the command to run
test-deps:
	@missing=""; for b in $(TEST_BINARIES); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	[ -z "$$missing" ] && exit 0; \
	echo "make: the tests need$$missing, not found on PATH"; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: install redis-server and redis-cli (Redis 6.2 or later) with your package manager, then run make check again"; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make: run: sudo apt-get update && sudo $(APT_INSTALL)"; exit 1; fi; \
	echo "make: installing: $$sudo $(APT_INSTALL)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get update -qq && $$sudo $(APT_INSTALL) >/dev/null || exit 1; \
	echo "make: stopping the system redis-server the package started (the tests start their own)"; \
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then $$sudo systemctl disable --now redis-server >/dev/null 2>&1 || true; fi; \
	$$sudo service redis-server stop >/dev/null 2>&1 || true

## lint: gofmt check, go vet, staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags azure ./cmd/redis-doctor
	$(STATICCHECK) $(PKGS)
	$(STATICCHECK) -tags azure ./cmd/redis-doctor

fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run every fuzzer (connection strings, appsettings, blocking-command
## timeouts, ROLE replies, token claims, HybridCache payloads) for FUZZTIME each
fuzz:
	$(GO) test ./internal/connstr -run '^$$' -fuzz FuzzParseConnectionString -fuzztime $(FUZZTIME)
	$(GO) test ./internal/configstore -run '^$$' -fuzz FuzzLoadConfig -fuzztime $(FUZZTIME)
	$(GO) test ./rediscache -run '^$$' -fuzz FuzzBlockTimeout -fuzztime $(FUZZTIME)
	$(GO) test ./rediscache -run '^$$' -fuzz FuzzParseRole -fuzztime $(FUZZTIME)
	$(GO) test ./azureauth -run '^$$' -fuzz FuzzObjectID -fuzztime $(FUZZTIME)
	$(GO) test ./distcache -run '^$$' -fuzz FuzzParsePayload -fuzztime $(FUZZTIME)

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

## api: rewrite api/exported.txt, the record of the exported API that
## internal/apicheck's test holds the code to (removals go in CHANGELOG.md)
api:
	$(GO) test ./internal/apicheck -run TestExportedAPI -update

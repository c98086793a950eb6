# ConfigMat's front door. `make run` serves the API on the embedded store;
# `make test` runs every test (PostgreSQL and Redis ones when configured);
# `make help` lists every target. `make` alone builds, as before.

GO        ?= go
BIN       := bin/configmat
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
TEST_FLAGS ?= -race -count=1 -timeout 20m

# Linters, pinned and installed into .tools/ on first use (ignored by git and,
# as a dot folder, by ./...): `make tools` installs both. Spectral's version
# and its dependencies' are locked in tools/spectral/.
TOOLS         := $(CURDIR)/.tools
GOSEC_VERSION := v2.30.0
GOSEC         := $(TOOLS)/gosec-$(GOSEC_VERSION)/gosec
SPECTRAL_LOCK := tools/spectral/package.json tools/spectral/package-lock.json
SPECTRAL      := $(TOOLS)/spectral/node_modules/.bin/spectral
SPECTRAL_OK   := $(TOOLS)/spectral/node_modules/.installed
# FUZZTIME is how long `make fuzz` runs each fuzz target: a duration, or a
# count of inputs such as 5000x (CI's; see .ci/run).
FUZZTIME      ?= 30s

.PHONY: build run test test-unit test-integration test-browser screenshots cover bench lint fuzz tools generate migrate tidy clean help

## build: compile the static binary to bin/configmat
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/configmat

## run: build and serve in development mode on the embedded store in ./data
run: build
	DEBUG=true ./$(BIN) serve

## test: every test; PostgreSQL/Redis suites need CONFIGMAT_TEST_DATABASE_URL (or Docker), the console's browser tests Chromium; CI=true makes them all mandatory
test:
	@if [ -z "$$CONFIGMAT_TEST_DATABASE_URL" ] && [ "$$CI" != "true" ]; then \
		echo "note: PostgreSQL integration tests need CONFIGMAT_TEST_DATABASE_URL or Docker (testcontainers); they skip without them unless CI=true"; \
	fi
	@if ! command -v chromium >/dev/null 2>&1 && [ -z "$$CHROMIUM" ] && [ "$$CI" != "true" ]; then \
		echo "note: the console's browser tests (test/browser) need Chromium (apt-get install chromium); they skip without it unless CI=true"; \
	fi
	$(GO) test $(TEST_FLAGS) $(PKGS)

## test-unit: the tests that need no database server
test-unit:
	$(GO) test $(TEST_FLAGS) ./core/... ./ports/... ./adapters/sqlite/... ./adapters/httpapi/... ./adapters/console/... ./adapters/logging/... ./adapters/metrics/... ./api/... ./cmd/... ./sdk/...

## test-integration: only the PostgreSQL and Redis suites
test-integration:
	$(GO) test $(TEST_FLAGS) ./adapters/postgres/... ./adapters/ratelimit/... ./test/...

## test-browser: the web console in headless Chromium (test/browser), screenshots to a temporary folder
test-browser:
	$(GO) test $(TEST_FLAGS) ./test/browser/...

## screenshots: run the browser tests and copy the main pages' screenshots into docs/console/
screenshots:
	$(GO) test -count=1 -run 'TestConsole$$' ./test/browser/ -args -docs

## cover: coverage of core/ (must stay at or above 90%)
cover:
	$(GO) test -count=1 -coverpkg=./core/... -coverprofile=coverage.out ./core/...
	@$(GO) tool cover -func=coverage.out | tail -n 1
	@$(GO) tool cover -func=coverage.out | awk '/^total:/ { sub("%","",$$3); if ($$3+0 < 90) { print "core coverage below 90%"; exit 1 } }'

## bench: benchmarks of stores, services and the HTTP read path (see BENCHMARKS.md)
bench:
	$(GO) test -v -run '^$$' -bench . -benchmem -benchtime 2s ./test/bench/... ./core/cache/

## lint: gofmt, go vet, the import-boundary check, gosec and spectral (spectral:oas over api/openapi.json)
# gosec scans every package of the module, test/'s harnesses included, but not
# _test.go files (its default): tests start processes, write temporary files
# and hold sample credentials by design, which would only add suppressions.
# Each suppression is a `#nosec G### -- reason` at its line. Spectral fails
# on a warning as on an error.
lint: $(GOSEC) $(SPECTRAL_OK)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run TestImportBoundaries ./core/
	$(GOSEC) -quiet $(PKGS) && echo "gosec: no issues"
	$(SPECTRAL) lint --ruleset .spectral.yaml --fail-severity=warn api/openapi.json

## fuzz: run every fuzz target (func Fuzz... in a _test.go) for FUZZTIME each (default 30s), one after another
# go test fuzzes one target of one package per run, so the targets are listed
# per package (`go test -list`) from every package whose tests define one: a
# new target is picked up without editing this file. Their seed corpora
# (f.Add and testdata/fuzz/) also run in `make test`. A crash is written to
# the package's testdata/fuzz/FuzzXxx/: commit it with the fix.
fuzz:
	@set -e; \
	pkgs=$$(grep -rl --include='*_test.go' --exclude-dir=.git --exclude-dir=.tools --exclude-dir=node_modules \
		'^func Fuzz' . | xargs -n1 dirname | sort -u); \
	[ -n "$$pkgs" ] || { echo "no fuzz targets found"; exit 1; }; \
	for pkg in $$pkgs; do \
		list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; exit 1; }; \
		for target in $$(echo "$$list" | grep '^Fuzz'); do \
			echo "fuzz: $$pkg $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## tools: install the pinned linters (gosec with go install, spectral with npm ci) when missing
tools: $(GOSEC) $(SPECTRAL_OK)

$(GOSEC):
	GOBIN=$(dir $(GOSEC)) $(GO) install github.com/securego/gosec/v2/cmd/gosec@$(GOSEC_VERSION)

$(SPECTRAL_OK): $(SPECTRAL_LOCK)
	mkdir -p $(TOOLS)/spectral && cp $(SPECTRAL_LOCK) $(TOOLS)/spectral/
	npm ci --prefix $(TOOLS)/spectral --ignore-scripts --no-audit --no-fund
	@touch $@

## generate: regenerate mocks (mockgen from go.uber.org/mock)
generate:
	$(GO) generate ./...

## migrate: apply pending migrations to DATABASE_URL (MIGRATION_DATABASE_URL for PostgreSQL)
migrate: build
	./$(BIN) migrate

## tidy: bring go.mod and go.sum in line with the imports (go mod tidy)
tidy:
	$(GO) mod tidy

## clean: remove bin/ and coverage.out (`rm -rf .tools` removes the linters)
clean:
	rm -rf bin coverage.out

## help: list the targets with what each does (from their ## comments)
help:
	@awk '/^## [A-Za-z0-9_-]+: / { line = substr($$0, 4); n = index(line, ": "); \
		printf "  %-18s %s\n", substr(line, 1, n - 1), substr(line, n + 2) }' $(MAKEFILE_LIST)

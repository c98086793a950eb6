# ConfigMat's front door. `make run` serves the API on the embedded store;
# `make test` runs every test (PostgreSQL and Redis ones when configured);
# `make help` lists every target. `make` alone builds, as before.

GO        ?= go
BIN       := bin/configmat
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: build run test test-unit test-integration cover bench lint generate migrate tidy clean help

## build: compile the static binary to bin/configmat
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/configmat

## run: build and serve in development mode on the embedded store in ./data
run: build
	DEBUG=true ./$(BIN) serve

## test: every test; PostgreSQL/Redis suites need CONFIGMAT_TEST_DATABASE_URL (or Docker) and CI=true makes them mandatory
test:
	@if [ -z "$$CONFIGMAT_TEST_DATABASE_URL" ] && [ "$$CI" != "true" ]; then \
		echo "note: PostgreSQL integration tests need CONFIGMAT_TEST_DATABASE_URL or Docker (testcontainers); they skip without them unless CI=true"; \
	fi
	$(GO) test $(TEST_FLAGS) $(PKGS)

## test-unit: the tests that need no database server
test-unit:
	$(GO) test $(TEST_FLAGS) ./core/... ./ports/... ./adapters/sqlite/... ./adapters/httpapi/... ./adapters/logging/... ./api/... ./cmd/...

## test-integration: only the PostgreSQL and Redis suites
test-integration:
	$(GO) test $(TEST_FLAGS) ./adapters/postgres/... ./adapters/ratelimit/... ./test/...

## cover: coverage of core/ (must stay at or above 90%)
cover:
	$(GO) test -count=1 -coverpkg=./core/... -coverprofile=coverage.out ./core/...
	@$(GO) tool cover -func=coverage.out | tail -n 1
	@$(GO) tool cover -func=coverage.out | awk '/^total:/ { sub("%","",$$3); if ($$3+0 < 90) { print "core coverage below 90%"; exit 1 } }'

## bench: benchmarks of stores, services and the HTTP read path (see BENCHMARKS.md)
bench:
	$(GO) test -v -run '^$$' -bench . -benchmem -benchtime 2s ./test/bench/... ./core/cache/

## lint: gofmt, go vet and the import-boundary check
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run TestImportBoundaries ./core/

## generate: regenerate mocks (mockgen from go.uber.org/mock)
generate:
	$(GO) generate ./...

## migrate: apply pending migrations to DATABASE_URL (MIGRATION_DATABASE_URL for PostgreSQL)
migrate: build
	./$(BIN) migrate

## tidy: bring go.mod and go.sum in line with the imports (go mod tidy)
tidy:
	$(GO) mod tidy

## clean: remove bin/ and coverage.out
clean:
	rm -rf bin coverage.out

## help: list the targets with what each does (from their ## comments)
help:
	@awk '/^## [A-Za-z0-9_-]+: / { line = substr($$0, 4); n = index(line, ": "); \
		printf "  %-18s %s\n", substr(line, 1, n - 1), substr(line, n + 2) }' $(MAKEFILE_LIST)

# NotERP developer commands. `make run` starts everything locally; `make test`
# runs every test, including those against real Temporal and PostgreSQL.

SHELL := /bin/bash

# The Temporal CLI release that `go install` can still build; later releases
# fail to install this way.
TEMPORAL_CLI_VERSION := v1.5.1
# A temporal already on PATH is used instead of installing one into ./bin.
TEMPORAL_ON_PATH := $(shell command -v temporal 2>/dev/null)
TEMPORAL_CLI := $(if $(TEMPORAL_ON_PATH),$(TEMPORAL_ON_PATH),$(CURDIR)/bin/temporal)

GO_TEST_TIMEOUT ?= 15m

.PHONY: run demo test lint build clean temporal-cli

## run: build noterp and start the local stack (Ctrl-C stops it)
run: build temporal-cli
	NOTERP_TEMPORAL_CLI=$(TEMPORAL_CLI) ./bin/noterp dev

## demo: drive one governed price change through the API of a running `make run`
demo: build
	./bin/noterp demo

## test: every test, against real Temporal and PostgreSQL
test: temporal-cli
	NOTERP_TEMPORAL_CLI=$(TEMPORAL_CLI) go test -count=1 -timeout $(GO_TEST_TIMEOUT) ./...

## lint: go vet, staticcheck and Temporal's workflowcheck
lint:
	go vet ./...
	go tool staticcheck ./...
	go tool workflowcheck ./...

## build: build ./bin/noterp
build:
	go build -o bin/noterp ./cmd/noterp

temporal-cli:
	@if [ -z "$(TEMPORAL_ON_PATH)" ]; then $(MAKE) --no-print-directory bin/temporal; fi

## bin/temporal: install the pinned Temporal CLI (the first build takes minutes)
bin/temporal:
	GOBIN=$(CURDIR)/bin go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

## clean: remove built binaries and local state (.data: Temporal's database, secrets, demo.env)
clean:
	rm -f bin/noterp
	rm -rf .data

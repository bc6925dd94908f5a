# bassins: the two commands are `make run` and `make test`.
# Every target installs what it needs and is missing (Debian packages, npm
# packages); Go itself must be installed (https is not needed: see README).

SHELL  := /bin/bash
GO     ?= go
BIN    := bin/bassins
ECHARTS := dashboards/assets/echarts.min.js
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

# ClickHouse 26.7 for the tests' second pass: libchdb from the npm package
# pinned in cmd/bassins-chdb/package-lock.json (never committed), linked into
# bin/bassins-chdb, which finds it relative to itself.
CHDB_DIR := cmd/bassins-chdb
CHDB_LIB := $(CHDB_DIR)/node_modules/@chdb/lib-linux-x64-gnu
CHDB_BIN := bin/bassins-chdb
# Summarises a `go test -json` pass: engine, version, tests run.
TESTPASS := bin/testpass
# The packages whose tests touch the warehouse: managed's own, and those
# whose tests import warehousetest.
WAREHOUSE_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | \
	awk '$$1 ~ /\/managed$$/ { print $$1; next } / [^ ]*\/warehousetest( |$$)/ { print $$1 }')

.PHONY: run test test-chdb bench build check-go cc clickhouse chromium node clean

# make run ARGS='--addr 127.0.0.1:9090' passes options to `bassins demo`.
run: build clickhouse
	./$(BIN) demo $(ARGS)

# Every package with -race on Debian's ClickHouse 18.16, then the warehouse
# tests again on ClickHouse 26.7 (test-chdb).
test: check-go clickhouse chromium $(ECHARTS) $(TESTPASS)
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path '*/node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@echo "== every package with -race; warehouse tests on ClickHouse 18.16 (clickhouse-server)"
	@set -o pipefail; BASSINS_TEST_CLICKHOUSE= $(GO) test -json -race -count=1 -timeout 20m ./... 2>&1 | ./$(TESTPASS)
	@$(MAKE) --no-print-directory test-chdb

# The warehouse tests alone on ClickHouse 26.7 (libchdb, bin/bassins-chdb).
test-chdb: check-go chromium $(ECHARTS) $(TESTPASS) $(CHDB_BIN)
	@echo "== warehouse tests on ClickHouse 26.7 (libchdb): $(patsubst github.com/brusano/bassins/%,%,$(WAREHOUSE_PKGS))"
	@set -o pipefail; BASSINS_TEST_CLICKHOUSE=$(CURDIR)/$(CHDB_BIN) $(GO) test -json -race -count=1 -timeout 20m $(WAREHOUSE_PKGS) 2>&1 | \
	  ./$(TESTPASS) -engine libchdb

# Loads 1,000,000 then 10,000,000 generated contacts with the pipeline and with
# clickhouse-client, and prints the comparison; then times the computation of
# the whole default catalogue over 5 years (10,000,000 contacts, 500,000
# treatment demands) and the freshness of a delivery (README, Benchmark); e.g.
# make bench ARGS='--rows 200000' for a quicker run, or
# make bench ARGS='--sections catalogue --profile-queries' for one part.
bench: build clickhouse
	$(GO) build -o bin/bassins-bench ./cmd/bassins-bench
	./bin/bassins-bench $(ARGS)

build: check-go $(ECHARTS)
	$(GO) build -o $(BIN) ./cmd/bassins

check-go:
	@command -v $(GO) >/dev/null || { echo "Go is required: install Go 1.26 or later (https://go.dev/doc/install)"; exit 1; }

# A C compiler, to link bin/bassins-chdb.
cc:
	@if ! command -v gcc >/dev/null; then \
	  echo "Installing gcc…"; \
	  $(APT) update && $(APT) install -y gcc libc6-dev; \
	fi

$(TESTPASS): internal/testpass/main.go pipeline/warehouse/warehousetest/warehousetest.go | check-go
	$(GO) build -o $@ ./internal/testpass

# npm gives the files their packaged date: touch marks the install.
$(CHDB_LIB)/libchdb.so: $(CHDB_DIR)/package-lock.json | node
	npm ci --prefix $(CHDB_DIR) --no-audit --no-fund
	touch $@

$(CHDB_BIN): $(CHDB_LIB)/libchdb.so $(CHDB_DIR)/main.go | check-go cc
	CGO_ENABLED=1 CGO_LDFLAGS='-L$(CURDIR)/$(CHDB_LIB) -Wl,-rpath,$$ORIGIN/../$(CHDB_LIB)' \
	  $(GO) build -tags chdb -o $@ ./$(CHDB_DIR)

# The ClickHouse server the program starts itself (Debian: clickhouse-server).
clickhouse:
	@if ! command -v clickhouse-server >/dev/null && [ ! -x /usr/sbin/clickhouse-server ] && ! command -v clickhouse >/dev/null; then \
	  echo "Installing clickhouse-server…"; \
	  $(APT) update && $(APT) install -y clickhouse-server clickhouse-client; \
	fi

# Debian's Chromium, for the dashboards' browser tests.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing chromium…"; \
	  $(APT) update && $(APT) install -y chromium; \
	fi

node:
	@if ! command -v npm >/dev/null; then \
	  echo "Installing nodejs and npm…"; \
	  $(APT) update && $(APT) install -y nodejs npm; \
	fi

# ECharts comes from the npm package pinned in dashboards/package-lock.json and
# is embedded in the binary at build; it is never committed.
$(ECHARTS): dashboards/package-lock.json | node
	npm ci --prefix dashboards --no-audit --no-fund
	cp dashboards/node_modules/echarts/dist/echarts.min.js $(ECHARTS)

clean:
	rm -rf bin dashboards/node_modules $(CHDB_DIR)/node_modules $(ECHARTS)

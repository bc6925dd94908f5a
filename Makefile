# bassins: the two commands are `make run` and `make test`.
# Every target installs what it needs and is missing (Debian packages, npm
# packages); Go itself must be installed (https is not needed: see README).

SHELL  := /bin/bash
GO     ?= go
BIN    := bin/bassins
ECHARTS := dashboards/assets/echarts.min.js
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: run test bench build check-go clickhouse chromium node clean

# make run ARGS='--addr 127.0.0.1:9090' passes options to `bassins demo`.
run: build clickhouse
	./$(BIN) demo $(ARGS)

test: check-go clickhouse chromium $(ECHARTS)
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path '*/node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

bench: build clickhouse
	$(GO) build -o bin/bassins-bench ./cmd/bassins-bench
	./bin/bassins-bench

build: check-go $(ECHARTS)
	$(GO) build -o $(BIN) ./cmd/bassins

check-go:
	@command -v $(GO) >/dev/null || { echo "Go is required: install Go 1.26 or later (https://go.dev/doc/install)"; exit 1; }

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
	rm -rf bin dashboards/node_modules $(ECHARTS)

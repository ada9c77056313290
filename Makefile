# SmartRetail AI — `make run` starts the platform, `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
# The uv that wrote uv.lock; the Dockerfiles (ghcr.io/astral-sh/uv:<version>) and the CI workflow pin the same.
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
# The interpreter itself, not a shim in front of it (pyenv): uv would rebuild .venv at every sync.
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
export UV_PROJECT_ENVIRONMENT := $(VENV)
PYTEST_ARGS ?=
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print 2>/dev/null)

.PHONY: help install run demo test lint format test-fast test-slow web web-test bench-forecast bench-segmentation \
        bench-clv-cdnow bench-pricing bench-inventory bench-ingest bench-ingest-floor bench-load bench-scenario bench-stockouts bench-events bench-hierarchy fuzz deploy-check clean

help:
	@echo "make run     start the whole platform on http://127.0.0.1:$${GATEWAY_PORT:-8000}"
	@echo "make demo    the same, plus a demo account with generated data"
	@echo "make test    lint + every test (real PostgreSQL, Redis, processes, browser)"

$(UV): Makefile
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@touch $@

$(VENV)/.synced: $(UV) pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(VENV)/.synced

web/dist/index.html: $(WEB_SOURCES)
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund && npm run build; \
	 else echo "no dashboard sources (web/package.json): skipping the dashboard build"; fi

web: web/dist/index.html

run: install web
	$(BIN)/python -m common.run

demo: install web
	$(BIN)/python -m common.run --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/common/src services/*/src deploy/docker

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

web-test: web
	@if [ -f web/package.json ]; then cd web && npm test; fi

test: lint web web-test
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -m "not slow and not e2e" $(PYTEST_ARGS)

bench-forecast: install
	$(BIN)/python -m bench.forecast $(ARGS)
bench-segmentation: install
	$(BIN)/python -m bench.segmentation $(ARGS)
bench-clv-cdnow: install
	$(BIN)/python -m bench.clv_cdnow
bench-pricing: install
	$(BIN)/python -m bench.pricing
bench-inventory: install
	$(BIN)/python -m bench.inventory
bench-ingest: install
	$(BIN)/python -m bench.ingest
bench-ingest-floor: install
	$(BIN)/python -m bench.ingest.floor $(ARGS)
bench-load: install
	$(BIN)/python -m bench.load
bench-scenario: install
	$(BIN)/python -m bench.scenario
bench-stockouts: install
	$(BIN)/python -m bench.stockouts $(ARGS)
bench-events: install
	$(BIN)/python -m bench.events $(ARGS)
bench-hierarchy: install
	$(BIN)/python -m bench.hierarchy

fuzz: install
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-200} FUZZ_SEED=random $(BIN)/pytest tests/fuzz -p no:cacheprovider

deploy-check: install
	$(BIN)/pytest tests/deploy -m "not slow" -q -p no:cacheprovider

deploy-check-images: install
	$(BIN)/pytest tests/deploy -m slow -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(TOOLS) web/node_modules web/dist test-artifacts

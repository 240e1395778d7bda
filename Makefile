# Teliporter: `make run` serves the whole platform with demo data; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT    := $(CURDIR)
VENV    := $(ROOT)/.venv
TOOLS   := $(ROOT)/.tools
UV      := $(TOOLS)/bin/uv
PY      := $(VENV)/bin/python
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_LINK_MODE := copy

.PHONY: help install run serve test test-sqlite test-postgres lint format bench migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV) ## create .venv with the locked Python dependencies
	$(UV) sync --project backend --frozen --quiet

run: install ## set everything up from nothing and serve on http://127.0.0.1:8000 (or PORT)
	cd backend && $(PY) -m app.scripts.setup_local
	bash scripts/serve-local.sh

migrate: install ## apply database migrations (alembic upgrade head)
	cd backend && $(VENV)/bin/alembic upgrade head

test: install ## every test: on SQLite, then on the real PostgreSQL (both with the real Redis)
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite: install
	cd backend && $(PY) -m pytest tests --db sqlite

test-postgres: install
	cd backend && $(PY) -m pytest tests --db postgres --ignore=tests/square_simulator

lint: install ## ruff (lint and format check) and mypy
	cd backend && $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy app tests

format: install ## apply ruff's formatting and fixes
	cd backend && $(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: install ## print the benchmarks' figures (also written to bench/results.json)
	@mkdir -p bench
	@echo "No benchmarks yet: they arrive with the simulator, sync, reports and export issues."

clean: ## remove the virtualenvs and local data (backend/var)
	rm -rf $(VENV) $(TOOLS) backend/var

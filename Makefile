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

.PHONY: help install run serve test test-sqlite test-postgres test-deploy test-frontend frontend client lint format bench migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV) ## create .venv with the locked Python dependencies
	$(UV) sync --project backend --frozen --quiet

run: install frontend ## set everything up from nothing and serve on http://127.0.0.1:8000 (or PORT)
	cd backend && $(PY) -m app.scripts.setup_local
	bash scripts/serve-local.sh

# The web app is rebuilt only when its sources or locked packages changed.
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

frontend: ## build the web app into frontend/dist (served by `make run`), when its sources changed
	@if command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory frontend/dist/index.html; \
	else \
	  echo "Node.js (20.19+) and npm are not installed: the web app is not built, only the API is served."; \
	fi

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && VITE_API_BASE_URL=/api/v1 npm run build

client: install ## regenerate the typed API client (frontend/src/client) from the backend's OpenAPI
	cd frontend && npm run client:generate

migrate: install ## apply database migrations (alembic upgrade head)
	cd backend && $(VENV)/bin/alembic upgrade head

# The SQLite and PostgreSQL passes run side by side (each waits on its workers and simulator much of
# the time; each has its own database, temporary folder and Redis database), each printed whole.
test: install ## every test: on SQLite and on the real PostgreSQL (both with the real Redis), the web app, the production kit
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres
	$(MAKE) --no-print-directory test-frontend test-deploy

test-sqlite: install
	cd backend && $(PY) -m pytest tests --db sqlite --ignore=tests/deploy

test-postgres: install
	cd backend && $(PY) -m pytest tests --db postgres --ignore=tests/square_simulator --ignore=tests/deploy

# The production kit makes its own PostgreSQL databases, so it runs once, not per database;
# after test-frontend, so nginx serves (and Chromium loads) the build just made.
test-deploy: install ## the production kit: nginx -t, shellcheck, hadolint, backups, nginx in front of the API
	cd backend && $(PY) -m pytest tests/deploy --db postgres

# Playwright drives Debian's chromium against the real backend serving the fresh build.
test-frontend: install ## the web app: npm ci, API client up to date, Vitest, build + size budget, Playwright e2e
	cd frontend && npm ci --no-audit --no-fund
	cd frontend && npm run client:check
	cd frontend && npx vitest run
	cd frontend && VITE_API_BASE_URL=/api/v1 npm run build && npm run size
	cd frontend && npx playwright test

lint: install ## ruff (lint and format check), mypy and the import layers (lint-imports)
	cd backend && $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy app tests bench square_simulator && $(VENV)/bin/lint-imports

format: install ## apply ruff's formatting and fixes
	cd backend && $(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

bench: install ## print the benchmarks' figures (also written to bench/results.json)
	@mkdir -p bench
	cd backend && $(PY) -m square_simulator bench
	cd backend && $(PY) -m bench.sync_bench --stores 20 --days 365
	cd backend && $(PY) bench/footfall_import.py --results $(ROOT)/bench/results.json
	cd backend && $(PY) -m bench.export_bench --rows 1000000
	cd backend && $(PY) -m bench.chain_bench --stores 50 --years 3
	cd backend && $(PY) -m bench.counter_intake --stores 50 --days 7
	cd backend && $(PY) -m bench.traffic_bench --stores 50

clean: ## remove the virtualenvs and local data (backend/var)
	rm -rf $(VENV) $(TOOLS) backend/var

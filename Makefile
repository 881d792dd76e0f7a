# silobreak: `make demo` runs the main job on the embedded stack, `make test` runs the test suite.
# Both install what they need first. `make help` lists every target.

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .silobreak/tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

.PHONY: help install demo test test-unit up down status lint typecheck format bench clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@echo "installing uv $(UV_VERSION) into $(TOOLS)"
	@python3 -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python 3.11
	@touch $@

infra/s3/node_modules/.installed: infra/s3/package-lock.json
	cd infra/s3 && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.installed infra/s3/node_modules/.installed ## Install Python deps (uv, from uv.lock) and the S3 server (npm)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { echo "PostgreSQL server binaries are missing: apt-get install postgresql-15"; exit 1; }
	@# the governance view's tests drive Debian's headless Chromium
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }; }; } || \
	  { echo "Chromium is missing (the governance view's tests need it): apt-get install chromium"; exit 1; }

demo: install ## Start the embedded stack, generate the demo city, run the feeds, print a summary
	$(RUN) silobreak demo

test: install lint ## Lint, then start an isolated stack (.silobreak/test) and run the whole test suite
	SILOBREAK_STACK=test $(RUN) pytest

test-unit: install ## Only the tests that need no running service
	$(RUN) pytest -m "not integration"

up: install ## Start the embedded stack (Postgres, S3, lineage service, Airflow)
	$(RUN) silobreak up

down: ## Stop the embedded stack (data stays on disk)
	@if [ -x .venv/bin/silobreak ]; then .venv/bin/silobreak down; fi
	@if [ -x .venv/bin/silobreak ]; then SILOBREAK_STACK=test .venv/bin/silobreak down; fi

status: install ## Print what runs where (add ARGS=--json for machines)
	$(RUN) silobreak status $(ARGS)

lint: install ## ruff (incl. Airflow's AIR rules) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: install ## Format the code with ruff
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

clean: down ## Stop the stacks and delete their data (landed objects included!)
	rm -rf .silobreak/demo .silobreak/test

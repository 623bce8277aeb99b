# Backstride: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3

.PHONY: run test lint format bench lock clean help

help:
	@echo "make run    start web + Celery worker + beat on http://127.0.0.1:8000 with demo data"
	@echo "make test   start throwaway PostgreSQL and Redis, run ruff and the whole suite"
	@echo "make bench  benchmarks at clinic-network scale (bench/README.md)"

# The virtualenv is rebuilt whenever a lock file changes.
$(VENV)/.installed-run: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install -q --disable-pip-version-check -r requirements.lock 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import django" && touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.lock
	@$(PIP) install -q --disable-pip-version-check -r requirements-dev.lock 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import pytest" && touch $@

run: $(VENV)/.installed-run
	@mkdir -p $${VAR_DIR:-var}
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} exec scripts/run.sh

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	VENV=$(VENV) scripts/with-services.sh scripts/suite.sh $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed-dev
	WITH_BROWSER=0 scripts/with-services.sh bench/run.sh

lock:
	scripts/lock.sh

clean:
	rm -rf var/ $(VENV)

# Caseloop — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test lint typecheck check install install-dev browser test-services lock messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies only, pinned by requirements/base.txt.
$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Everything the tests need: pinned dev dependencies, Debian's chromium (browser tests) and dovecot (e-mail tests).
$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed-base $@

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev browser test-services

browser:
	@bash scripts/ensure-chromium.sh

# Debian's dovecot-imapd: the e-mail tests start their own IMAP server with it.
test-services:
	@bash scripts/ensure-test-services.sh

## Serve the console with the embedded SQLite database, demo data and an in-process worker.
run: install
	PORT=$(PORT) $(BIN)/caseloop run

## The whole suite (unit, database, concurrency, browser) on SQLite, or on PostgreSQL with DATABASE_URL set.
test: install-dev
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m caseloop makemigrations --check --dry-run

typecheck: install-dev
	$(BIN)/mypy caseloop config

check: lint typecheck test

## Re-pin dependencies after editing pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements/dev.txt

## Rebuild translation catalogues (zh-hant is derived from zh-hans with OpenCC, then compiled).
messages: install-dev
	$(BIN)/python scripts/build_messages.py

bench: install-dev
	$(BIN)/python bench/case_list.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Scoreline: `make demo` and `make test` work on a fresh machine (they create .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev]'
	touch $(STAMP)

## install: create .venv and install Scoreline with its dev tools
install: $(STAMP)

## demo: generate demo data (if none) and build the warehouse end to end
demo: $(STAMP)
	$(BIN)/scoreline demo

## test: run every test family (unit, dbt, pipeline) against real DuckDB and dbt
test: $(STAMP)
	$(BIN)/pytest

## lint: ruff and sqlfluff checks
lint: $(STAMP)
	$(BIN)/ruff check ml orchestration app tests bench
	$(BIN)/ruff format --check ml orchestration app tests bench

## format: apply ruff formatting and fixes
format: $(STAMP)
	$(BIN)/ruff check --fix ml orchestration app tests bench
	$(BIN)/ruff format ml orchestration app tests bench

## docs: build dbt docs (the feature catalog) and serve them on :8080
docs: $(STAMP)
	$(BIN)/scoreline docs --serve

## bench: time generation, a full build and one nightly day (CUSTOMERS=100000 DAYS=365)
bench: $(STAMP)
	$(BIN)/python bench/warehouse_bench.py --customers $(or $(CUSTOMERS),100000) --days $(or $(DAYS),365)

## clean: remove generated data and dbt artifacts (keeps .venv)
clean:
	rm -rf data target logs

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

.PHONY: install demo test lint format docs bench clean help

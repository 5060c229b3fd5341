# Scoreline: `make demo` and `make test` work on a fresh machine (they create .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip uv
	# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as on CI machines) nothing
	# caches .pyc files, and every dbt process would recompile dbt's sources (~1.7 s each)
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	touch $(STAMP)

## install: create .venv and install Scoreline with its dev tools
install: $(STAMP)

## demo: generate demo data (if none) and run the pipeline through Dagster, drift days included
demo: $(STAMP)
	$(BIN)/scoreline demo

## dev: the Dagster UI (assets, checks, schedules, sensor, the demo's runs) on :3000
dev: $(STAMP)
	$(BIN)/scoreline dev

## app: the reports app for business teams on 127.0.0.1:8501 (it shows customer-level data;
##      make app HOST=0.0.0.0 serves it to the network)
HOST ?= 127.0.0.1
app: $(STAMP)
	$(BIN)/scoreline app --host $(HOST)

# A Debian package, from the package lists the machine has, else after refreshing them.
APT_INSTALL = (DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) \
	|| (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1)))

## browser: Debian's chromium for the browser test (installed once, if missing)
browser:
	@test -x /usr/bin/chromium || $(call APT_INSTALL,chromium)

## test: every test family (unit, dbt, model, export, pipeline, app + browser) on real services,
##       except the slow end-to-end tests (make test-slow)
test: $(STAMP) browser
	$(BIN)/pytest -m "not slow"

## java: Debian's OpenJDK 17 for the Spark target and its parity test (installed once, if missing)
java:
	@command -v java >/dev/null || $(call APT_INSTALL,openjdk-17-jre-headless)

## test-slow: the end-to-end tests that each rebuild a warehouse several times, and the Spark
##            parity test (CI runs them too)
test-slow: $(STAMP) browser java
	$(BIN)/pytest -m slow

## lint: ruff (Python: checks and formatting) and sqlfluff (the dbt models, as dbt renders them)
lint: $(STAMP)
	$(BIN)/ruff check ml orchestration app tests bench businesses
	$(BIN)/ruff format --check ml orchestration app tests bench businesses
	$(MAKE) --no-print-directory lint-sql

# sqlfluff's dbt templater compiles each model with the business's declarations; a fixed score
# date and an empty warehouse under .scoreline/ keep it off the real data.
LINT_DATA := .scoreline/lint
lint-sql: $(STAMP)
	@mkdir -p $(LINT_DATA)
	eval "$$(SCORELINE_DATA_DIR=$(LINT_DATA) $(BIN)/scoreline env)" && \
		SCORELINE_SCORE_DATE=2026-01-02 $(BIN)/sqlfluff lint dbt_project/models businesses/subscription/models
	eval "$$(SCORELINE_DATA_DIR=$(LINT_DATA) SCORELINE_BUSINESS_DIR=businesses/cdnow $(BIN)/scoreline env)" && \
		SCORELINE_SCORE_DATE=2026-01-02 $(BIN)/sqlfluff lint businesses/cdnow/models

## format: apply ruff formatting and fixes
format: $(STAMP)
	$(BIN)/ruff check --fix ml orchestration app tests bench businesses
	$(BIN)/ruff format ml orchestration app tests bench businesses

## docs: build dbt docs (the feature catalog) and serve them on :8080
docs: $(STAMP)
	$(BIN)/scoreline docs --serve

## bench: time generation, a full build and one nightly day (CUSTOMERS=100000 DAYS=365)
bench: $(STAMP)
	$(BIN)/python bench/warehouse_bench.py --customers $(or $(CUSTOMERS),100000) --days $(or $(DAYS),365)

## bench-drift: drift detection at 50k customers: false alarms on 30 clean nights, nights until
##              price rise, new channel, longer sessions and a stuck feature warn and alarm (~15 min)
bench-drift: $(STAMP)
	$(BIN)/python -m bench.drift_bench $(if $(CUSTOMERS),--customers $(CUSTOMERS))

## cdnow: the CDNOW purchase log through Scoreline vs BG/NBD (fetches the lifetimes wheel; ~2 min)
cdnow: $(STAMP)
	$(BIN)/python -m bench.cdnow_bench $(if $(HORIZONS),--horizons $(HORIZONS))

## clean: remove generated data and dbt artifacts (keeps .venv)
clean:
	rm -rf data target logs .scoreline

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

.PHONY: install demo dev app browser test test-slow lint lint-sql format docs bench bench-drift cdnow clean help

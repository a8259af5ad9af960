# Two commands on a fresh machine (Python 3.11 with pip and venv): `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export LCW_INPUT_DIR ?= $(CURDIR)/seeds
export LCW_WAREHOUSE ?= $(CURDIR)/warehouse/livecommerce.duckdb
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test ui docs install prepare score bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "need Python 3.11 with venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs from the lock file only when it changed since the last install. Bytecode is compiled at
# install: with PYTHONDONTWRITEBYTECODE set, every dbt and Dagster start would compile its sources again.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: instance/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp instance/dagster.yaml $@

prepare: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster-dbt project prepare-and-package --file dagster_project/dbt_project.py >/dev/null

run: prepare
	$(BIN)/dagster job execute -m dagster_project.definitions -j refresh_warehouse
	$(BIN)/python -m dagster_project.summary

test: prepare
	$(BIN)/python -m pytest -q

ui: prepare
	$(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p 3000

# dbt docs read copies of the published file and the staging store, never the files a refresh writes
# (the store's path from the project's settings, where a refresh takes it).
docs: prepare
	@test -f $(LCW_WAREHOUSE) || { echo "no warehouse at $(LCW_WAREHOUSE): run make run first"; exit 1; }
	mkdir -p warehouse/.docs && cp $(LCW_WAREHOUSE) warehouse/.docs/livecommerce.duckdb
	cp "$$($(BIN)/python -c 'from dagster_project.resources import build_resources; print(build_resources()["warehouse"].staging_path)')" \
	  warehouse/.docs/livecommerce.staging.duckdb
	cd dbt && LCW_BUILD_WAREHOUSE=$(CURDIR)/warehouse/.docs/livecommerce.duckdb \
	  LCW_STAGING_STORE=$(CURDIR)/warehouse/.docs/livecommerce.staging.duckdb $(CURDIR)/$(BIN)/dbt docs generate --profiles-dir . \
	  && $(CURDIR)/$(BIN)/dbt docs serve --profiles-dir . --host 127.0.0.1 --port 8081

score:
	$(BIN)/python ../shared/eval/score.py --warehouse $(LCW_WAREHOUSE) --gold ../shared/eval/dev_gold

# Keeps warehouse/.build: the staging store there is state (without it the next refresh parses every file again).
clean:
	rm -rf dbt/target dbt/logs .pytest_cache

BENCH_SIZES ?= 1000,10000,100000
bench: prepare
	$(BIN)/python bench/run.py --sizes $(BENCH_SIZES)

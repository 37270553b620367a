# RevOps Warehouse. Needs only Python 3.11 and make; everything else is installed here.
#   make run    install (pinned, from uv.lock), generate the default data set, refresh, publish
#   make test   run the whole test suite (what CI runs, after make lint)
#   make test-fast  the edit loop: no browser, no Spark, nothing above the tiny fixture, no
#               test that refreshes again (faults, reruns, nightly baselines)
#   make lint   ruff (lint and format) and SQLFluff (.sqlfluff)
#   make ui     the Dagster UI on http://127.0.0.1:3000
#   make dashboard  the revenue dashboard on http://127.0.0.1:8501
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= s

export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export UV_PYTHON_DOWNLOADS := never

.PHONY: install system-packages run test test-fast ui dashboard lint clean

$(UV):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	touch $@

# Debian packages: Chromium for the browser tests, a Java runtime for the Spark target.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-packages:
	@command -v chromium >/dev/null && command -v java >/dev/null || { \
	  echo "installing Debian packages: chromium default-jre-headless"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium default-jre-headless >/dev/null; }

install: system-packages $(VENV)/.installed

run: install
	$(BIN)/revops generate --scale $(SCALE)
	$(BIN)/revops refresh

test: install
	$(BIN)/pytest

# The markers are declared in pyproject.toml; tests/conftest.py marks the tests of the
# fixtures that refresh a generated company or the example data.
test-fast: install
	$(BIN)/pytest -m "not slow and not browser and not spark and not beyond_tiny and not extra_refreshes"

ui: install
	$(BIN)/revops ui

dashboard: install
	$(BIN)/revops dashboard

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models dbt_project/tests --processes 2

clean:
	rm -rf data warehouse .dagster dbt_project/target dbt_project/logs

# Two commands do all set-up: `make run` starts the service (sandbox by default),
# `make test` runs every check and test. Both install what they need first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck pytest nodetest sandbox bench clean image

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The dashboard's browser libraries (web/package.json; served from web/node_modules).
WEB_STAMP := web/node_modules/.installed
$(WEB_STAMP): web/package.json web/package-lock.json | $(NODE)
	cd web && npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the browser tests (CI runs as root; never a downloaded browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Node.js for the dashboard's packages and node tests, and a Redis server that the tests start
# on free ports of their own (never the machine's standard one).
NODE := /usr/bin/node
$(NODE):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
REDIS := /usr/bin/redis-server
$(REDIS):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server

run: $(STAMP) $(WEB_STAMP)
	$(PY) -m portfolio_rt $(ARGS)

sandbox: $(STAMP)
	$(PY) -m portfolio_rt.sandbox $(ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check portfolio_rt tests bench
	$(VENV)/bin/ruff format --check portfolio_rt tests bench

typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy

pytest: $(TEST_STAMP) $(WEB_STAMP) $(CHROMIUM) $(REDIS)
	$(PY) -m pytest $(PYTEST_ARGS)

# The dashboard's pure modules (formatting, what-if math, sorting, colour ramps, live backoff).
nodetest: $(WEB_STAMP)
	node --test web/tests/

test: lint typecheck nodetest pytest

# The container image, built with podman on an offline Debian base (no Docker engine needed;
# run as root), then checked from the inside: scripts/check_image.py starts the service in
# the image's file system and expects /health, /metrics and a clean exit on SIGTERM.
IMAGE ?= localhost/portfolio-rt:latest
image:
	IMAGE=$(IMAGE) scripts/build_image.sh
	$(PYTHON) scripts/check_image.py $(IMAGE)

bench: $(STAMP)
	$(PY) bench/sandbox_stream.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache

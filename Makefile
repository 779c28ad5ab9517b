# Two commands do all set-up: `make run` starts the service (sandbox by default),
# `make test` runs every check and test. Both install what they need first, from the locks in
# requirements/ (exact versions with hashes), so a fresh machine gets what last passed.
# `make lock` re-resolves after setup.cfg changed; `make upgrade` moves every pin to the newest
# release the ranges allow (or only PACKAGES="a b"). Both then run `make test`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQ := requirements
BUILD_STAMP := $(VENV)/.installed-build
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
TOOLS_STAMP := $(VENV)/.installed-tools
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes

.PHONY: run test lint typecheck layers pytest nodetest sandbox bench clean image lock upgrade

$(PY):
	$(PYTHON) -m venv $(VENV)

# pip, setuptools and wheel at the locked versions: the project itself is then installed
# without build isolation, so no unpinned build backend is fetched either.
$(BUILD_STAMP): $(REQ)/build.txt | $(PY)
	$(PIP_INSTALL) -r $(REQ)/build.txt
	touch $@

$(STAMP): $(BUILD_STAMP) $(REQ)/service.txt setup.cfg pyproject.toml
	$(PIP_INSTALL) -r $(REQ)/service.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

$(TEST_STAMP): $(STAMP) $(REQ)/test.txt $(REQ)/tools.txt
	$(PIP_INSTALL) -r $(REQ)/test.txt -r $(REQ)/tools.txt
	$(PY) -m pip check
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
	$(VENV)/bin/ruff check portfolio_rt tests bench scripts
	$(VENV)/bin/ruff format --check portfolio_rt tests bench scripts

typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy

# The package's layers (setup.cfg [importlinter]): a new back-edge fails here.
layers: $(TEST_STAMP)
	$(VENV)/bin/lint-imports --no-cache

pytest: $(TEST_STAMP) $(WEB_STAMP) $(CHROMIUM) $(REDIS)
	$(PY) -m pytest $(PYTEST_ARGS)

# The dashboard's pure modules (formatting, what-if math, sorting, colour ramps, live backoff).
nodetest: $(WEB_STAMP)
	node --test web/tests/

test: lint typecheck layers nodetest pytest

# The container image, built with podman on an offline Debian base (no Docker engine needed;
# run as root), then checked from the inside: scripts/check_image.py starts the service in
# the image's file system and expects /health, /metrics and a clean exit on SIGTERM.
IMAGE ?= localhost/portfolio-rt:latest
image:
	IMAGE=$(IMAGE) scripts/build_image.sh
	$(PYTHON) scripts/check_image.py $(IMAGE)

bench: $(STAMP)
	$(PY) bench/sandbox_stream.py

# Re-resolve the locks: `lock` keeps every pin the ranges still allow (after an edit of
# setup.cfg), `upgrade` moves them to the newest releases. Each prints what moved and runs
# every check; commit the result on its own, naming what moved.
UV := $(VENV)/bin/uv
UV_COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"
$(TOOLS_STAMP): $(BUILD_STAMP) $(REQ)/tools.txt
	$(PIP_INSTALL) -r $(REQ)/tools.txt
	touch $@

lock: $(TOOLS_STAMP)
	$(MAKE) --no-print-directory relock UV_ARGS="$(UV_ARGS)"
	$(MAKE) --no-print-directory test

upgrade: $(TOOLS_STAMP)
	$(MAKE) --no-print-directory relock \
		UV_ARGS="$(if $(PACKAGES),$(foreach p,$(PACKAGES),--upgrade-package $(p)),--upgrade)"
	$(MAKE) --no-print-directory test

.PHONY: relock
relock:
	before=$$(mktemp -d) && cp $(REQ)/*.txt "$$before"/ \
	&& $(UV_COMPILE) $(UV_ARGS) $(REQ)/build.in -o $(REQ)/build.txt \
	&& $(UV_COMPILE) $(UV_ARGS) $(REQ)/tools.in -o $(REQ)/tools.txt \
	&& $(UV_COMPILE) $(UV_ARGS) setup.cfg -o $(REQ)/service.txt \
	&& $(UV_COMPILE) $(UV_ARGS) setup.cfg --extra test -c $(REQ)/service.txt -o $(REQ)/test.txt \
	&& $(PY) scripts/lock_changes.py "$$before" $(REQ); status=$$?; rm -rf "$$before"; exit $$status

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache

# nexusgen: the two commands in README.md do all set-up on a fresh machine.
#   make render  - install nexusgen into .venv and re-create out/ from services.yaml
#   make test    - install nexusgen, the validators and the Debian tools, then run every test
#   make test-fast - the inner loop: every test not marked slow, on two workers (under a minute)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
BENCH_VENV := .venv-bench
MMDC   := tools/mermaid/node_modules/.bin/mmdc
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: render check test test-fast validate bench tools clean

# Python's default: byte-code caches are written, so the suite's many `python -m nexusgen` runs and
# pytest's rewritten test modules load from cache (a shell that sets PYTHONDONTWRITEBYTECODE=1 would
# make every process compile them again: ~3 s of each worker's collection alone).
unexport PYTHONDONTWRITEBYTECODE

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov>=3.2'

# Debian's Prometheus and Alertmanager bring promtool and amtool; Debian's chromium and node
# run mermaid-cli; Debian's PostgreSQL 15 runs the rendered init script (root, or sudo, needed once).
tools: $(CHECKOV_VENV)/bin/checkov $(MMDC)
	@command -v promtool >/dev/null && command -v amtool >/dev/null && command -v chromium >/dev/null \
	  && [ -x /usr/lib/postgresql/15/bin/initdb ] || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager chromium postgresql-15 >/dev/null; }

# Mermaid's own renderer (pinned by tools/mermaid/package-lock.json), for the diagram tests;
# its bundled browser is not downloaded: Debian's chromium runs it.
$(MMDC): tools/mermaid/package.json tools/mermaid/package-lock.json
	@command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	cd tools/mermaid && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

render: $(VENV)/.base
	$(BIN)/nexusgen render

check: $(VENV)/.base
	$(BIN)/nexusgen check

test: $(VENV)/.test tools
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH" $(BIN)/python -m pytest

test-fast: $(VENV)/.test tools
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH" NEXUSGEN_FAST_TESTS=1 $(BIN)/python -m pytest -q -m "not slow" -n 2

validate: $(VENV)/.test tools
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH" $(BIN)/nexusgen validate

# The peer of the benchmark: cdk8s-plus on node, in its own venv.
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check cdk8s cdk8s-plus-32 pyyaml
	touch $@

# Byte-compiled first, as pip does when it installs the wheel (an editable install does not).
bench: $(VENV)/.base $(BENCH_VENV)/.installed
	$(BIN)/python -m compileall -q nexusgen
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(BENCH_VENV) tools/mermaid/node_modules .pytest_cache .hypothesis build *.egg-info

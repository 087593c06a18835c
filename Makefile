# The two commands of the README are `make demo` and `make test`. Every target
# first runs its own idempotent set-up; stamps make a re-run with nothing
# changed cost only seconds.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
STAMPS := .stamps
ENV := . tools/env.sh &&
APE_NET ?= ethereum:local:foundry
# Two workers (pytest-xdist), each with its own Anvil: the suite is bound by the
# Python client, so this halves its wall time on a 2-core machine. loadgroup
# keeps the command-line tests (one shared node and deployment) on one worker.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: all setup prereqs compile test demo lint bench audit browser report clean distclean

all: test

prereqs:
	@PYTHON=$(PYTHON) tools/check-prereqs.sh

# Python: a project-local virtual environment, pinned by pyproject.toml and
# constraints.txt (the full resolved set, so a fresh machine gets what CI got).
# uv (from PyPI, pinned) resolves and installs the set in seconds where pip takes
# minutes; its cache stays in the project folder. --compile-bytecode: uv does
# not write .pyc files by default, and every `ape` process (two test workers,
# each `ape run` a test starts) would otherwise recompile ape on import (~4 s).
# The Solidity coverage plugin (plugins/ape-solcoverage, its own distribution) is
# installed editable in the same resolution: its pytest11 entry point is what loads it
# in `ape test`; a change to its pyproject.toml (dependencies, entry point) re-installs.
UV_VERSION := 0.13.9
COVERAGE_PLUGIN := plugins/ape-solcoverage
$(STAMPS)/python: pyproject.toml constraints.txt $(COVERAGE_PLUGIN)/pyproject.toml | prereqs
	@mkdir -p $(STAMPS)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir uv==$(UV_VERSION)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) UV_CACHE_DIR=$(CURDIR)/.cache/uv $(VENV)/bin/uv pip install --quiet --compile-bytecode -c constraints.txt -e '.[dev]' -e $(COVERAGE_PLUGIN)
	@touch $@

# Node: solc (solcjs), anvil, OpenZeppelin, exactly as package-lock.json says.
$(STAMPS)/node: package.json package-lock.json | prereqs
	@mkdir -p $(STAMPS)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --cache $(CURDIR)/.cache/npm
	@touch $@

# The compiler wrapper must carry the npm solc version in its file name.
$(STAMPS)/solc: $(STAMPS)/node tools/solc/solc.js
	@v=$$(node -p "require('./node_modules/solc/package.json').version"); \
	  test -x tools/solc/bin/solc-v$$v || { echo "tools/solc/bin/solc-v$$v is missing: the wrapper's name must match the npm solc version $$v" >&2; exit 1; }
	@touch $@

setup: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/solc

# Compile once before anything runs, so that no two ape processes compile at
# the same time; a stale contracts/.cache (left by an interrupted compile) would
# hide sources from ape's 500-file source walk, so it goes first. Whenever a
# source changed, everything is recompiled (--force): ape-solidity 0.8.6
# recompiles only the changed files, not the contracts that import them, so a
# TBillRegistry would keep deploying the old TBillSeries it embeds (seen here).
SOURCES := $(shell find contracts -name '*.sol' -not -path 'contracts/.cache/*')
# The compiled types are then exported into the package (src/sovereign/artifacts/),
# where `ape treasury` finds them from any folder.
$(STAMPS)/contracts: $(SOURCES) ape-config.yaml src/sovereign/artifacts.py | setup
	@rm -rf contracts/.cache
	$(ENV) ape compile --force
	$(ENV) python -m sovereign.artifacts .build/__local__.json
	@touch $@

compile: setup $(STAMPS)/contracts

test: compile
	$(ENV) ape test -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

demo: compile
	$(ENV) ape run demo --network $(APE_NET)

# The transparency page (ape treasury report --html): the demo writes it, from its own
# chain, to reports/transparency/index.html (report.json beside it).
report: demo

# Debian's chromium, for the transparency page's browser test (playwright drives it by
# its executable_path: no browser is ever downloaded). Needs root or sudo; .ci/run calls
# it before make test. Without it, the browser test is skipped, saying why.
browser:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "make browser: install Debian's chromium (apt-get install chromium) as root" >&2; exit 1; fi

lint: setup
	$(ENV) ruff check src scripts tests tools/audit $(COVERAGE_PLUGIN) && ruff format --check src scripts tests tools/audit $(COVERAGE_PLUGIN)

bench: compile
	$(ENV) ape run bench --network $(APE_NET)

# The audit tools (slither) live in their own virtual environment: their pins
# and ape's never meet. Installed only by make audit.
AUDIT_VENV := .venv-audit
$(STAMPS)/audit: constraints-audit.txt | $(STAMPS)/python
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	VIRTUAL_ENV=$(CURDIR)/$(AUDIT_VENV) UV_CACHE_DIR=$(CURDIR)/.cache/uv $(VENV)/bin/uv pip install --quiet --compile-bytecode -r constraints-audit.txt
	@touch $@

# The auditor's run: static analysis (slither, gated by audit/slither-triage.yaml),
# ERC conformance (slither-check-erc), then the whole suite with the deep
# hypothesis profile while Solidity coverage is collected from Anvil's traces
# (the ape-solcoverage plugin, loaded by its entry point; its settings are in
# pyproject.toml's [tool.pytest.ini_options]). Everything lands under reports/.
audit: compile $(STAMPS)/audit
	@mkdir -p reports
	$(ENV) $(AUDIT_VENV)/bin/python tools/audit/slither_gate.py
	$(ENV) $(AUDIT_VENV)/bin/python tools/audit/check_erc.py
	$(ENV) SOVEREIGN_PROFILE=deep ape test -n $(PYTEST_WORKERS) --dist loadgroup --sol-coverage=reports --sol-coverage-gate $(PYTEST_ARGS)

clean:
	rm -rf .build reports/*.json reports/*.html reports/*.xml reports/lcov.info .pytest_cache .hypothesis $(STAMPS)/contracts
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

# Also drop the installed toolchain (the next target re-installs it).
distclean: clean
	rm -rf $(VENV) $(AUDIT_VENV) node_modules .ape .cache $(STAMPS)

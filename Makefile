# One Makefile for people and CI alike. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-dev run test lint pragmas subjects format bench clean docs web api-types

# The Studio (web/) is built with the machine's Node and npm, only when its sources changed.
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print 2>/dev/null)
NEED_NODE = command -v node >/dev/null && command -v npm >/dev/null \
	|| { echo "The Studio (web/) needs Node.js >= 20 and npm, which are not installed: install them (e.g. apt-get install nodejs npm), then run make again." >&2; exit 1; }; \
	node -e 'process.exit(parseInt(process.versions.node) < 20 ? 1 : 0)' \
	|| { echo "The Studio (web/) needs Node.js >= 20; this is $$(node --version): upgrade Node.js, then run make again." >&2; exit 1; }

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

web/node_modules/.installed: web/package.json web/package-lock.json
	@$(NEED_NODE)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/.built: web/node_modules/.installed $(WEB_SOURCES)
	@$(NEED_NODE)
	cd web && npm run build --silent
	touch $@

web: $(if $(wildcard web/package.json),web/dist/.built)  ## build the Studio into web/dist when its sources changed

run: install web  ## start API, worker and scheduler on embedded defaults (127.0.0.1:5000)
	$(BIN)/automator dev

# pytest-xdist workers: most tests wait (on processes they start, timers, polls), so two
# workers overlap those waits on two cores. Each has its own Redis server, temporary
# directories and free ports; 0 runs pytest in one process.
TEST_WORKERS ?= 2

test: install-dev web  ## every test (the Studio's unit tests, then pytest: real Redis, SQLite, Chromium)
	$(if $(wildcard web/package.json),cd web && npm test --silent)
	$(BIN)/pytest -n $(TEST_WORKERS) --cov --cov-report=term:skip-covered

# Commits up to this one are checked already (af64ca3's subject went in at 73 characters,
# f096bc1's at 74, e075ec7's at 73, and main's history is never rewritten); every later
# subject must fit in 72 characters.
SUBJECTS_SINCE ?= e075ec7

lint: install-dev  ## ruff, formatting, mypy strict, import contracts, commit subjects
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	@$(MAKE) --no-print-directory pragmas
	$(BIN)/mypy
	$(BIN)/lint-imports
	@$(MAKE) --no-print-directory subjects

pragmas:  ## refuse `# fmt: skip` and `# fmt: off`: the formatter formats
	@if grep -rnE "# fmt: (skip|off)" app tests bench; then \
		echo "the formatter formats: remove these (a table that needs its alignment: CONTRIBUTING.md)"; \
		exit 1; fi

subjects:  ## refuse commit subjects over 72 characters (`area: what changed`, why in the body)
	@range=$(SUBJECTS_SINCE)..HEAD; \
	if ! git rev-parse --verify --quiet $(SUBJECTS_SINCE)^{commit} >/dev/null; then \
		echo "subjects: $(SUBJECTS_SINCE) is not in this clone (shallow?): checking HEAD only"; range="-1 HEAD"; fi; \
	git log --format=%s $$range | awk 'length($$0) > 72 { print "subject over 72 characters: " $$0; bad = 1 } END { exit bad }'

format: install-dev
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench

BENCH_ARGS ?=
bench: install-dev  ## wrk drives the load; BENCH_ARGS="--profile var/profiles" adds py-spy; see bench/README.md
	@command -v wrk >/dev/null || { echo "make bench drives load with wrk: apt-get install wrk (Debian, Ubuntu) or brew install wrk (macOS)"; exit 2; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

docs: install  ## regenerate docs/configuration.md from the settings class
	{ cat docs/configuration.md.head; $(BIN)/python -c 'from app.settings import configuration_table; print(configuration_table(), end="")'; } > docs/configuration.md

api-types: install web/node_modules/.installed  ## regenerate web/src/api/schema.d.ts from /openapi.json
	mkdir -p var
	$(BIN)/python -m app.openapi_dump > var/openapi.json
	cd web && npm run gen:api

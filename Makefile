# Everyday targets. `make up` runs the product; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
PY_SOURCES := $(wildcard api graph schema analytics commonground seed_data tests bench)
# Where `make up` serves, e.g. `make up PORT=8080` or `make up HOST=0.0.0.0`; BOLT_PORT picks
# the local Neo4j's port the first time it starts (later starts reuse it). Set on the make
# command line only: the environment's HOST or PORT often mean something else.
HOST = 127.0.0.1
PORT = 8000
BOLT_PORT =

.PHONY: up test bench venv lint typecheck sdl browser-deps web clean-data help

help:
	@echo "make up     - install, start the local Neo4j (unless NEO4J_URI), seed the demo, serve :8000"
	@echo "              (make up PORT=8080 HOST=0.0.0.0 BOLT_PORT=7688 to choose where)"
	@echo "make test   - install with test extras, then lint, type checks and the whole test suite"
	@echo "make bench  - every benchmark at S, M and L (about 100 min; docs/benchmarks.md)"

# A first install takes a minute or two, and a silent minute reads as a hang: pip prints each
# package (no --quiet), and $(call beat,WHAT,COMMAND) adds "… still WHAT (N s)" every 5 s
# while COMMAND runs, for the stretches where it prints nothing (venv installing pip, pip
# unpacking packages: about 15 and 35 s on a cold machine).
PIP := $(BIN)/pip install
beat = ( n=0; while sleep 5; do n=$$((n + 5)); echo "  … still $(1) ($$n s)"; done ) & \
	b=$$!; $(2); s=$$?; kill $$b; wait $$b 2>/dev/null; exit $$s

$(BIN)/python:
	@echo "Creating the virtual environment $(VENV) (the commonground command lands in $(BIN))"
	@$(call beat,creating $(VENV),$(PYTHON) -m venv $(VENV))
	@$(call beat,upgrading pip,$(PIP) --upgrade pip)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "Installing Common Ground and its dependencies into $(VENV)"
	@$(call beat,installing,$(PIP) -e .)
	@touch $@

$(STAMP): $(BIN)/python pyproject.toml
	@echo "Installing Common Ground with its test tools into $(VENV)"
	@$(call beat,installing,$(PIP) -e ".[test]")
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

# The demo company goes only into the local database, never into one named by NEO4J_URI.
up: $(VENV)/.installed
	@if [ -z "$$NEO4J_URI" ]; then \
	  $(BIN)/commonground db start $(if $(BOLT_PORT),--bolt-port $(BOLT_PORT)) >/dev/null && \
	  $(BIN)/commonground seed --if-empty; \
	else \
	  echo "NEO4J_URI is set: serving $$NEO4J_URI without loading the demo company"; \
	fi
	$(BIN)/commonground serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/lint-imports
	$(BIN)/python -m tests.check_cypher_hygiene

typecheck: $(STAMP)
	$(BIN)/mypy api graph schema analytics commonground

sdl: $(STAMP)
	$(BIN)/python -c "from api.graphql.schema import sdl; open('schema/schema.graphql','w').write(sdl())"

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

# Its own Neo4j in BENCH_DIR; results in bench/results/<date>.json (docs/benchmarks.md).
BENCH_DIR ?= /tmp/cg-bench
bench: $(STAMP)
	$(BIN)/python -m bench.run --data-dir $(BENCH_DIR) --force-l --rust-off-venv $(BENCH_DIR)-norust-venv

clean-data:
	-$(BIN)/commonground db stop
	rm -rf .commonground

# Everyday targets. `make up` runs the product; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
PY_SOURCES := $(wildcard api graph schema analytics commonground seed_data tests bench)

.PHONY: up test bench venv lint typecheck sdl browser-deps web clean-data help

help:
	@echo "make up     - install, start the local Neo4j (unless NEO4J_URI), seed the demo, serve :8000"
	@echo "make test   - install with test extras, then lint, type checks and the whole test suite"
	@echo "make bench  - every benchmark at S, M and L (about 100 min; docs/benchmarks.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

# The demo company goes only into the local database, never into one named by NEO4J_URI.
up: $(VENV)/.installed
	@if [ -z "$$NEO4J_URI" ]; then \
	  $(BIN)/commonground db start && \
	  $(BIN)/commonground seed --if-empty; \
	else \
	  echo "NEO4J_URI is set: serving $$NEO4J_URI without loading the demo company"; \
	fi
	$(BIN)/commonground serve --host 127.0.0.1 --port 8000

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

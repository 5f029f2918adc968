# The book's commands. Each sets up .venv from the pinned requirements first (once).
#   make book               execute every chapter with papermill, then build the HTML (warnings = errors)
#   make book PARAMS=name   the same with the parameter set data/params/name/
#   make test               unit tests, notebook tests (nbval), book build and parameter tests
#   make bench              benchmarks (not part of the tests)
#   make portable           re-execute and re-test under another CPU/BLAS; fail on any change

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?=

.PHONY: setup execute book test bench lint portable clean

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m book_kernel
	touch $(STAMP)

setup: $(STAMP)

execute: setup
	$(BIN)/python tools/run_chapters.py $(if $(PARAMS),--params $(PARAMS))

book: execute
	$(BIN)/jupyter-book build . -W -n --keep-going

test: setup
	$(BIN)/python -m pytest

portable: setup
	bash tools/check_portable.sh

bench: setup
	$(BIN)/python tests/benchmarks/bench.py

lint: setup
	$(BIN)/ruff check lib tests tools

clean:
	rm -rf _build .pytest_cache

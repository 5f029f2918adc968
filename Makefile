# The book's commands. Each sets up .venv from the pinned requirements first (once).
#   make book               execute every chapter with papermill, then build the HTML (warnings = errors)
#   make book PARAMS=name   the same with the parameter set data/params/name/
#   make test               unit tests, notebook tests (nbval), book build and parameter tests
#   make bench              benchmarks (not part of the tests)
#   make portable           re-execute and re-test under another CPU/BLAS; fail on any change
#   make pdf                the whole book as one PDF, _build/html/from-spikes-to-rhythms.pdf (offline)
#   make sweep CONFIG=data/sweeps/NAME.yaml [WORKERS=2] [SCHEDULER=tcp://host:8786]
#                           run a parameter sweep on Dask into data/sweeps/results/ (resumable)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?=

.PHONY: setup execute book test bench lint portable clean
.PHONY: sweep
.PHONY: pdf

# The set-up installs with uv (pinned here): it downloads in parallel and compiles nothing at
# install; compiling every installed module to bytecode took pip ~45 s of the ~80 s set-up. The
# modules the book imports are compiled on first import instead, and that bytecode is kept:
# PYTHONDONTWRITEBYTECODE, set on some machines (these), would make every kernel compile its
# imports from source again (import cells 2-4 s -> 8-11 s), so the book's commands unset it.
# uv installs exactly the versions of requirements.txt and constraints.txt, as pip would.
UV_VERSION := 0.13.8
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	$(BIN)/python -m book_kernel
	touch $(STAMP)

# The browser tests (tests/test_browser.py) drive the system's Chromium, the Debian package
# `chromium`; Playwright never downloads a browser. As root (CI) the set-up installs it where
# missing; otherwise it says how, and the browser tests are skipped until it is there.
setup: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && apt-get install -y --no-install-recommends chromium; \
	  else \
	    echo "setup: Chromium is missing; tests/test_browser.py needs it and is skipped without it." >&2; \
	    echo "setup: install the Debian package as root: apt-get install -y chromium" >&2; \
	  fi; }

execute: setup
	$(BIN)/python tools/run_chapters.py $(if $(PARAMS),--params $(PARAMS))

book: execute
	$(BIN)/jupyter-book build . -W -n --keep-going

test: setup
	$(BIN)/python -m pytest

# The PDF: the single-page HTML of the executed chapters (as committed; `make book` first to
# re-execute), printed by Chromium once MathJax is done. Every page's download menu links to it.
BOOK_PDF := _build/html/from-spikes-to-rhythms.pdf
pdf: setup
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python tools/print_pdf.py _build/singlehtml $(BOOK_PDF)

portable: setup
	bash tools/check_portable.sh

bench: setup
	$(BIN)/python tests/benchmarks/bench.py

lint: setup
	$(BIN)/ruff check lib tests tools

clean:
	rm -rf _build .pytest_cache

WORKERS ?= 2
SCHEDULER ?=
sweep: setup
	@test -n "$(CONFIG)" || { echo "usage: make sweep CONFIG=data/sweeps/NAME.yaml [WORKERS=2] [SCHEDULER=tcp://host:8786]"; exit 2; }
	$(BIN)/python -m neural_dynamics.sweep $(CONFIG) --out data/sweeps/results --chunks _build/sweeps/chunks $(if $(SCHEDULER),--scheduler $(SCHEDULER),--workers $(WORKERS))

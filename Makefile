# Everything runs inside a local virtual environment built from the exact
# pins in requirements.txt; `make book` and `make test` create it on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Chapters that are notebooks (MyST Markdown with a kernel); `make reference`
# executes them into tests/notebooks, the reference copies that every test run
# compares the book's executed chapters with.
NOTEBOOKS := index.md $(wildcard chapters/*.md)

.PHONY: runs book test unit lint browser chromium pdf bench reference portable clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Figures are also written as SVG and PNG to _build/figures/figures and
# published with the book under figures/.
FIGURES := _build/figures/figures

# Processes for the named runs (opsd/runs.py): every stale run is computed
# before anything reads it, each seeded, so -j changes the time, not the numbers.
JOBS ?= 2

runs: $(STAMP)
	$(BIN)/python -m opsd.runs build -j $(JOBS)

# The book build executes every chapter once (reading the named runs); --all
# re-reads every page, so a change to opsd alone still re-executes them all.
book: runs
	mkdir -p $(FIGURES)
	rm -rf _build/jupyter_execute
	$(BIN)/jupyter-book build --all --warningiserror --keep-going .

# Unit tests; the book, every chapter executed once; the executed chapters
# compared with the reference notebooks by nbval's rules; then every page in
# headless Chromium with the network cut off.
test: $(STAMP) chromium
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory book
	$(BIN)/python -m pytest tests/executed
	$(BIN)/python -m pytest tests/browser

browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser

# Debian's Chromium for the browser test (playwright drives it; it never downloads a browser).
# Installing it needs root; without root, one line says how, and the target fails.
CHROMIUM ?= chromium
chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || { \
		echo "make test: the browser test needs Chromium; install it with 'sudo apt-get install chromium' and run make test again" >&2; \
		exit 1; }

# The HTML book printed to one PDF by Chromium (figures and typeset math as on screen).
pdf: book chromium
	$(BIN)/python scripts/book_pdf.py

unit: $(STAMP)
	$(BIN)/python -m pytest

# ruff, configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .

# Regenerate the executed reference notebooks after a deliberate change of
# a chapter or of a number; `git diff tests/notebooks` shows what moved.
reference: runs
	$(BIN)/python tests/make_reference.py $(NOTEBOOKS)

# Every named run recomputed into a fresh cache, then the book built and its
# executed chapters compared with the references, under each OpenBLAS kernel
# this CPU accepts, with NumPy kept to that CPU's instructions
# (scripts/portable.py says which ran).  Not part of `make test`: some
# machines set OPENBLAS_CORETYPE themselves, and CI must run on whatever its
# machine chose.
portable: $(STAMP)
	$(BIN)/python scripts/portable.py

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bootstrap_speed.py
	$(BIN)/python tests/benchmarks/backtest_speed.py

clean:
	rm -rf _build

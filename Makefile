# Everything runs inside a local virtual environment built from the exact
# pins in requirements.txt; `make book` and `make test` create it on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Chapters that are notebooks (MyST Markdown with a kernel) and their
# executed reference copies, which nbval compares against on every test run.
NOTEBOOKS := index.md $(wildcard chapters/*.md)

.PHONY: book test unit lint browser chromium pdf bench reference portable clean

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

book: $(STAMP)
	mkdir -p $(FIGURES)
	$(BIN)/jupyter-book build --warningiserror --keep-going .

# Unit tests, nbval on the reference notebooks, the book with warnings as
# errors, then every page in headless Chromium with the network cut off.
test: $(STAMP) chromium
	$(BIN)/python -m pytest --nbval --nbval-current-env
	mkdir -p $(FIGURES)
	$(BIN)/jupyter-book build --warningiserror --keep-going .
	$(BIN)/python -m pytest tests/browser

browser: $(STAMP) chromium
	$(BIN)/python -m pytest tests/browser

# Debian's Chromium for the browser test (playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

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
reference: $(STAMP)
	$(BIN)/python tests/make_reference.py $(NOTEBOOKS)

# nbval under two other OpenBLAS kernels that every x86-64 machine can run:
# a stored output that depends on the CPU fails here before it is committed.
# Run it after `make reference`.  Not part of `make test`: some machines set
# OPENBLAS_CORETYPE themselves, and CI must run on whatever its machine chose.
CORETYPES := Prescott Sandybridge

portable: $(STAMP)
	@for core in $(CORETYPES); do \
		echo "nbval with OPENBLAS_CORETYPE=$$core"; \
		OPENBLAS_CORETYPE=$$core $(BIN)/python -m pytest --nbval --nbval-current-env -p no:cacheprovider -q \
			tests/notebooks || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bootstrap_speed.py
	$(BIN)/python tests/benchmarks/backtest_speed.py

clean:
	rm -rf _build

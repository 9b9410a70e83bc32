# Everything runs inside a local virtual environment built from the exact
# pins in requirements.txt; `make book` and `make test` create it on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Chapters that are notebooks (MyST Markdown with a kernel) and their
# executed reference copies, which nbval compares against on every test run.
NOTEBOOKS := index.md $(wildcard chapters/*.md)

.PHONY: book test unit bench reference clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build --warningiserror --keep-going .

# Unit tests, nbval on the reference notebooks, then the book with warnings as errors.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval --nbval-current-env
	$(BIN)/jupyter-book build --warningiserror --keep-going .

unit: $(STAMP)
	$(BIN)/python -m pytest

# Regenerate the executed reference notebooks after a deliberate change of
# a chapter or of a number; `git diff tests/notebooks` shows what moved.
reference: $(STAMP)
	$(BIN)/python tests/make_reference.py $(NOTEBOOKS)

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bootstrap_speed.py

clean:
	rm -rf _build

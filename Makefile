# Common targets. Every target that needs Python sets up .venv first (CPU torch pinned).
# A GPU user: `make venv TORCH_SPEC="torch --index-url <your CUDA wheel index>"`, or install
# torch first in an environment of your own, then the line of README.md, "Installing".
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.skspider-installed

LINT_PATHS := skspider tests benchmarks docs examples

.PHONY: venv test test-fast lint format paper-table bench docs docs-check clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	# Naming the installed torch keeps pip from replacing it for an extra (README, "Installing").
	$(BIN)/python -m pip install --quiet -e ".[test,docs]" "torch==$$($(BIN)/python -c 'import torch; print(torch.__version__)')"
	touch $(STAMP)

## test: lint, the whole test suite, then the docs with their gallery (what CI runs)
test: venv lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider
	$(MAKE) --no-print-directory docs-check

## test-fast: the suite without tests marked slow
test-fast: venv
	$(BIN)/python -m pytest -n 2 -m "not slow" -p no:cacheprovider

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: venv
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

## paper-table: the main job: the paper's tau_w table recomputed from the shipped figures
paper-table: venv
	$(BIN)/python benchmarks/paper_table.py --check

bench: venv
	$(BIN)/python benchmarks/paper_table.py --json benchmarks/results/paper_table.json

## docs: the HTML pages in docs/_build/html (the gallery's examples rerun when they change)
docs: venv
	$(BIN)/python -m sphinx -W -b html docs docs/_build/html

## docs-check: a fresh build with warnings as errors, every gallery example run (part of test)
docs-check: venv
	rm -rf docs/_build/check docs/auto_examples
	$(BIN)/python -m sphinx -W -q -b html docs docs/_build/check

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

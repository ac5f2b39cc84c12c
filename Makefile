# Common targets. Every target that needs Python sets up .venv first (CPU torch pinned).
# A GPU user: `make venv TORCH_SPEC="torch --index-url <your CUDA wheel index>"`, or install
# torch first in an environment of your own, then the line of README.md, "Installing".
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.skspider-installed
TEST_STAMP := $(VENV)/.skspider-test-installed
# Naming the installed torch keeps pip from replacing it for an extra (README, "Installing").
SAME_TORCH = "torch==$$($(BIN)/python -c 'import torch; print(torch.__version__)')"

LINT_PATHS := skspider tests benchmarks docs examples

.PHONY: venv venv-test demo test test-fast lint format paper-table bench docs docs-check clean

# venv: torch and the package with matplotlib (what the demo needs, a quick set-up);
# venv-test adds the test and docs extras.
venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[plotting]" $(SAME_TORCH)
	touch $(STAMP)

venv-test: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,docs]" $(SAME_TORCH)
	touch $(TEST_STAMP)

## demo: the main job: Model Spider ranks the built-in zoo's PTMs for a held-out task
demo: venv
	$(BIN)/skspider demo

## test: lint, the whole test suite, then the docs with their gallery (what CI runs)
test: venv-test lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider
	$(MAKE) --no-print-directory docs-check

## test-fast: the suite without tests marked slow
test-fast: venv-test
	$(BIN)/python -m pytest -n 2 -m "not slow" -p no:cacheprovider

lint: venv-test
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: venv-test
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

## paper-table: the paper's tau_w table recomputed from the shipped figures
paper-table: venv
	$(BIN)/python benchmarks/paper_table.py --check

bench: venv
	$(BIN)/python benchmarks/paper_table.py --json benchmarks/results/paper_table.json

## docs: the HTML pages in docs/_build/html (the gallery's examples rerun when they change)
docs: venv-test
	$(BIN)/python -m sphinx -W -b html docs docs/_build/html

## docs-check: a fresh build with warnings as errors, every gallery example run (part of test)
docs-check: venv-test
	rm -rf docs/_build/check docs/auto_examples
	$(BIN)/python -m sphinx -W -q -b html docs docs/_build/check

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Common targets. Every target that needs Python sets up .venv first (CPU torch pinned).
# A GPU user: `make venv TORCH_SPEC="torch --index-url <your CUDA wheel index>"`, or install
# torch first in an environment of your own, then the line of README.md, "Installing".
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.skspider-installed

.PHONY: venv demo test test-fast lint format paper-table bench docs clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	# Naming the installed torch keeps pip from replacing it for an extra (README, "Installing").
	$(BIN)/python -m pip install --quiet -e ".[test]" "torch==$$($(BIN)/python -c 'import torch; print(torch.__version__)')"
	touch $(STAMP)

## demo: the main job: Model Spider ranks the built-in zoo's PTMs for a held-out task
demo: venv
	$(BIN)/skspider demo

## test: lint, then the whole test suite (what CI runs)
test: venv lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

## test-fast: the suite without tests marked slow
test-fast: venv
	$(BIN)/python -m pytest -n 2 -m "not slow" -p no:cacheprovider

lint: venv
	$(BIN)/ruff check skspider tests benchmarks docs
	$(BIN)/ruff format --check skspider tests benchmarks docs

format: venv
	$(BIN)/ruff format skspider tests benchmarks docs
	$(BIN)/ruff check --fix skspider tests benchmarks docs

## paper-table: the paper's tau_w table recomputed from the shipped figures
paper-table: venv
	$(BIN)/python benchmarks/paper_table.py --check

bench: venv
	$(BIN)/python benchmarks/paper_table.py --json benchmarks/results/paper_table.json

docs: venv
	$(BIN)/python -m pip install --quiet -e ".[docs]" "torch==$$($(BIN)/python -c 'import torch; print(torch.__version__)')"
	$(BIN)/python -m sphinx -W -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

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

# The oldest scikit-learn supported (pyproject.toml: >=1.6; its last 1.6 release) and the
# tests run on it by test-oldest (one process: xdist's two workers would each import torch
# and collect the 1,200 tests, more CPU for no gain at this size).
SKLEARN_OLDEST := 1.6.1
OLDEST_DIR := $(VENV)/sklearn-oldest
OLDEST_STAMP := $(OLDEST_DIR)/.installed-$(SKLEARN_OLDEST)
OLDEST_TESTS := tests/test_common.py tests/test_sklearn_compat.py skspider/_sklearn_compat.py \
	tests/base tests/metrics tests/dummy tests/tasks/test_tasks_tokenizer.py \
	tests/transferability/test_contract.py tests/transferability/test_engine.py \
	tests/transferability/test_ranker.py tests/spider/test_ranker.py \
	tests/spider/test_rerank.py tests/spider/test_model_selection.py
# joblib workers, not scikit-learn: a third of the time, and the main suite runs it.
OLDEST_DESELECT := \
	--deselect tests/transferability/test_ranker.py::test_lazy_arrays_and_parallel_jobs_agree
# Fails unless `import sklearn` is the release asked for (argv[1]), not the venv's own.
define OLDEST_CHECK
import sys, numpy, scipy, sklearn
print(f"scikit-learn {sklearn.__version__} ({sklearn.__file__}), numpy {numpy.__version__}, scipy {scipy.__version__}")
sys.exit(0 if sklearn.__version__ == sys.argv[1] else f"expected scikit-learn {sys.argv[1]}")
endef
export OLDEST_CHECK

.PHONY: venv venv-test demo test test-fast test-oldest lint format paper-table bench docs docs-check clean

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

# From nothing, one install of every extra the tests need (building the editable package
# once, not twice); on top of a demo venv, the test and docs extras.
$(TEST_STAMP): pyproject.toml
	if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then \
		$(BIN)/python -m pip install --quiet -e ".[test,docs]" $(SAME_TORCH); \
	else \
		$(PYTHON) -m venv $(VENV) && \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" && \
		$(BIN)/python -m pip install --quiet -e ".[plotting,test,docs]" $(SAME_TORCH) && \
		touch $(STAMP); \
	fi
	touch $(TEST_STAMP)

## demo: the main job: Model Spider ranks the built-in zoo's PTMs for a held-out task
demo: venv
	$(BIN)/skspider demo

## test: lint, the whole test suite, then, side by side, its scikit-learn part on the
## oldest scikit-learn supported and the docs with their gallery (what CI runs)
test: venv-test lint
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider
	OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j2 --output-sync=target test-oldest docs-check

## test-fast: the suite without tests marked slow
test-fast: venv-test
	$(BIN)/python -m pytest -n 2 -m "not slow" -p no:cacheprovider

## test-oldest: the tests that lean on scikit-learn (its common estimator checks, parameter
## validation, the estimator and ranker APIs, skspider/_sklearn_compat.py) on the oldest
## scikit-learn of pyproject.toml's range. Only scikit-learn is installed, beside the venv
## (no second torch); numpy, scipy and torch are the venv's. PYTHONPATH puts it first.
test-oldest: venv-test $(OLDEST_STAMP)
	PYTHONPATH=$(OLDEST_DIR):. $(BIN)/python -c "$$OLDEST_CHECK" $(SKLEARN_OLDEST)
	PYTHONPATH=$(OLDEST_DIR):. $(BIN)/python -m pytest -p no:xdist -p no:cacheprovider \
		-m "not slow" $(OLDEST_TESTS) $(OLDEST_DESELECT)

$(OLDEST_STAMP): $(STAMP)
	rm -rf $(OLDEST_DIR)
	$(BIN)/python -m pip install --quiet --no-deps --only-binary=:all: \
		--target $(OLDEST_DIR) "scikit-learn==$(SKLEARN_OLDEST)"
	touch $(OLDEST_STAMP)

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

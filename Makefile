# Every target does its own set-up: a local virtual environment in .venv with the package
# installed in editable mode. The stamp file re-runs the install when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-slow lint typecheck demo bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,plot]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs
	$(BIN)/ruff format --check src tests benchmarks examples docs

typecheck: $(STAMP)
	$(BIN)/mypy

# One test process per core, each file in one process (its module-scoped fixtures, such as a
# Dask cluster, are built once): numba compiles the engine per configuration, several seconds
# each on an empty cache, and the processes share those compilations through the disk cache.
TEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# The demo has its own environment with sigmanet's core dependencies only (no test extra),
# so it shows what `pip install sigmanet` is enough for.
DEMO_VENV  := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed

$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/sigmanet demo

# PyTorch is an optional peer of the benchmarks, never a test dependency. `make bench
# WITH_TORCH=1` installs the pinned CPU build (an unpinned torch pulls a multi-GB GPU build).
bench: $(STAMP)
	$(if $(WITH_TORCH),$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0)
	$(BIN)/python benchmarks/run.py

# The documentation has its own virtual environment and extra (sphinx, numpydoc,
# sphinx-gallery); warnings are errors, and the gallery's examples run during the build.
DOCS_VENV  := .venv-docs
DOCS_STAMP := $(DOCS_VENV)/.installed

$(DOCS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	rm -rf docs/_build docs/auto_examples docs/sg_execution_times.rst
	$(DOCS_VENV)/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(DOCS_VENV) $(DEMO_VENV) build src/*.egg-info .pytest_cache .ruff_cache .mypy_cache \
		docs/_build docs/auto_examples

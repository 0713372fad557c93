# Every target does its own set-up: a local virtual environment in .venv with the package
# installed in editable mode. The stamp file re-runs the install when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-slow lint typecheck demo bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,plot]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

demo: $(STAMP)
	$(BIN)/sigmanet demo

# PyTorch is an optional peer of the benchmarks, never a test dependency. `make bench
# WITH_TORCH=1` installs the pinned CPU build (an unpinned torch pulls a multi-GB GPU build).
bench: $(STAMP)
	$(if $(WITH_TORCH),$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache .mypy_cache

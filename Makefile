# Two commands do everything on a fresh machine:
#   make lab    create .venv if missing, install everything, open JupyterLab on the first notebook
#   make test   create the same environment if missing, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
LAB_ARGS ?=
# JupyterLab refuses to start as root (containers, CI) unless told.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test env clean-env bench

env: $(STAMP)

# Re-install whenever the dependency list or the pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[lab,test]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_ARGS) $(LAB_ARGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean-env:
	rm -rf $(VENV)

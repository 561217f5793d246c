# Two commands do everything on a fresh machine:
#   make lab    create .venv if missing, install everything, open JupyterLab on the first notebook
#   make test   create the same environment if missing, then run the whole test suite
# For instructors (docs/instructor.md):
#   make exercises                          regenerate solutions/ from tools/exercises.py, exercises/ with nbgrader
#   make grade SUBMISSIONS=dir|zip [OUT=dir]  grade submissions in a sandbox (bubblewrap) into OUT (default grading-output)
#   make bundle                             dist/lrcourse-student.zip: no solutions, no hidden tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
LAB_ARGS ?=
# JupyterLab refuses to start as root (containers, CI) unless told.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test env clean-env bench exercises grade bundle

env: $(STAMP)

# Re-install whenever the dependency list or the pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[lab,test,instructor,browser]'
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_ARGS) $(LAB_ARGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

exercises: $(STAMP)
	$(BIN)/python tools/exercises.py
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbgrader generate_assignment "*" --no-db --force

SUBMISSIONS ?=
OUT ?= grading-output
TIME_LIMIT ?= 120
MEMORY_LIMIT ?= 2048
# UNSAFE=1 grades without the sandbox: only for notebooks you trust.
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-or-zip [OUT=folder] [TIME_LIMIT=seconds] [MEMORY_LIMIT=MB]"; exit 2; }
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" "$(OUT)" --time-limit $(TIME_LIMIT) --memory-limit $(MEMORY_LIMIT) $(if $(UNSAFE),--unsafe)

bundle: $(STAMP)
	$(BIN)/python tools/bundle.py dist/lrcourse-student.zip

clean-env:
	rm -rf $(VENV)

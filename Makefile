# Learners (README.md, "Two commands"):
#   make lab          create .venv if missing (JupyterLab, PyTorch for the CPU, matplotlib, ...)
#                     and open JupyterLab on the first lesson, served from this folder so the
#                     lessons' links to exercises/ work
#   make env          only create or update .venv (make dev-env: only .venv-dev)
# Developers and instructors use a second environment, .venv-dev: the learner's packages plus
# pytest, nbgrader and Playwright (1.8 GB against 1.5 GB), so a learner never gets them.
#   make test         create .venv and .venv-dev if missing, run the whole test suite from
#                     .venv-dev (the browser test starts JupyterLab from .venv, as make lab does)
#   make instructor   JupyterLab from .venv-dev, with nbgrader's menu, same folder and first page
#   make notebooks                            regenerate notebooks/ from tools/notebooks/*.py (py:percent)
#   make exercises                            regenerate solutions/ from tools/exercises.py, exercises/ with nbgrader
#   make grade SUBMISSIONS=dir|zip [OUT=dir]  grade submissions in a sandbox (bubblewrap) into OUT (default grading-output)
#   make bundle                               dist/lrcourse-student.zip: no solutions, no hidden tests
#   make site         the course website in build/site/html (tools/website.py); make test-site checks it in Chromium
#   make bench                                benchmarks/bench_core.py
#   make lock         re-resolve requirements/lab-lock.txt, check it against a fresh learner environment
#   make lab-command  print the JupyterLab command line make lab runs (see LAB_CMD below)
#   make hub          a workshop's JupyterHub on this machine (deploy/README.md); make hub-env only installs it
#   make clean-env    remove the environments
PYTHON ?= python3
VENV     ?= .venv
DEV_VENV ?= .venv-dev
BIN      := $(VENV)/bin
DEV_BIN  := $(DEV_VENV)/bin
STAMP     := $(VENV)/.installed
DEV_STAMP := $(DEV_VENV)/.installed
# Every package of the learner environment at a fixed version (made by `make lock`). Given to
# pip as constraints, so it fixes versions without adding packages; `make lab LOCK=` skips it.
LOCK ?= requirements/lab-lock.txt
PIP_CONSTRAINTS = -c constraints.txt $(if $(LOCK),-c $(LOCK))
PYTEST_ARGS ?=
LAB_ARGS ?=
# JupyterLab refuses to start as root (containers, CI) unless told.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)
START_PAGE := notebooks/00_start_here.ipynb
# The server's root is this folder, so the lessons' "../exercises/..." links resolve; the
# browser opens on the first lesson. `make -s lab-command` prints the command line `make lab`
# runs, variables filled in, and installs nothing: tests/test_browser.py starts JupyterLab with
# it (run it from this folder). Add options through LAB_ARGS (e.g. LAB_ARGS="--no-browser
# --port=8899"), never a second value for one already in the line: JupyterLab refuses to start
# when an option is given twice. LAB_ROOT serves another folder (a copy of this one).
LAB_ROOT ?= $(CURDIR)
lab_cmd = $(1)/jupyter lab --ServerApp.root_dir=$(LAB_ROOT) --LabApp.default_url=/lab/tree/$(START_PAGE) $(ROOT_ARGS) $(LAB_ARGS)
LAB_CMD = $(strip $(call lab_cmd,$(BIN)))
comma := ,
LEARNER_NOTE := Installing the learner environment in $(VENV): JupyterLab, ipywidgets, PyTorch (CPU build), numpy, matplotlib, scikit-learn. About 1.5 GB; the first time takes a few minutes (pip shows its progress).
DEV_NOTE := Installing the developer environment in $(DEV_VENV): the learner packages plus pytest, nbgrader, Playwright, JupyterHub and Sphinx (for the website). About 1.8 GB; the first time takes a few minutes.

.PHONY: lab env dev-env test instructor notebooks site test-site bench exercises grade bundle lock lab-command clean-env hub hub-env hub-command test-hub
# Both environments' editable installs write lrcourse.egg-info in this folder: never run two
# recipes at once, even under make -j.
.NOTPARALLEL:

# $(call venv_install,FOLDER,EXTRAS,NOTE): create FOLDER if needed, install the package with
# EXTRAS under the pins, then mark it done. The .gitignore inside keeps git from listing the
# environment (Python 3.13's venv writes the same file). tools/torch_source.py picks the
# PyTorch build (CPU on Linux without an NVIDIA GPU) and says which on stderr. NO_BOX hides
# setuptools' boxed notice about editable installs, which reads like an error and is not one.
NO_BOX := -W "ignore:Editable installation:UserWarning"
define venv_install
	@test -x $(1)/bin/python || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "lrcourse needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	  echo "Name a newer one, e.g.: make $(or $(MAKECMDGOALS),lab) PYTHON=python3.11"; exit 1; }
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	@echo '*' > $(1)/.gitignore
	$(1)/bin/python -m pip install --quiet --upgrade pip
	@echo "$(3)"
	torch=$$($(1)/bin/python tools/torch_source.py) && \
	  $(1)/bin/python $(NO_BOX) -m pip install --no-compile --progress-bar on $(PIP_CONSTRAINTS) -e '.[$(2)]' $$torch
	@# pip would byte-compile its ~11000 modules one file at a time; compileall spreads the same work
	@# over every core (the same .pyc files). It exits 1 because a few packages ship test data that
	@# is not Python 3, which pip skips silently as well.
	@echo "Compiling the installed packages to bytecode (about 40 s on a busy 2-core machine)"
	$(1)/bin/python -m compileall -qq -j 0 $(1)/lib > /dev/null 2>&1 || true
	touch $(1)/.installed
endef

env: $(STAMP)
dev-env: $(DEV_STAMP)

# Each environment re-installs whenever the dependency list or the pins change.
# A .venv made before the learner/developer split holds nbgrader and the rest; pip never
# removes packages, so such a .venv is made afresh.
$(STAMP): pyproject.toml constraints.txt $(LOCK)
	@if test -x $(BIN)/python && $(BIN)/python -c 'import importlib.util as u, sys; sys.exit(u.find_spec("nbgrader") is None)'; then \
	  echo "$(VENV) holds the instructor tools (nbgrader), which learners do not get: making it afresh"; rm -rf $(VENV); fi
	$(call venv_install,$(VENV),lab,$(LEARNER_NOTE))

$(DEV_STAMP): pyproject.toml constraints.txt $(LOCK)
	$(call venv_install,$(DEV_VENV),lab$(comma)test$(comma)instructor$(comma)browser$(comma)hub$(comma)site,$(DEV_NOTE))

lab: $(STAMP)
	$(LAB_CMD)

lab-command:
	@echo '$(subst ','\'',$(LAB_CMD))'

instructor: $(DEV_STAMP)
	$(strip $(call lab_cmd,$(DEV_BIN)))

test: $(STAMP) $(DEV_STAMP)
	$(DEV_BIN)/python -m pytest --nbval-lax --nbval-current-env $(PYTEST_ARGS)

# The course website (tools/website.py): each lesson executed once (reused while unchanged),
# dashboards frozen at their default settings, Sphinx with myst-nb into build/site/html.
site: $(DEV_STAMP)
	$(DEV_BIN)/python tools/website.py

# Every page of that site in headless Chromium (builds it first when missing).
test-site: $(DEV_STAMP)
	$(DEV_BIN)/python -m pytest -m site tests/test_site.py $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(DEV_BIN)/python benchmarks/bench_core.py

# The lessons, notebooks/*.ipynb, from their sources tools/notebooks/*.py (jupytext's py:percent)
notebooks: $(DEV_STAMP)
	$(DEV_BIN)/python tools/build_notebooks.py

exercises: $(DEV_STAMP)
	$(DEV_BIN)/python tools/exercises.py
	PATH="$(abspath $(DEV_BIN)):$$PATH" $(DEV_BIN)/nbgrader generate_assignment "*" --no-db --force

SUBMISSIONS ?=
OUT ?= grading-output
TIME_LIMIT ?= 120
MEMORY_LIMIT ?= 2048
# UNSAFE=1 grades without the sandbox: only for notebooks you trust.
grade: $(DEV_STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-or-zip [OUT=folder] [TIME_LIMIT=seconds] [MEMORY_LIMIT=MB]"; exit 2; }
	$(DEV_BIN)/python tools/grade.py "$(SUBMISSIONS)" "$(OUT)" --time-limit $(TIME_LIMIT) --memory-limit $(MEMORY_LIMIT) $(if $(UNSAFE),--unsafe)

bundle: $(DEV_STAMP)
	$(DEV_BIN)/python tools/bundle.py dist/lrcourse-student.zip

# Refresh the lock (tools/lock.py): pip resolves pyproject.toml's `lab` extra under
# constraints.txt as if on the oldest Python requires-python allows, the result is written to
# requirements/lab-lock.txt, and a fresh learner environment under build/ (git ignores it) is
# installed with it and compared with its `pip freeze`. Run it on Linux x86_64 after changing
# pyproject.toml or constraints.txt, or to move the indirect dependencies forward; then
# make test, and commit the lock.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	torch=$$($(LOCK_VENV)/bin/python tools/torch_source.py) && $(LOCK_VENV)/bin/python tools/lock.py resolve $$torch
	$(MAKE) --no-print-directory env VENV=$(LOCK_VENV) LOCK=requirements/lab-lock.txt
	$(LOCK_VENV)/bin/python tools/lock.py check
	rm -rf $(LOCK_VENV)

# A workshop's JupyterHub (deploy/README.md): .venv-hub holds the learner's packages plus
# JupyterHub (no instructor tools), deploy/node_modules its proxy (npm, pinned by
# deploy/package-lock.json). The hub listens on 127.0.0.1:8000 unless told otherwise
# (HUB_IP=0.0.0.0 for a room); Ctrl-C stops it and every learner's server.
HUB_VENV  ?= .venv-hub
HUB_STAMP := $(HUB_VENV)/.installed
HUB_IP    ?= 127.0.0.1
HUB_PORT  ?= 8000
PROXY     := deploy/node_modules/.bin/configurable-http-proxy
HUB_NOTE  := Installing the hub environment in $(HUB_VENV): the learner packages plus JupyterHub and its idle culler. About 1.6 GB; the first time takes a few minutes.
HUB_CMD    = LRCOURSE_HUB_IP=$(HUB_IP) LRCOURSE_HUB_PORT=$(HUB_PORT) $(HUB_VENV)/bin/jupyterhub -f deploy/jupyterhub_config.py

# Every learner's server imports jsonschema's format checkers, and one of them, rfc3987-syntax
# (an optional extra of jsonschema that jupyter-events asks for), builds about 35 parsers when
# imported: about 2.8 s of CPU per server start on a 2-core machine, half of all that a server
# costs, times 30 learners logging in at once (jupyter-server issue 1559). No Jupyter schema uses
# the formats it checks ("iri", "iri-reference"), and jsonschema skips them when it is missing,
# so the hub's environment goes without it. (`pip check` will name it as missing.)
$(HUB_STAMP): pyproject.toml constraints.txt $(LOCK)
	$(call venv_install,$(HUB_VENV),lab$(comma)hub,$(HUB_NOTE))
	$(HUB_VENV)/bin/python -m pip uninstall --quiet --yes rfc3987-syntax

$(PROXY): deploy/package.json deploy/package-lock.json
	@command -v npm >/dev/null || { echo "make hub needs Node.js and npm for JupyterHub's proxy (Debian/Ubuntu: sudo apt-get install nodejs npm)"; exit 1; }
	cd deploy && npm ci --no-audit --no-fund
	touch $@

hub-env: $(HUB_STAMP) $(PROXY)

hub: $(HUB_STAMP) $(PROXY)
	$(HUB_CMD)

# The hub's own tests: a learner's whole path through a real hub, then 30 learners at once.
test-hub: $(HUB_STAMP) $(PROXY) $(DEV_STAMP)
	$(HUB_VENV)/bin/python -m pip install --quiet $(PIP_CONSTRAINTS) pytest playwright
	$(HUB_VENV)/bin/python -m pytest -m 'hub or load' tests/test_hub.py $(PYTEST_ARGS)

hub-command:
	@echo '$(subst ','\'',$(HUB_CMD))'

clean-env:
	rm -rf $(VENV) $(DEV_VENV) $(HUB_VENV) deploy/node_modules

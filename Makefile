# Two commands do everything on a fresh machine with python3 and make:
#   make demo   -- set up .venv, then run the main job on bundled data
#   make test   -- set up .venv, then run the whole test suite
# Other targets are listed by `make help`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Real data lives beside the checkout (CI has it too); never copied into the repo.
# Loaders also look in data/cache/ and, for real users, download with checksums.
SHARED_DATA := $(wildcard $(abspath $(CURDIR)/../shared/data))
ifneq ($(SHARED_DATA),)
export ARKIT_DATA_DIR ?= $(SHARED_DATA)
endif
# Where torch comes from (requirements/pins.txt pins torch==2.13.0; the index picks the build):
#   default        the PyTorch CPU index (on plain PyPI a Linux torch pin resolves to the
#                  CUDA build), unless pip is configured with its own index or find-links
#                  (a site mirror, CI), which then serves torch like every other package;
#   TORCH_INDEX=   pip's configured index as is (PyPI on Linux: the CUDA build, for the gpu profile);
#   TORCH_INDEX=https://download.pytorch.org/whl/cu126   any other PyTorch index.
# Recursively expanded: only `make setup` evaluates it.
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
TORCH_INDEX ?= $(shell $(PYTHON) -m pip config list 2>/dev/null | grep -qE 'index-url|find-links' || echo $(TORCH_CPU_INDEX))
# nbgrader shells out to tools (alembic) installed in the venv.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export PYTHONHASHSEED := 0

.PHONY: help setup test demo bench clean
help:  ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

setup: $(STAMP)  ## create .venv and install the kit with pinned dependencies (TORCH_INDEX= picks the torch build: see README)

$(STAMP): requirements/pins.txt pyproject.toml arkit/pyproject.toml
	@echo ">> creating $(VENV) and installing pinned dependencies (torch from $(or $(TORCH_INDEX),pip's configured index))"
	@start=$$(date +%s); \
	$(PYTHON) -m venv $(VENV) && \
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip && \
	$(if $(TORCH_INDEX),$(PY) -m pip install -q --disable-pip-version-check --index-url $(TORCH_INDEX) \
	  "$$(grep -E '^torch==' requirements/pins.txt)" && )\
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/pins.txt && \
	{ $(PY) -m pip uninstall -q -y arkit >/dev/null 2>&1 || true; } && \
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e ./arkit -e . && \
	$(PY) -m pip check && \
	echo ">> install took $$(( $$(date +%s) - start )) s"
	@touch $@

test: $(STAMP)  ## run the whole test suite (what CI runs)
	@start=$$(date +%s); \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	echo ">> make test: pytest took $$(( $$(date +%s) - start )) s"; exit $$rc

demo: $(STAMP)  ## run the main job end to end on bundled data (ASSIGNMENT=hw2 for homework 2)
	$(PY) -m autograder.cli demo $(ASSIGNMENT)

bench: $(STAMP)  ## benchmarks, ratios vs baselines measured in the same run (BENCH_ARGS=--quick for a short run)
	$(PY) -m autograder.cli bench $(BENCH_ARGS)

clean:  ## remove build products (keeps .venv; `make distclean` removes it too)
	rm -rf out build dist course_site/_build .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) data/cache

# Each feature area adds its targets in its own file.
-include $(sort $(wildcard mk/*.mk))

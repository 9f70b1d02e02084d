# voicebus: every command sets up what it needs first (a virtualenv in .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	touch $(STAMP)

up: $(STAMP)  ## set up and run the hub (NATS + Piper + adapters)
	$(BIN)/voicebus up

test: $(STAMP) engine-envs  ## set up (incl. the heavy engines' envs) and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)  ## run the benchmarks (prints ratios; the wyoming one builds its own venv)
	$(BIN)/python bench/bus_vs_piper.py
	$(BIN)/python bench/openai_bench.py
	$(BIN)/python bench/wyoming_bench.py

clean:  ## remove the virtualenv
	rm -rf $(VENV)

# ---- heavy engines: one virtualenv per engine (docs/engines.md) ------------------------------
# Each builds from requirements/<engine>.txt (+ <engine>-nodeps.txt installed --no-deps) with the
# project installed editable, so '.venv-<engine>/bin/voicebus engine <engine>' serves it.
.PHONY: engine-env-xtts engine-env-chatterbox engine-envs test-engines

.venv-xtts/.installed: requirements/xtts.txt requirements/xtts-nodeps.txt requirements/build-engine-env.sh pyproject.toml
	bash requirements/build-engine-env.sh xtts .venv-xtts $(PYTHON)
	touch $@

.venv-chatterbox/.installed: requirements/chatterbox.txt requirements/chatterbox-nodeps.txt requirements/build-engine-env.sh pyproject.toml
	bash requirements/build-engine-env.sh chatterbox .venv-chatterbox $(PYTHON)
	touch $@

engine-env-xtts: .venv-xtts/.installed  ## build the XTTS engine environment (.venv-xtts)

engine-env-chatterbox: .venv-chatterbox/.installed  ## build the Chatterbox (+ Turbo) environment

engine-envs: engine-env-xtts engine-env-chatterbox  ## build every heavy engine environment

test-engines: $(STAMP) engine-envs  ## voice library + engine contract and cloning tests
	$(BIN)/pytest tests/test_library.py tests/engines

# voicebus: every command sets up what it needs first, from lock files with exact versions:
# uv.lock for the project's .venv, requirements/<name>.lock for every other environment
# (requirements/environments.toml says what goes in each; `make lock` regenerates them all).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
ENVS := $(PYTHON) requirements/environments.py --uv $(UV)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')

.PHONY: up test lint lock check-locks bench clean help uv system-packages

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# uv itself, the one thing installed with pip (from a hash-checked lock)
$(UV): requirements/tools.lock
	$(PYTHON) -m venv --clear $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r requirements/tools.lock 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	@test -x $(UV) || { echo "installing uv into $(UV_VENV) failed" >&2; exit 1; }

uv: $(UV)  ## install the pinned uv into .venv-uv

check-locks: $(UV)  ## fail, naming the lock, if pyproject.toml or requirements/ changed without 'make lock'
	$(ENVS) check

# Debian packages from requirements/debian.lock (exact versions): apt-get update only when
# one is missing; without root, say what to install and go on.
DEBIAN_PACKAGES := $(shell grep -v '^\#' requirements/debian.lock | grep -v '^ *$$')

system-packages:  ## install the locked Debian packages (requirements/debian.lock)
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		[ "$$(dpkg-query -W -f='$${Version}' $${p%%=*} 2>/dev/null)" = "$${p#*=}" ] || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "not root: skipping system packages; install:$$missing" >&2; exit 0; fi; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

$(STAMP): $(UV) pyproject.toml uv.lock | system-packages
	$(UV) sync --locked --all-extras
	touch $(STAMP)

up: $(STAMP)  ## set up and run the hub (NATS + Piper + adapters)
	$(BIN)/voicebus up

test: check-locks $(STAMP) engine-envs  ## set up (incl. the heavy engines' envs) and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

lint: $(STAMP)  ## ruff check, format check and the import layers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

lock: $(UV)  ## regenerate every lock (keeps locked versions; UPGRADE="pkg ..." moves those)
	$(ENVS) lock $(foreach p,$(UPGRADE),--upgrade $(p))

bench: $(STAMP) $(UV)  ## run the benchmarks (prints ratios; the wyoming one builds its own venv)
	$(BIN)/python bench/bus_vs_piper.py
	$(BIN)/python bench/openai_bench.py
	$(BIN)/python bench/wyoming_bench.py
	$(BIN)/python bench/distribution_bench.py
	$(BIN)/python bench/jobs_bench.py
	$(BIN)/python bench/keys_bench.py
	$(BIN)/python bench/cache_bench.py
	$(BIN)/python bench/twilio_bench.py
	$(BIN)/python bench/discord_bench.py
	$(BIN)/python bench/slack_bench.py
	$(BIN)/python bench/piper_memory.py
	$(BIN)/python bench/fault_bench.py

clean:  ## remove the virtualenvs
	rm -rf $(VENV) $(UV_VENV) .venv-xtts .venv-chatterbox bench/.venv-wyoming-piper

# ---- heavy engines: one virtualenv per engine (docs/engines.md) ------------------------------
# Each is built from requirements/<engine>.lock with the project installed editable (no deps:
# they are in the lock), so '.venv-<engine>/bin/voicebus engine <engine>' serves it.
.PHONY: engine-env-xtts engine-env-chatterbox engine-envs test-engines

.venv-%/.installed: requirements/%.lock requirements/environments.toml requirements/environments.py pyproject.toml | $(UV)
	$(ENVS) build $* .venv-$* --python $(UV_PYTHON)
	touch $@

engine-env-xtts: .venv-xtts/.installed  ## build the XTTS engine environment (.venv-xtts)

engine-env-chatterbox: .venv-chatterbox/.installed  ## build the Chatterbox (+ Turbo) environment

engine-envs: engine-env-xtts engine-env-chatterbox  ## build every heavy engine environment

test-engines: $(STAMP) engine-envs  ## voice library + engine contract and cloning tests
	$(BIN)/pytest tests/hub/store/test_library.py tests/engines

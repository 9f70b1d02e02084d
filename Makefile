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

test: $(STAMP)  ## set up and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)  ## run the benchmarks (prints ratios)
	$(BIN)/python bench/bus_vs_piper.py

clean:  ## remove the virtualenv
	rm -rf $(VENV)

# The two commands: `make demo` (a demo hall on real footage) and `make test` (the whole suite).
# Both run scripts/setup.sh first, which installs and caches everything idempotently.
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
PY := .venv/bin/python

.PHONY: setup demo test broker-start broker-stop
setup:
	@bash scripts/setup.sh

PORT ?= $(or $(HALLWATCH_PORT),8080)

demo: setup
	@HALLWATCH_PORT=$(PORT) bash scripts/demo.sh

test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

broker-start: setup
	@$(PY) -m streams.broker start

broker-stop:
	@$(PY) -m streams.broker stop

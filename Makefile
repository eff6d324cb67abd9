# The two commands: `make demo` (a demo hall on real footage) and `make test` (the whole suite).
# Both run scripts/setup.sh first, which installs and caches everything idempotently. The demo's
# environment holds only what it runs (no PyTorch on a CPU machine); the tests' adds the dev tools
# and the YOLO backend (pyproject.toml's optional groups; HALLWATCH_EXTRAS adds more to either).
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
PY := .venv/bin/python

.PHONY: setup demo test broker-start broker-stop
setup:
	@bash scripts/setup.sh

PORT ?= $(or $(HALLWATCH_PORT),8080)

demo: setup
	@HALLWATCH_PORT=$(PORT) bash scripts/demo.sh

test:
	@HALLWATCH_EXTRAS="dev,yolo,$(HALLWATCH_EXTRAS)" bash scripts/setup.sh
	@$(PY) -m pytest $(PYTEST_ARGS)

broker-start: setup
	@$(PY) -m streams.broker start

broker-stop:
	@$(PY) -m streams.broker stop

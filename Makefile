# The two commands: `make demo` (a demo hall on real footage) and `make test` (the whole suite);
# `make check` is the fast loop (lint, format, types, import contracts, the tests that start no
# broker, database server or browser), run by .ci/run before `make test`.
# Both run scripts/setup.sh first, which installs and caches everything idempotently. The demo's
# environment holds only what it runs (no PyTorch on a CPU machine); the tests' adds the dev tools
# and the YOLO backend (pyproject.toml's optional groups; HALLWATCH_EXTRAS adds more to either).
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
PY := .venv/bin/python

.PHONY: setup demo test check broker-start broker-stop
setup:
	@bash scripts/setup.sh

PORT ?= $(or $(HALLWATCH_PORT),8080)

demo: setup
	@HALLWATCH_PORT=$(PORT) bash scripts/demo.sh

test:
	@HALLWATCH_EXTRAS="dev,yolo,$(HALLWATCH_EXTRAS)" bash scripts/setup.sh
	@$(PY) -m pytest $(PYTEST_ARGS)

FAST := not kafka and not postgres and not browser and not slow
check:
	@HALLWATCH_EXTRAS="dev,yolo,$(HALLWATCH_EXTRAS)" bash scripts/setup.sh >/dev/null
	@$(PY) -m ruff check --quiet .
	@$(PY) -m ruff format --check --quiet .
	@$(PY) -c "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())" >/dev/null \
		|| { $(PY) -c "from importlinter.cli import lint_imports; lint_imports()" | tail -30; exit 1; }
	@$(PY) -m mypy
	@HALLWATCH_PROPERTY_EXAMPLES=20 $(PY) -m pytest -q -p no:cacheprovider -n 2 -m "$(FAST)" $(PYTEST_ARGS)

broker-start: setup
	@$(PY) -m streams.broker start

broker-stop:
	@$(PY) -m streams.broker stop

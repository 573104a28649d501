# Two commands for a new machine: `make run` (talk to the skill) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := lambda:.

.PHONY: run test lint typecheck serve bench models nlu content clean

run: $(VENV)/.installed
	@$(PY) -m trust_console $(ARGS)

test: $(VENV)/.installed node_modules/.installed
	@$(PY) scripts/build_models.py --check
	@$(PY) scripts/build_content.py --check
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/cfn-lint template.yaml
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

# Static types, configured in pyproject.toml ([tool.mypy]): the skill, the console and the web service.
typecheck: $(VENV)/.installed
	@$(VENV)/bin/mypy

serve: $(VENV)/.installed
	@$(PY) -m trust_web $(ARGS)

bench: $(VENV)/.installed node_modules/.installed
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

models: $(VENV)/.installed
	@$(PY) scripts/build_models.py

# The project's own evaluation sets, scored by the matcher, end to end and a statistical stand-in.
nlu: $(VENV)/.installed
	@$(PY) scripts/nlu_eval.py $(ARGS)

# After editing any locale TOML file: refresh the pre-parsed copy the skill reads at a cold start.
content: $(VENV)/.installed
	@$(PY) scripts/build_content.py

$(VENV)/.installed: requirements-dev.txt lambda/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed" or 0)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# dynalite: the local DynamoDB-compatible server the persistence tests start on a free port.
node_modules/.installed: package.json package-lock.json
	@npm ci --silent --no-audit --no-fund
	@touch $@

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache

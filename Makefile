# The two commands: `make run` and `make test`. Both install what they need into .venv.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint bench

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Test-only tools from npm (package-lock.json pins them): axe-core for the browser sweep.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@echo "Serving on http://$(HOST):$(PORT) — sign in with any demo account above."
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install node_modules/.package-lock.json
	CI_NO_SKIPS=1 $(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m bench

# `make run`, `make test`, `make lock`. run and test install what they need into .venv, from the
# locks (every package pinned with its hashes): requirements.txt (production, what the
# Dockerfile installs) and requirements-dev.txt (the same plus the tools and tests).
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000
# The lock flags, once: hashes for every file, no local index or wheel folder written in.
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-header --no-emit-index-url --no-emit-find-links

.PHONY: run test install lint bench lock messages translations

$(BIN)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	$(BIN)/pip check
	touch $@

install: $(BIN)/.installed translations

# The catalogues: translations/<lang>/LC_MESSAGES/messages.po is committed, its .mo is compiled
# here (install, run and test all pass through it). `make messages` after changing a string:
# extract them all into messages.pot, merge it into each .po, then translate what is new.
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGUES:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(BIN)/.installed
	$(BIN)/pybabel -q compile -d translations -l $*

messages: $(BIN)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ --sort-by-file \
		--add-location=file --project="Reimagine Review" -o translations/messages.pot \
		--ignore-dirs=".* _* node_modules tests bench migrations static" .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d translations

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

# After changing [project] dependencies or the dev extra in pyproject.toml (e.g. adding
# Pillow): regenerate both locks; the dev lock is held to the production one's versions.
lock: install
	$(LOCK) --output-file requirements.txt pyproject.toml
	$(LOCK) --extra dev --constraint requirements.txt --output-file requirements-dev.txt \
		pyproject.toml

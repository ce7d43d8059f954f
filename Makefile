# Two commands are all the set-up a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
ADDRESS ?= 127.0.0.1
WORKERS ?= 2
TEAMS ?= 30
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# pytest keeps its assertion-rewritten test modules as bytecode (about 6 s of collecting
# per process, per run), which it cannot where PYTHONDONTWRITEBYTECODE is set.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

.PHONY: run serve proxy rehearse test test-fast test-postgres lint format bench fuzz load browser screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)  ## start the app on http://$(ADDRESS):$(PORT)
	@echo "Open http://$(ADDRESS):$(PORT) in your browser (Ctrl+C stops the app)."
	$(BIN)/streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

serve: $(STAMP_RUN) proxy  ## WORKERS app processes behind HAProxy on http://$(ADDRESS):$(PORT)
	$(if $(findstring postgresql,$(WHIPLASH_DATABASE_URL)),$(BIN)/python -m pip install --quiet -e '.[postgres]')
	$(BIN)/python -m serve --workers $(WORKERS) --address $(ADDRESS) --port $(PORT)

proxy:  ## install Debian's HAProxy for `make serve` when it is missing
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { \
		echo "Installing Debian's haproxy for make serve"; \
		SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q haproxy; }

browser:  ## install Debian's Chromium for the browser tests when it is missing
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_TEST)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP_TEST) browser proxy lint  ## the whole suite: lint, unit, app, browser, two workers (what CI runs)
	$(PYTEST) -q

test-fast: $(STAMP_TEST)  ## unit and AppTest only, on every core: no browser, no slow tests
	$(PYTEST) -q -n auto -m "not e2e and not slow"

test-postgres: $(STAMP_TEST)  ## the room store against a throwaway PostgreSQL (Debian's package)
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	bash tests/support/throwaway_postgres.sh $(PYTEST) -q tests/test_room_store.py

bench: $(STAMP_TEST) browser proxy  ## time the engine and the app; figures go to docs/benchmarks.md
	$(BIN)/python -m bench

fuzz: $(STAMP_TEST)  ## at least 10,000 generated scenarios against loader, CLI and engine
	$(BIN)/python -m bench.fuzz

load: $(STAMP_TEST) browser proxy  ## 30 sessions (one process, then WORKERS behind HAProxy), 30 teams submitting, 30 among attackers
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.load --pattern explore --workers $(WORKERS)
	$(BIN)/python -m bench.hostile

rehearse: $(STAMP_TEST) proxy  ## before a workshop: TEAMS (30) simulated teams play two rounds on this machine, WORKERS behind HAProxy
	$(BIN)/python -m bench.load --pattern room --teams $(TEAMS) --workers $(WORKERS)

screenshot: $(STAMP_TEST) browser  ## refresh docs/screenshot.png from the real app in Chromium
	UPDATE_SCREENSHOT=1 $(PYTEST) -q tests/e2e/test_browser.py -k screenshot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info

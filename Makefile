# perfsite: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install translations lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d perfsite/translations >/dev/null

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The suite runs on SQLite; when TEST_DATABASE_URL is set (CI sets it) it runs
# again, whole, on that database (PostgreSQL).
# -n auto: one pytest worker per core (each with its own database).
test: install
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -n auto
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the whole suite again on $$TEST_DATABASE_URL"; \
		$(BIN)/pytest -q -n auto; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true needs TEST_DATABASE_URL (PostgreSQL)"; exit 1; \
	fi

lint: install
	$(BIN)/ruff check .

# Refresh the message catalogue after adding strings, then translate the new entries in
# perfsite/translations/zh_Hans_CN (Babel's name for zh_CN, Simplified Chinese).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output -o perfsite/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i perfsite/translations/messages.pot -d perfsite/translations

clean:
	rm -rf $(VENV) .pytest_cache

# perfsite: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
DEMO_LANG ?= en
export FLASK_APP := wsgi

.PHONY: run test install translations lint messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Each catalogue is compiled only when its .po file is newer than the .mo file.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard perfsite/translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGUES)

perfsite/translations/%.mo: perfsite/translations/%.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# One start of the app: migrates only when behind, seeds only when empty, then serves.
# The demo company is English; `make run DEMO_LANG=zh_CN` adds it in Chinese instead
# (Chinese names, departments, targets, KPI titles and comments) when the database is empty
# (on a database seeded already, `rm instance/perfsite.db` first).
# Compiled bytecode is kept even where the environment says not to (an empty value turns
# PYTHONDONTWRITEBYTECODE off): the next start reuses it instead of compiling every module.
run: export PYTHONDONTWRITEBYTECODE =
run: install
	$(BIN)/flask serve-demo --host 127.0.0.1 --port $(PORT) --lang $(DEMO_LANG)

# The suite runs on SQLite; when TEST_DATABASE_URL is set (CI sets it) it runs
# again on that database (PostgreSQL), and the browser tests (which drive the same
# pages whatever the database) run in that second pass only.
# The second pass leaves out the tests marked `once` (pyproject.toml), whose result cannot
# depend on the database: they read the source, the templates or the catalogue, or check the
# markup and the words of pages that every test of the second pass renders from the same
# demo rows (the crawls' HTML validity, the Nu checker, English words on Chinese pages):
#   tests/test_structure.py, test_translations.py, test_html_validity.py,
#   test_nu_html_checker.py, test_untranslated_words.py, and test_one_rule.py's source guards.
# That every page renders on PostgreSQL stays the second pass's (test_crawl.py, test_site.py).
# -n auto: one pytest worker per core (each with its own database).
test: install
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		env -u TEST_DATABASE_URL $(BIN)/pytest -q -n auto --ignore=tests/browser; \
	else \
		$(BIN)/pytest -q -n auto; \
	fi
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the suite again on $$TEST_DATABASE_URL, browser tests included, once-only tests not"; \
		$(BIN)/pytest -q -n auto -m "not once"; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true needs TEST_DATABASE_URL (PostgreSQL)"; exit 1; \
	fi

# The site at 10,000 people on PostgreSQL against a bare Flask page (README, "Benchmark").
# Needs a PostgreSQL server: BENCH_DATABASE_URL names a database on it to connect to.
# The load generator (locust, with gevent) lives in a virtualenv of its own, .venv-bench,
# so its dependencies never change the site's.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements.txt
	touch $@

bench: install $(BENCH_VENV)/.installed
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_LOAD_PYTHON=$(BENCH_VENV)/bin/python \
		$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .

# Refresh the message catalogue after adding strings, then translate the new entries in
# perfsite/translations/zh_Hans_CN (Babel's name for zh_CN, Simplified Chinese).
# --ignore-dirs: Babel skips folders starting with "_" (templates/_macros) unless told otherwise.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs ".* __pycache__" -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output -o perfsite/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i perfsite/translations/messages.pot -d perfsite/translations

clean:
	rm -rf $(VENV) .pytest_cache

# Everything a newcomer needs: `make run` starts the bot, `make test` runs the suite offline.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run chat test check fmt lint hooks bench messages docker-test clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@ $(VENV)/.dev $(VENV)/.runtime

run: $(VENV)/.runtime .env  ## start the Telegram bot (reads .env)
	$(PY) -m bot

# First run: a .env to fill in (the bot then says which value is missing and where to get it).
.env:
	cp .env.example .env
	@echo "Created .env from .env.example: fill in TELEGRAM_BOT_TOKEN and GOOGLE_API_KEY."

chat: $(VENV)/.runtime .env  ## talk to the advisor in this terminal
	$(PY) -m bot chat

# Two worker processes (pytest-xdist): the suite needs more CPU than one core gives in the time it
# may take (BENCHMARKS.md, "The test suite"); the PostgreSQL tests run on one worker (loadgroup).
XDIST := -n 2 --dist loadgroup
ARGS  ?=  # more pytest options, e.g. make test ARGS="--durations=30"

test: $(VENV)/.dev  ## the whole suite, offline
	$(PY) -m pytest $(XDIST) $(ARGS)

check: lint  ## before a commit: lint, then the fast tests (no child processes, no PostgreSQL)
	$(PY) -m pytest $(XDIST) -q -m "not slow"

fmt: $(VENV)/.dev  ## fix what ruff can (imports, lint fixes) and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lint: $(VENV)/.dev  ## ruff, mypy (strict on bot/, relaxed on tests/), import-linter (the layering)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

hooks: $(VENV)/.dev  ## run ruff and ruff format before every git commit (.pre-commit-config.yaml)
	$(VENV)/bin/pre-commit install

bench: $(VENV)/.bench  ## benchmarks that print numbers (see BENCHMARKS.md)
	$(PY) bench/memory_store.py --sizes 2000,20000
	$(PY) bench/memory_store.py --store pgvector --sizes 2000,20000 --hnsw-max 2000
	$(PY) bench/locomo.py
	$(PY) bench/load.py --returning
	$(PY) bench/message_cost.py
	$(PY) bench/load.py --media
	$(PY) bench/recall_reads.py --own-questions
	$(PY) bench/embed_batches.py
	$(PY) bench/llm_request.py
	$(PY) bench/webhook_abuse.py
	$(PY) bench/reminders.py
	$(PY) bench/import.py
	@# These two read corpora other projects wrote: give a checkout of facebook/duckling and of gitleaks/gitleaks.
	@if [ -d "$(DUCKLING_DIR)" ]; then $(PY) bench/reminders_parse.py "$(DUCKLING_DIR)"; \
	 else echo "bench/reminders_parse.py skipped: set DUCKLING_DIR to a checkout of facebook/duckling"; fi
	@if [ -d "$(GITLEAKS_DIR)" ]; then $(PY) bench/secrets.py --gitleaks "$(GITLEAKS_DIR)"; \
	 else echo "bench/secrets.py skipped: set GITLEAKS_DIR to a checkout of gitleaks/gitleaks"; fi

# Slow, so not part of `make test`: builds the image with podman (and the base images it needs from
# Debian's packages), runs it against the fake servers on 127.0.0.1 with SQLite and with PostgreSQL.
docker-test: $(VENV)/.dev  ## the Docker image built and run for real (needs root, podman, runc, mmdebstrap)
	bash deploy/docker-test.sh

# The bot's own words (docs/languages.md): collect every marked string into bot/i18n/locale/bot.pot and
# merge it into each catalog; new strings arrive empty, changed ones fuzzy, until someone translates them.
# Catalogs are compiled in memory when the bot starts (bot/i18n/): there is no .mo file to build.
messages: $(VENV)/.dev  ## refresh every catalog in bot/i18n/locale from the code's strings
	$(VENV)/bin/pybabel extract --no-location --sort-output --add-comments=TRANSLATORS: -k NN_:1,2 \
		--project=memory-advisor-bot -o bot/i18n/locale/bot.pot bot
	$(VENV)/bin/pybabel update --ignore-obsolete -D bot -i bot/i18n/locale/bot.pot -d bot/i18n/locale

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# GovDesk. Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: help run serve test lint check-deploy fmt bench bench-pg clean-db

help:
	@echo "make run     create .venv, install, migrate, load the demo data, serve http://127.0.0.1:$(PORT)"
	@echo "make serve   production stack on this machine: gunicorn and the task worker, http://127.0.0.1:$(PORT) (after make run)"
	@echo "make test    lint, types, tests on SQLite (and on PostgreSQL when DATABASE_URL is set)"
	@echo "make lint    ruff check, ruff format --check, mypy"
	@echo "make check-deploy  manage.py check --deploy with the production settings and throwaway secrets"
	@echo "make fmt     ruff format and ruff check --fix"
	@echo "make bench   intake benchmark (bench/intake.py) on SQLite, and on PostgreSQL when DATABASE_URL is set"
	@echo "make clean-db  remove the local SQLite database (var/govdesk.sqlite3) and the demo password"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps: reinstall only when a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) catalog_import categories --commit
	$(MANAGE) dispatch_train --if-missing
	@if command -v msgfmt >/dev/null && [ -d govdesk/locale ]; then \
		$(MANAGE) compilemessages --ignore=$(VENV) -v0; \
	else echo "msgfmt not found: using the committed .mo files"; fi
	@# Adds the demo orders only when the database has none; prints the demo accounts every time.
	$(MANAGE) seed_demo
	@# seed_demo loads the demo matter catalogue into an empty database (its applications need it); this picks up
	@# changes to the shipped file, and unchanged matters make no new version.
	$(MANAGE) matters_import --commit
	@# The ledgers' indicator and programme definitions name their source units, which exist only after seed_demo.
	$(MANAGE) ledger_definitions_load
	@# The knowledge base: drafts from the board's 2,779 answered messages for the units to review, 150 of them
	@# submitted and published (the demo's story: reviewed), so the console finds answers. Seconds, once.
	$(MANAGE) knowledge_drafts_seed --if-empty --publish-demo 150
	@# The district's year 2022 (ledgers and the platform's records) behind the annual work review /review/2022/;
	@# a few minutes the first time, nothing afterwards.
	$(MANAGE) seed_review_demo
	@echo
	@echo "GovDesk: http://127.0.0.1:$(PORT)/   (Ctrl-C stops the server and the task worker; its log: var/tasks.log)"
	@# The task worker: smart dispatch's suggestions and reply checks after commit, the deadline sweep every minute.
	@$(MANAGE) run_huey --workers 2 --quiet --flush-locks >"$${GOVDESK_VAR_DIR:-var}/tasks.log" 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The production settings on loopback (gunicorn, the supervised task worker), with the database and keys `make run`
# made; docs/deployment.md for a server behind the TLS proxy.
serve: $(VENV)/.runtime-installed
	$(MANAGE) serve --port $(PORT)

# pytest's exit code 5 means it collected no tests: for this project that is a broken run, so say so and fail.
pytest_run = $(1) $(VENV)/bin/pytest $(PYTEST_ARGS) || { rc=$$?; [ $$rc -ne 5 ] || echo "pytest collected no tests ($(2)): failing"; exit $$rc; }

test: $(VENV)/.dev-installed lint check-deploy
	@echo "== tests on SQLite"
	@$(call pytest_run,env -u DATABASE_URL,SQLite)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== tests on PostgreSQL (DATABASE_URL)"; \
		$(call pytest_run,,PostgreSQL); \
	else echo "DATABASE_URL not set: PostgreSQL run skipped"; fi

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy govdesk

# Production settings with secrets made up on the spot (never printed, never kept): any warning fails, drf-spectacular's
# schema warnings included.
random_b64 = $$($(PY) -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')
check-deploy: $(VENV)/.runtime-installed
	@echo "== manage.py check --deploy (govdesk.settings.prod, throwaway secrets)"
	@vardir=$$(mktemp -d); trap 'rm -rf "$$vardir"' EXIT; \
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=govdesk.settings.prod GOVDESK_VAR_DIR="$$vardir" \
		DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		DJANGO_ALLOWED_HOSTS=govdesk.invalid \
		GOVDESK_FIELD_KEYS="k1:$(random_b64)" \
		GOVDESK_BLIND_INDEX_KEY="$(random_b64)" \
		$(MANAGE) check --deploy --fail-level WARNING

fmt: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.runtime-installed
	env -u DATABASE_URL $(PY) bench/intake.py --db sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/intake.py --db postgres; \
	else echo "DATABASE_URL not set: PostgreSQL benchmark skipped (bench/run_pg.sh starts a throwaway server)"; fi

clean-db:
	rm -f var/govdesk.sqlite3 var/govdesk.sqlite3-wal var/govdesk.sqlite3-shm var/demo-password

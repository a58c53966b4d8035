# The two commands of the README: `make run` and `make test`. Both build .venv first.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-long lint typecheck bench soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tenfour serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q

# The safety model (Hypothesis stateful testing) run long: thousands of random nights.
test-long: $(STAMP)
	TENFOUR_LONG=1 $(BIN)/python -m pytest -q tests/unit/test_safety_model.py

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

# Two nodes on a fresh PostgreSQL database for 30 minutes at ten times a large city's
# peak: bench/soak.csv, bench/soak.png and a verdict (docs/deploy.md, bench/RESULTS.md).
soak: $(STAMP)
	$(BIN)/python -m bench.soak --minutes 30 --out bench/soak

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

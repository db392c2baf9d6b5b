# One command per workflow. Every target sets up .venv first (uv, from PyPI only).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PY := .venv/bin/python
EXAMPLE := render --snapshot examples/snapshot.yaml --name eng-tools --namespace toolhive-system --group engineering-team

.PHONY: setup demo test lint typecheck unit e2e engine-test bench engine-bench golden mutation clean

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	@# --compile-bytecode: uv does not write .pyc files by default, and where the environment sets
	@# PYTHONDONTWRITEBYTECODE nothing ever does: every run would recompile pulumi_kubernetes'
	@# multi-MB modules (about 2.5x the import time of the typed children, paid by every preview).
	@$(UV) sync --frozen --compile-bytecode

demo: setup
	@mkdir -p out
	@$(PY) -m vmcp_components $(EXAMPLE) --status-file out/status.json
	@echo "# status written to out/status.json" >&2

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/pyright

unit: setup
	$(PY) -m pytest -m "not e2e and not engine"

test: lint typecheck unit

# Each tier collects only its own folder, so the e2e process never imports pulumi (grpc).
e2e: setup
	scripts/test-cluster build
	scripts/toolhive build
	$(PY) -m pytest -m e2e tests/e2e

# The real Pulumi engine (CLI, language host, kubernetes provider) against the real test cluster.
engine-test: setup
	scripts/test-cluster build
	scripts/pulumi-engine build
	$(PY) -m pytest -m engine tests/engine

bench: setup
	$(PY) bench/render_bench.py
	$(PY) bench/component_bench.py

engine-bench: setup
	scripts/test-cluster build
	scripts/pulumi-engine build
	$(PY) bench/engine_bench.py --floor

# Mutation testing of the core (mutmut 3; slow, not in CI): tests/mutation/README.md.
mutation: setup
	$(UV) sync --frozen --group mutation
	time .venv/bin/mutmut run
	$(PY) tests/mutation/score.py

golden: setup
	UPDATE_GOLDEN=1 $(PY) -m pytest tests/unit/test_golden.py tests/unit/test_golden_stacks.py

clean:
	rm -rf .venv out .pytest_cache .ruff_cache mutants

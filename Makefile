# One command per workflow. Every target sets up .venv first (uv, from PyPI only).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PY := .venv/bin/python
EXAMPLE := render --snapshot examples/snapshot.yaml --name eng-tools --namespace toolhive-system --group engineering-team

.PHONY: setup demo test lint typecheck unit e2e engine-test bench engine-bench golden mutation sdk \
	node-deps clean policy-setup policy-typecheck

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.5"
	@# --compile-bytecode: uv does not write .pyc files by default, and where the environment sets
	@# PYTHONDONTWRITEBYTECODE nothing ever does: every run would recompile pulumi_kubernetes'
	@# multi-MB modules (about 2.5x the import time of the typed children, paid by every preview).
	@$(UV) sync --frozen --compile-bytecode

# The policy pack (policy/) has its own lock: pulumi-policy needs protobuf 5, the project has 6.
policy-setup: setup
	@$(UV) sync --frozen --compile-bytecode --project policy

demo: setup
	@mkdir -p out
	@$(PY) -m vmcp_components $(EXAMPLE) --status-file out/status.json
	@echo "# status written to out/status.json" >&2

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: setup
	.venv/bin/pyright

# ruff covers policy/ with the rest (policy/pyproject.toml extends the project's settings).
policy-typecheck: policy-setup
	.venv/bin/pyright -p policy

unit: setup policy-setup
	$(PY) -m pytest -m "not e2e and not engine"

test: lint typecheck policy-typecheck unit

# Each tier collects only its own folder, so the e2e process never imports pulumi (grpc).
e2e: setup
	scripts/test-cluster build
	scripts/toolhive build
	$(PY) -m pytest -m e2e tests/e2e

# The real Pulumi engine (CLI, language host, kubernetes provider) against the real test cluster.
engine-test: setup policy-setup node-deps
	scripts/test-cluster build
	scripts/pulumi-engine build
	$(PY) -m pytest -m engine tests/engine

bench: setup
	$(PY) bench/render_bench.py
	$(PY) bench/component_bench.py

engine-bench: setup
	$(UV) sync --frozen --compile-bytecode --group bench
	scripts/test-cluster build
	scripts/pulumi-engine build
	$(PY) bench/engine_bench.py --sizes 10 --floor --repeat 3 --profile
	$(PY) bench/engine_bench.py --sizes 100,300,1000 --floor

# Mutation testing of the core (mutmut 3; slow, not in CI): tests/mutation/README.md.
mutation: setup
	$(UV) sync --frozen --group mutation
	time .venv/bin/mutmut run
	$(PY) tests/mutation/score.py

golden: setup
	UPDATE_GOLDEN=1 $(PY) -m pytest tests/unit/test_golden.py tests/unit/test_golden_stacks.py

# The vmcp provider's schema, generated from VirtualMCPServerArgs, and the typed SDKs generated
# from it (TypeScript in sdk/nodejs, Go in sdk/go) by pkg/v3's code generators (sdk/codegen).
sdk: setup
	scripts/pulumi-engine build codegen
	$(PY) -m vmcp_components.component.schema > sdk/schema.json
	"$$(scripts/pulumi-engine sdkgen)" sdk/schema.json sdk

# npm packages of the engine tier's TypeScript program (tests/engine/typescript, locked), installed
# from npm into the cache (not the repo); reinstalled only when the lock file changes.
NODE_DEPS := $(or $(VMCP_CACHE_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vmcp-components)/node-tests
node-deps:
	@mkdir -p $(NODE_DEPS)
	@cmp -s tests/engine/typescript/package-lock.json $(NODE_DEPS)/package-lock.json && test -d $(NODE_DEPS)/node_modules || \
	  { cp tests/engine/typescript/package.json tests/engine/typescript/package-lock.json $(NODE_DEPS)/ && \
	    cd $(NODE_DEPS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error; }

clean:
	rm -rf .venv policy/.venv out .pytest_cache .ruff_cache mutants

"""The `preflight` stack setting on the real engine: `warn` deploys with a warning per failed
backend, `strict` fails `pulumi preview` and `pulumi up` before any change, with the reason.

Why every backend here fails preflight, and fails on DNS: this tier's engine talks to the test
API server on the host's loopback, so it runs in the host's network namespace, where no MCP
server can listen on an address the SSRF rules allow without changing the machine's network
(the e2e and preflight tiers give their servers 198.18.0.1 inside a private network namespace,
tests/e2e/toolhive.py `Sandbox`; the engine and its API server cannot follow them there). So
the entries point at names under `.invalid`, which never resolve (RFC 6761): the real probe
fails at its first step, through the machine's own resolver, with nothing sent anywhere. The
other failure classes and a passing probe are proven in tests/preflight and
tests/e2e/test_toolhive_live.py. The probes run inside the program the engine runs (the
language host), as they would in CI.

The tests run in file order on one stack: `warn` deploys, then `strict` with one more broken
entry must leave that deployment as it was.
"""

# pyright: reportOptionalMemberAccess=false, reportOptionalSubscript=false

from __future__ import annotations

from typing import Any

import pytest
import yaml
from lightkube import Client
from lightkube.resources.core_v1 import ConfigMap, Namespace
from pulumi import automation as auto

from tests import factories
from tests.e2e.cluster import Cluster
from tests.e2e.conftest import seed
from tests.engine.conftest import cluster_config, fail
from tests.engine.harness import EngineProject

pytestmark = pytest.mark.engine

NAME = "pre-tools"
STACK = "preflight"
NS = "engine-preflight"
GROUP = "preflight-team"


def entry(name: str) -> dict[str, Any]:
    return factories.entry(
        name, url=f"https://{name}.mcp.invalid/mcp", group_name=GROUP, namespace=NS
    )


def failed(name: str) -> str:
    """What preflight says about a backend whose host does not resolve."""
    return f'backend "{name}": dns: {name}.mcp.invalid does not resolve'


@pytest.fixture(scope="module")
def kube(cluster: Cluster) -> Client:
    api = cluster.client(namespace=NS, field_manager="vmcp-engine-tests")
    api.create(Namespace(metadata={"name": NS}))  # type: ignore[arg-type]
    seed(api, [factories.group(GROUP, phase=None, namespace=NS), entry("alpha")])
    return api


def _config(cluster: Cluster, mode: str) -> dict[str, Any]:
    return {"namespace": NS, "group": GROUP, "name": NAME, "preflight": mode,
            **cluster_config(cluster)}  # fmt: skip


@pytest.fixture(scope="module")
def stack(program: EngineProject, cluster: Cluster, kube: Client) -> auto.Stack:
    return program.stack(STACK, _config(cluster, "warn"))


def managed(program: EngineProject) -> list[dict[str, Any]]:
    """The stack's state of what it manages (the component and its children; not the reads)."""
    return [r for r in program.resources(STACK) if not r.get("external")]


def _backends(kube: Client) -> list[str]:
    config = kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS).data["config.yaml"]
    return [backend["name"] for backend in yaml.safe_load(config)["backends"]]


def test_warn_deploys_with_a_warning_per_failed_backend(
    program: EngineProject, stack: auto.Stack, kube: Client
) -> None:
    run, result = program.run("up", stack)

    (warning,) = [w for w in run.warnings() if "preflight" in w]  # the resolver's words follow
    assert warning.startswith(f"preflight: {failed('alpha')}"), warning
    created = {kind.rsplit(":", 1)[-1] for op, kind, _ in run.changes() if op == "create"}
    assert {"ConfigMap", "Deployment", "Service"} <= created
    assert result.outputs["backendCount"].value == 1
    assert _backends(kube) == ["alpha"]


def test_strict_fails_preview_and_up_before_any_change(
    program: EngineProject, stack: auto.Stack, cluster: Cluster, kube: Client
) -> None:
    seed(kube, [entry("broken")])
    before = (managed(program), kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS))
    program.write_config(STACK, _config(cluster, "strict"))
    try:
        runs = [fail(program, operation, stack) for operation in ("preview", "up")]
    finally:
        program.write_config(STACK, _config(cluster, "warn"))

    reason = f"preflight failed: {failed('alpha')}"
    for run in runs:
        assert reason in run.text, run.text[-3000:]
        assert failed("broken") in run.text
        assert "Traceback" not in run.text  # a RunError: the engine prints the message alone
        assert "unhandled exception" not in run.text
        assert run.changes() == []
    # nothing changed: neither the stack's managed resources nor the deployed config (the failed
    # `up` records its reads, the new entry's among them: reads are not changes)
    after = (managed(program), kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS))
    assert {"kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:Deployment"} <= {
        r["type"] for r in before[0]
    }
    assert after[0] == before[0]
    assert after[1].metadata.resourceVersion == before[1].metadata.resourceVersion
    assert _backends(kube) == ["alpha"]

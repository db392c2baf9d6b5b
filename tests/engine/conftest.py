"""Engine-tier fixtures: the real Pulumi engine driving programs against the real test cluster.

Everything is real: the Pulumi CLI, language host and kubernetes provider (`harness.py`,
`scripts/pulumi-engine`), and the API server, etcd and kube-controller-manager of
`scripts/test-cluster` (shared with the e2e tier). The only stand-in is the e2e tier's fake
kubelet (no container runtime can run here): it binds and readies Pods, so Deployments roll out
and Services get endpoints.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import cluster  # noqa: F401 - the session's cluster, shared with e2e
from tests.engine.harness import Engine, EngineProject, Run, build_engine, copy_program


@pytest.fixture(scope="session")
def engine() -> Engine:
    return build_engine()


@pytest.fixture(scope="module")
def program(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> EngineProject:
    """A copy of this repository's program with its own file backend (one per test module)."""
    path = tmp_path_factory.mktemp("program")
    copy_program(path)
    return EngineProject(path, engine)


def fail(project: EngineProject, operation: str, stack: auto.Stack, **kwargs: Any) -> Run:
    """`operation`, which must fail: what it printed and emitted."""
    with pytest.raises(auto.CommandError):
        project.run(operation, stack, **kwargs)
    return project.runs[-1]


def cluster_config(running: Cluster) -> dict[str, Any]:
    """The stack keys that point the program at the test cluster."""
    return {"kubeconfig": str(running.kubeconfig), "context": "vmcp-test"}

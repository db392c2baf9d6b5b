"""E2E fixtures: one real loopback cluster per session, a fresh namespace per test.

The cluster is scripts/test-cluster's kube-apiserver, etcd and kube-controller-manager with the
ToolHive-shaped test CRDs, plus the fake kubelet (no container runtime can run here, so it
marks Pods Running; see tests/e2e/fake_kubelet.py). Test modules here set `pytestmark = e2e`.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import Client, codecs
from lightkube.resources.core_v1 import Namespace

from tests.e2e.cluster import Cluster, start
from vmcp_components.discovery import TOOLHIVE_RESOURCES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "snapshot.yaml"
GROUP = "engineering-team"
FIELD_MANAGER = "vmcp-e2e"
RESOURCES = TOOLHIVE_RESOURCES
_counter = itertools.count()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = start(tmp_path_factory.mktemp("cluster"), timeout=3600)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(cluster: Cluster) -> Client:
    return cluster.client(field_manager=FIELD_MANAGER)


@pytest.fixture
def namespace(client: Client) -> str:
    name = f"e2e-{next(_counter)}-{int(time.time()) % 100000}"
    client.create(Namespace(metadata={"name": name}))  # type: ignore[arg-type]
    return name


def example_objects(namespace: str) -> list[dict[str, Any]]:
    """The example snapshot's objects, moved into `namespace`."""
    items = yaml.safe_load(EXAMPLE.read_text())["items"]
    for item in items:
        item["metadata"]["namespace"] = namespace
    return items


def seed(client: Client, objects: list[dict[str, Any]]) -> None:
    """Server-side apply each object, then its status through the status subresource."""
    for obj in objects:
        body = copy.deepcopy(obj)
        status = body.pop("status", None)
        client.apply(codecs.from_dict(body), force=True)
        if status is not None:
            resource = RESOURCES[obj["kind"]]
            client.apply(
                resource.Status(  # type: ignore[attr-defined]
                    apiVersion=obj["apiVersion"],
                    kind=obj["kind"],
                    metadata=body["metadata"],
                    status=status,
                ),
                force=True,
            )


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll `condition` until it returns something truthy (bounded: `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

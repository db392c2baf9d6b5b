"""E2E fixtures: one real loopback cluster per session, a fresh namespace per test.

The cluster is scripts/test-cluster's kube-apiserver, etcd and kube-controller-manager with
ToolHive v0.63.0's real CRDs (from the module, via scripts/toolhive), plus the fake kubelet (no
container runtime can run here, so it marks Pods Running; see tests/e2e/fake_kubelet.py). Test
modules here set `pytestmark = e2e`.

Every `Rendering` made during the session is kept, and at the end of the session the real
`vmcp validate` runs on each config with the env its Deployment gives the pod: a refused config
fails the session (`vmcp_validates_every_rendering`).
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import Client, codecs
from lightkube.resources.core_v1 import Namespace

from tests.e2e import collect_renderings, toolhive
from tests.e2e.cluster import Cluster, start
from vmcp_components.kube.resources import TOOLHIVE_RESOURCES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "snapshot.yaml"
GROUP = "engineering-team"
FIELD_MANAGER = "vmcp-e2e"
RESOURCES = TOOLHIVE_RESOURCES
_counter = itertools.count()


@pytest.fixture(scope="session")
def real_toolhive() -> toolhive.ToolHive:
    """The real ToolHive (scripts/toolhive build; the first build is long, hence the bound)."""
    return toolhive.build(timeout=3600)


@pytest.fixture(scope="session", autouse=True)
def vmcp_validates_every_rendering(
    real_toolhive: toolhive.ToolHive, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """Keep every rendering of the session; at its end, each config must pass `vmcp validate`."""
    kept = tmp_path_factory.mktemp("renderings")
    collect_renderings.start(kept)
    try:
        yield kept
    finally:
        collect_renderings.stop()
    refused = []
    for path in sorted(kept.glob("*.json")):
        pair = json.loads(path.read_text())
        run = toolhive.vmcp_validate(
            real_toolhive, kept / path.stem, pair["ConfigMap"], pair["Deployment"]
        )
        if run.returncode != 0:
            refused.append(f"{path}: {run.stdout[-1500:]}{run.stderr[-1500:]}")
    assert not refused, "vmcp validate refused what we rendered:\n" + "\n".join(refused)


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

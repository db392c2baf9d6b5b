"""ToolHive v0.63.0's real CRDs on the test API server: versions, v1alpha1 objects, CEL rules.

The cluster has the 14 CRDs of the ToolHive module (deploy/charts/operator-crds/files/crds/,
extracted by scripts/toolhive), not hand-written ones. Each serves v1alpha1 (deprecated) and
v1beta1 (storage). Proven here: discovery and the render read v1beta1 and treat an object
created through v1alpha1 exactly like one created through v1beta1; the CRD's CEL rule on
`spec.caBundleRef` is enforced by the API server, and our model refuses the same spec with the
same message (for a snapshot, or an object that predates the rule).
"""

# pyright: reportOptionalMemberAccess=false, reportOptionalIterable=false, reportOptionalSubscript=false

from __future__ import annotations

from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client, codecs
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, example_objects, seed
from tests.e2e.toolhive import ToolHive
from vmcp_components.core.cluster.kinds import TOOLHIVE_KINDS
from vmcp_components.core.cluster.models import Malformed, MCPServerEntry, parse_object
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.kube.discovery import ClusterDiscovery

pytestmark = pytest.mark.e2e
RULE_MESSAGE = "configMapRef.name is required and must be non-empty"
EntryV1alpha1 = create_namespaced_resource(
    "toolhive.stacklok.dev", "v1alpha1", "MCPServerEntry", "mcpserverentries"
)


def _entry(namespace: str, name: str, api_version: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"toolhive.stacklok.dev/{api_version}",
        "kind": "MCPServerEntry",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"transport": "streamable-http", "groupRef": {"name": GROUP}, **spec},
    }


def test_the_cluster_has_toolhives_own_crds(client: Client, real_toolhive: ToolHive) -> None:
    files = real_toolhive.crds
    assert len(files) == 14
    read_here = {f"{kind.plural}.toolhive.stacklok.dev" for kind in TOOLHIVE_KINDS}
    checked: set[str] = set()
    for path in files:
        expected = yaml.safe_load(path.read_text())
        crd = client.get(CustomResourceDefinition, expected["metadata"]["name"])
        assert [v.name for v in crd.spec.versions] == [
            v["name"] for v in expected["spec"]["versions"]
        ]
        if crd.metadata.name not in read_here:
            continue
        checked.add(crd.metadata.name)
        versions = {v.name: v for v in crd.spec.versions}
        assert set(versions) == {"v1alpha1", "v1beta1"}, path.name
        assert versions["v1beta1"].storage
        assert versions["v1alpha1"].served
        assert versions["v1alpha1"].deprecated
        assert crd.metadata.labels["toolhive.stacklok.dev/auto-migrate-storage-version"] == "true"
    assert checked == read_here  # every kind the product reads has its real CRD here


def test_an_entry_created_through_v1alpha1_renders_like_a_v1beta1_one(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    old = _entry(namespace, "old-api", "v1alpha1", remoteUrl="https://old.example.com/mcp")
    client.create(EntryV1alpha1.from_dict(old))  # type: ignore[attr-defined]
    discovery = ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")
    inventory = discovery.fetch(namespace, GROUP, None)
    args = VirtualMCPServerArgs(namespace=namespace, group=GROUP)
    with_old = render(inventory, "eng-tools", args)

    client.delete(EntryV1alpha1, "old-api", namespace=namespace)
    seed(client, [_entry(namespace, "old-api", "v1beta1", remoteUrl="https://old.example.com/mcp")])
    with_new = render(discovery.fetch(namespace, GROUP, None), "eng-tools", args)

    names = [b["name"] for b in with_old.status["discoveredBackends"]]
    assert "old-api" in names
    assert with_old.objects == with_new.objects
    assert with_old.status == with_new.status


@pytest.mark.parametrize(
    "ca_bundle_ref",
    [{"configMapRef": {"name": "", "key": "ca.crt"}}, {"configMapRef": {"key": "ca.crt"}}, {}],
    ids=["empty-name", "no-name", "no-configMapRef"],
)
def test_the_ca_bundle_cel_rule_is_enforced_there_and_here(
    client: Client, namespace: str, ca_bundle_ref: dict[str, Any]
) -> None:
    bad = _entry(namespace, "bad-ca", "v1beta1", remoteUrl="https://x.example.com")
    bad["spec"]["caBundleRef"] = ca_bundle_ref
    with pytest.raises(ApiError) as refused:
        client.create(codecs.from_dict(bad))
    assert refused.value.status.code == 422
    assert RULE_MESSAGE in str(refused.value)
    parsed = parse_object(MCPServerEntry, bad)
    assert isinstance(parsed, Malformed)
    assert RULE_MESSAGE in parsed.problem

"""Against a real kube-apiserver: CRD validation, discovery, apply, RBAC, rollout, deletions.

The example group is seeded into a fresh namespace (next to another group's objects), found by
the real lightkube discovery, rendered, and every declared object is server-side applied. The
API server itself decides RBAC (SubjectAccessReview), and kube-controller-manager plus the fake
kubelet roll the Deployment out.
"""

# lightkube's models declare every field Optional; a missing one here is a test failure anyway.
# pyright: reportOptionalMemberAccess=false, reportOptionalIterable=false, reportOptionalSubscript=false

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx2 as httpx
import pytest
from lightkube import ApiError, Client, codecs
from lightkube.models.authorization_v1 import ResourceAttributes, SubjectAccessReviewSpec
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.authorization_v1 import SubjectAccessReview
from lightkube.resources.core_v1 import ConfigMap, Pod

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import FIELD_MANAGER, GROUP, RESOURCES, example_objects, seed, wait_for
from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import build_inventory
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError
from vmcp_components.kube.discovery import ClusterDiscovery

NAME = "eng-tools"
pytestmark = pytest.mark.e2e


def entry(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPServerEntry",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"transport": "streamable-http", "groupRef": {"name": GROUP}, **spec},
    }


def discovery(cluster: Cluster) -> ClusterDiscovery:
    return ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")


def render_from_cluster(cluster: Cluster, namespace: str) -> Rendering:
    inventory = discovery(cluster).fetch(namespace, GROUP, None)
    return render(
        inventory, NAME, VirtualMCPServerArgs(namespace=namespace, group=GROUP, replicas=2)
    )


def apply_all(client: Client, rendering: Rendering) -> dict[str, str]:
    """Server-side apply every declared object; return kind -> version of what we own.

    That is the resourceVersion, except for the Deployment, whose status the controllers keep
    writing: there it is the generation, which only a change of the spec bumps.
    """
    versions = {}
    for obj in rendering.objects:
        applied = client.apply(codecs.from_dict(obj), field_manager=FIELD_MANAGER)
        meta = applied.metadata
        versions[obj["kind"]] = str(
            meta.generation if obj["kind"] == "Deployment" else meta.resourceVersion
        )
    return versions


_COLLECTIONS = {
    "ServiceAccount": "api/v1/namespaces/{ns}/serviceaccounts",
    "Role": "apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
    "RoleBinding": "apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
    "ConfigMap": "api/v1/namespaces/{ns}/configmaps",
    "Deployment": "apis/apps/v1/namespaces/{ns}/deployments",
    "Service": "api/v1/namespaces/{ns}/services",
    "PodDisruptionBudget": "apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
}


def strict_dry_run_apply(cluster: Cluster, obj: dict[str, Any]) -> httpx.Response:
    """Server-side apply with `fieldValidation=Strict` and `dryRun=All`: an unknown or
    duplicated field is an error instead of being silently dropped. (lightkube cannot send
    fieldValidation, so this is a raw request with the cluster's CA and admin token.)"""
    meta = obj["metadata"]
    path = _COLLECTIONS[obj["kind"]].format(ns=meta["namespace"])
    trust = ssl.create_default_context(cafile=str(cluster.workdir / "pki" / "ca.crt"))
    with httpx.Client(verify=trust) as http:
        return http.patch(
            f"{cluster.server}/{path}/{meta['name']}",
            params={"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict", "dryRun": "All"},
            headers={
                "Authorization": f"Bearer {cluster.token}",
                "Content-Type": "application/apply-patch+yaml",
            },
            content=json.dumps(obj),
        )


def deployment_available(client: Client, namespace: str) -> Any:
    deployment = client.get(Deployment, NAME, namespace=namespace)
    status = deployment.status
    if status is None or deployment.metadata is None or deployment.spec is None:
        return None
    done = (
        status.observedGeneration == deployment.metadata.generation
        and status.updatedReplicas == deployment.spec.replicas
        and status.availableReplicas == deployment.spec.replicas
        and any(c.type == "Available" and c.status == "True" for c in status.conditions or [])
    )
    return deployment if done else None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"remoteUrl": "ftp://files.example.com"}, "spec.remoteUrl"),
        ({"remoteUrl": "https://x.example.com", "transport": "stdio"}, "spec.transport"),
    ],
)
def test_the_api_server_rejects_schema_invalid_entries(
    client: Client, namespace: str, spec: dict[str, Any], message: str
) -> None:
    bad = entry(namespace, "bad-entry", **{"remoteUrl": "https://ok.example.com", **spec})
    with pytest.raises(ApiError) as error:
        client.create(codecs.from_dict(bad))
    assert error.value.status.code == 422
    assert message in str(error.value)


def test_discovery_finds_exactly_the_group_members(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    others = [
        entry(
            namespace,
            "other-entry",
            remoteUrl="https://other.example.com",
            groupRef={"name": "sales-team"},
        ),
        {
            **entry(namespace, "orphan", remoteUrl="https://orphan.example.com"),
            "spec": {
                "remoteUrl": "https://orphan.example.com",
                "transport": "sse",
                "groupRef": {"name": "nobody"},
            },
        },
    ]
    objects = example_objects(namespace) + others
    seed(client, objects)
    plan = discovery(cluster).discover(namespace, GROUP, None, [])
    assert plan.group == GROUP
    assert plan.members == {
        "MCPServerEntry": (
            "cloud-metadata",
            "context7",
            "internal-api",
            "internal-mcp",
            "salesforce-mcp",
        ),
        "MCPServer": ("github-mcp",),
        "MCPRemoteProxy": (),
    }
    assert plan.auth_configs == ("salesforce-auth",)
    assert plan.config_maps == ("corp-ca-bundle",)
    assert plan.secret_keys == {
        "internal-api-credentials": frozenset({"bearer-token"}),
        "salesforce-oauth": frozenset({"client-secret"}),
    }
    snapshot = build_inventory(namespace, objects, "seeded objects")
    assert plan == InventoryDiscovery(snapshot).discover(namespace, GROUP, None, [])


def test_every_declared_object_is_accepted_and_rolls_out(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    rendering = render_from_cluster(cluster, namespace)
    assert rendering.status["backendCount"] == 5
    for obj in rendering.objects:
        response = strict_dry_run_apply(cluster, obj)
        assert response.status_code in (200, 201), f"{obj['kind']}: {response.text}"
    misspelt = json.loads(json.dumps(rendering.object("Deployment")))
    misspelt["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    refused = strict_dry_run_apply(cluster, misspelt)  # the control: a misspelt field is caught
    assert refused.status_code >= 400
    assert "imagePullPolicyy" in refused.text
    first = apply_all(client, rendering)
    second = apply_all(client, render_from_cluster(cluster, namespace))
    assert second == first, "a second apply of the same objects changed something"

    deployment = wait_for(
        lambda: deployment_available(client, namespace), "the Deployment to be Available"
    )
    template = deployment.spec.template
    assert (
        template.metadata.annotations["toolhive.stacklok.dev/runconfig-checksum"]
        == rendering.status["configChecksum"]
    )
    replica_sets = list(client.list(ReplicaSet, namespace=namespace))
    assert len(replica_sets) == 1
    pods = list(client.list(Pod, namespace=namespace, labels={"toolhive-name": NAME}))
    assert len(pods) == 2
    for pod in pods:
        volumes = {v.name: v for v in pod.spec.volumes}
        assert volumes["ca-bundle-internal-mcp"].configMap.name == "corp-ca-bundle"
        mounts = {m.name: m.mountPath for m in pod.spec.containers[0].volumeMounts}
        assert mounts["ca-bundle-internal-mcp"] == "/etc/toolhive/ca-bundles/internal-mcp"
        assert mounts["vmcp-config"] == "/etc/vmcp-config"


def _review(
    client: Client, namespace: str, verb: str, resource: str, group: str = "toolhive.stacklok.dev"
) -> bool:
    review = SubjectAccessReview(
        spec=SubjectAccessReviewSpec(
            user=f"system:serviceaccount:{namespace}:{NAME}-vmcp",
            groups=["system:serviceaccounts", f"system:serviceaccounts:{namespace}"],
            resourceAttributes=ResourceAttributes(
                namespace=namespace, verb=verb, group=group, resource=resource
            ),
        )
    )
    return bool(client.create(review).status.allowed)


def test_rbac_as_the_api_server_decides(cluster: Cluster, client: Client, namespace: str) -> None:
    seed(client, example_objects(namespace))
    apply_all(client, render_from_cluster(cluster, namespace))
    for verb in ("get", "list", "watch"):
        for resource in ("mcpserverentries", "mcpgroups", "mcpservers", "mcpremoteproxies"):
            assert _review(client, namespace, verb, resource), (
                f"{verb} {resource} should be allowed"
            )
    for verb in ("create", "update", "patch", "delete"):
        assert not _review(client, namespace, verb, "mcpserverentries"), f"{verb} should be denied"
    for verb in ("get", "list", "watch"):
        assert not _review(client, namespace, verb, "secrets", group=""), (
            f"{verb} secrets should be denied"
        )
        assert not _review(client, namespace, verb, "configmaps", group="")
        assert not _review(client, "default", verb, "mcpserverentries"), (
            "another namespace must be denied"
        )
    assert not _review(client, namespace, "get", "mcpexternalauthconfigs")


def test_a_new_ca_entry_rolls_out_a_new_pod_template(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    before = render_from_cluster(cluster, namespace)
    apply_all(client, before)
    wait_for(lambda: deployment_available(client, namespace), "the first rollout")

    pem = client.get(ConfigMap, "corp-ca-bundle", namespace=namespace).data["ca.crt"]
    seed(
        client,
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "partner-ca", "namespace": namespace},
                "data": {"bundle.pem": pem},
            },
            entry(
                namespace,
                "partner-api",
                remoteUrl="https://partner.example.com/mcp",
                caBundleRef={"configMapRef": {"name": "partner-ca", "key": "bundle.pem"}},
            ),
        ],
    )
    after = render_from_cluster(cluster, namespace)
    assert after.status["configChecksum"] != before.status["configChecksum"]
    apply_all(client, after)
    deployment = wait_for(
        lambda: (
            (d := deployment_available(client, namespace))
            and d.spec.template.metadata.annotations["toolhive.stacklok.dev/runconfig-checksum"]
            == after.status["configChecksum"]
            and d
        ),
        "the rollout of the new pod template",
    )
    assert deployment.metadata.generation == 2
    volumes = {v.name: v for v in deployment.spec.template.spec.volumes}
    assert volumes["ca-bundle-partner-api"].configMap.items[0].path == "bundle.pem"
    assert len(list(client.list(ReplicaSet, namespace=namespace))) == 2
    pods = wait_for(
        lambda: [
            p
            for p in client.list(Pod, namespace=namespace, labels={"toolhive-name": NAME})
            if "ca-bundle-partner-api" in {v.name for v in p.spec.volumes}
        ],
        "pods with the new CA volume",
    )
    assert len(pods) == 2


def test_deleted_ca_config_map_and_entry_between_runs(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    apply_all(client, render_from_cluster(cluster, namespace))
    client.delete(ConfigMap, "corp-ca-bundle", namespace=namespace)
    client.delete(RESOURCES["MCPServerEntry"], "context7", namespace=namespace)
    rendering = render_from_cluster(cluster, namespace)
    skipped = {s["name"]: s["reason"] for s in rendering.status["skippedBackends"]}
    assert (
        skipped["internal-mcp"]
        == f'CA bundle ConfigMap "corp-ca-bundle" not found in namespace "{namespace}"; '
        "create it there, or fix caBundleRef.configMapRef.name"
    )
    assert "context7" not in skipped
    assert [b["name"] for b in rendering.status["discoveredBackends"]] == [
        "github-mcp",
        "internal-api",
        "salesforce-mcp",
    ]
    apply_all(client, rendering)
    deployment = client.get(Deployment, NAME, namespace=namespace)
    assert [v.name for v in deployment.spec.template.spec.volumes] == ["vmcp-config"]
    config = client.get(ConfigMap, f"{NAME}-vmcp-config", namespace=namespace).data["config.yaml"]
    assert "name: context7\n" not in config
    assert "name: internal-mcp\n" not in config


def test_a_failing_render_leaves_the_deployed_objects_alone(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    versions = apply_all(client, render_from_cluster(cluster, namespace))
    client.delete(RESOURCES["MCPGroup"], GROUP, namespace=namespace)
    with pytest.raises(VmcpError, match=f'MCPGroup "{GROUP}" not found in namespace "{namespace}"'):
        render_from_cluster(cluster, namespace)
    deployed = client.get(Deployment, NAME, namespace=namespace)
    config_map = client.get(ConfigMap, f"{NAME}-vmcp-config", namespace=namespace)
    assert str(deployed.metadata.generation) == versions["Deployment"]
    assert config_map.metadata.resourceVersion == versions["ConfigMap"]

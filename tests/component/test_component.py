"""VirtualMCPServer on the mock engine: reads, children, registered inputs, outputs, failures.

Checks that the component reads every object derivation uses (and never a Secret), declares
exactly the rendered objects with the same inputs `render` prints, parents and names its
children, reacts to entries added or removed, warns per skip and per rendering warning, refuses
strict-mode skips and a missing group without registering any child, and keeps secret values out
of every input.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest

from tests.component.conftest import (
    GROUP,
    NAMESPACE,
    Engine,
    Raw,
    example_inventory,
    example_objects,
    install,
    resolved,
    run_program,
)
from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs

ARGS = VirtualMCPServerArgs(namespace=NAMESPACE, group=GROUP)
K8S_TYPES = {
    "ServiceAccount": "kubernetes:core/v1:ServiceAccount",
    "Role": "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "RoleBinding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "ConfigMap": "kubernetes:core/v1:ConfigMap",
    "Deployment": "kubernetes:apps/v1:Deployment",
    "Service": "kubernetes:core/v1:Service",
}
SECRET_VALUE = "cGxhY2Vob2xkZXI="  # the example Secrets' (placeholder) value, base64


def deploy(
    engine: Engine, args: VirtualMCPServerArgs = ARGS, name: str = "eng-tools"
) -> VirtualMCPServer:
    return run_program(lambda: VirtualMCPServer(name, args, discovery=engine.discovery))


def ints(value: Any) -> Any:
    """The mock wire format turns integers into floats; compare them as the ints they were."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [ints(v) for v in value]
    return value


def _key(obj: Raw) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def with_objects(objects: list[Raw], *more: Raw) -> list[Raw]:
    """`objects` with `more` added, each replacing an object of the same kind and name."""
    replaced = {_key(obj) for obj in more}
    return [obj for obj in objects if _key(obj) not in replaced] + list(more)


def without(objects: list[Raw], kind: str, name: str) -> list[Raw]:
    return [obj for obj in objects if _key(obj) != (kind, name)]


def find(objects: list[Raw], kind: str, name: str) -> Raw:
    (found,) = (obj for obj in objects if _key(obj) == (kind, name))
    return found


def ca_entry(name: str, config_map: str = "corp-ca-bundle", key: str = "ca.crt") -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPServerEntry",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "remoteUrl": f"https://{name}.corp.example.com/mcp",
            "transport": "streamable-http",
            "groupRef": {"name": GROUP},
            "caBundleRef": {"configMapRef": {"name": config_map, "key": key}},
        },
    }


def pod_spec(engine: Engine) -> dict[str, Any]:
    return engine.cluster.one(K8S_TYPES["Deployment"])["spec"]["template"]["spec"]


def config_yaml(engine: Engine) -> str:
    return engine.cluster.one(K8S_TYPES["ConfigMap"])["data"]["config.yaml"]


def test_children_are_named_typed_and_parented(engine: Engine) -> None:
    deploy(engine)
    created = {(c.typ, c.name) for c in engine.cluster.creates}
    assert created == {("vmcp:index:VirtualMCPServer", "eng-tools")} | {
        (K8S_TYPES["ServiceAccount"], "eng-tools-service-account"),
        (K8S_TYPES["Role"], "eng-tools-role"),
        (K8S_TYPES["RoleBinding"], "eng-tools-role-binding"),
        (K8S_TYPES["ConfigMap"], "eng-tools-config"),
        (K8S_TYPES["Deployment"], "eng-tools-deployment"),
        (K8S_TYPES["Service"], "eng-tools-service"),
    }
    children = [
        urn
        for urn in engine.urns()
        if "VirtualMCPServer::" not in urn and "pulumi:pulumi:Stack" not in urn
    ]
    assert children, "no child was registered"
    for urn in children:
        assert "::vmcp:index:VirtualMCPServer$" in urn, f"{urn} is not parented to the component"


def test_every_object_derivation_uses_is_read_and_no_secret(engine: Engine) -> None:
    deploy(engine)
    reads = sorted((r.typ.rsplit(":", 1)[1], r.resource_id, r.name) for r in engine.cluster.reads)
    assert reads == [
        ("ConfigMap", f"{NAMESPACE}/corp-ca-bundle", "eng-tools-configmap-corp-ca-bundle"),
        (
            "MCPExternalAuthConfig",
            f"{NAMESPACE}/salesforce-auth",
            "eng-tools-mcpexternalauthconfig-salesforce-auth",
        ),
        ("MCPGroup", f"{NAMESPACE}/engineering-team", "eng-tools-mcpgroup-engineering-team"),
        ("MCPServer", f"{NAMESPACE}/github-mcp", "eng-tools-mcpserver-github-mcp"),
        (
            "MCPServerEntry",
            f"{NAMESPACE}/cloud-metadata",
            "eng-tools-mcpserverentry-cloud-metadata",
        ),
        ("MCPServerEntry", f"{NAMESPACE}/context7", "eng-tools-mcpserverentry-context7"),
        ("MCPServerEntry", f"{NAMESPACE}/internal-api", "eng-tools-mcpserverentry-internal-api"),
        ("MCPServerEntry", f"{NAMESPACE}/internal-mcp", "eng-tools-mcpserverentry-internal-mcp"),
        (
            "MCPServerEntry",
            f"{NAMESPACE}/salesforce-mcp",
            "eng-tools-mcpserverentry-salesforce-mcp",
        ),
    ]


def test_each_read_names_the_object_it_reads(engine: Engine) -> None:
    """A read sent without inputs is an import to the kubernetes provider, which then decodes
    its whole package schema once per read (issue 9); each read names its object instead."""
    deploy(engine)
    assert engine.cluster.reads
    for read in engine.cluster.reads:
        namespace, name = (read.resource_id or "").split("/")
        api_version = read.typ.split(":")[1].removeprefix("core/")
        assert read.inputs == {
            "apiVersion": api_version,
            "kind": read.typ.rsplit(":", 1)[1],
            "metadata": {"name": name, "namespace": namespace},
        }


def test_registered_inputs_equal_what_render_prints(engine: Engine) -> None:
    deploy(engine)
    expected = render(example_inventory(), "eng-tools", ARGS)
    k8s_creates = [c for c in engine.cluster.creates if c.typ.startswith("kubernetes:")]
    assert sorted(c.typ for c in k8s_creates) == sorted(
        K8S_TYPES[o["kind"]] for o in expected.objects
    )
    for obj in expected.objects:
        assert ints(engine.cluster.one(K8S_TYPES[obj["kind"]])) == obj, (
            f"{obj['kind']} differs from render"
        )


def test_outputs_hold_the_status(engine: Engine) -> None:
    vmcp = deploy(engine)
    status = render(example_inventory(), "eng-tools", ARGS).status
    assert resolved(vmcp.discovered_backends) == status["discoveredBackends"]
    assert resolved(vmcp.backend_count) == 5
    assert resolved(vmcp.skipped_backends) == status["skippedBackends"]
    assert [s["name"] for s in status["skippedBackends"]] == ["cloud-metadata"]
    cm = engine.cluster.one(K8S_TYPES["ConfigMap"])
    assert (
        resolved(vmcp.config_checksum)
        == cm["metadata"]["annotations"]["toolhive.stacklok.dev/content-checksum"]
    )
    assert resolved(vmcp.url) == "http://vmcp-eng-tools.toolhive-system.svc.cluster.local:4483"
    assert resolved(vmcp.config_map_name) == "eng-tools-vmcp-config"
    assert resolved(vmcp.deployment_name) == "eng-tools"


def test_each_skip_is_a_pulumi_warning(engine: Engine) -> None:
    deploy(engine)
    assert [m for m in engine.warnings.messages if m.startswith("skipped ")] == [
        'skipped MCPServerEntry "cloud-metadata": remote URL host is not allowed: IP address '
        "169.254.169.254 falls within blocked range 169.254.0.0/16; it is never allowed, "
        "allowPrivateEndpoint does not change that; point remoteUrl at the MCP server itself"
    ]


def test_each_rendering_warning_is_a_pulumi_warning() -> None:
    entry = ca_entry("creds-in-clear")
    entry["spec"]["headerForward"] = {"addPlaintextHeaders": {"X-Api-Key": "MARKER-in-clear"}}
    engine = install(with_objects(example_objects(), entry))
    deploy(engine)
    (warning,) = [m for m in engine.warnings.messages if "creds-in-clear" in m]
    assert warning.startswith(
        "MCPServerEntry \"creds-in-clear\": plaintext header 'X-Api-Key' looks like a credential"
    )
    assert "MARKER" not in warning


def test_ca_volumes_and_mounts_with_default_and_custom_key() -> None:
    objects = with_objects(example_objects(), ca_entry("partner-api", key="bundle.pem"))
    config_map = copy.deepcopy(find(objects, "ConfigMap", "corp-ca-bundle"))
    config_map["data"]["bundle.pem"] = config_map["data"]["ca.crt"]
    engine = install(with_objects(objects, config_map))
    deploy(engine)
    spec = pod_spec(engine)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["ca-bundle-internal-mcp"]["configMap"] == {
        "name": "corp-ca-bundle",
        "items": [{"key": "ca.crt", "path": "ca.crt"}],
    }
    assert volumes["ca-bundle-partner-api"]["configMap"] == {
        "name": "corp-ca-bundle",
        "items": [{"key": "bundle.pem", "path": "bundle.pem"}],
    }
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["ca-bundle-partner-api"] == {
        "name": "ca-bundle-partner-api",
        "mountPath": "/etc/toolhive/ca-bundles/partner-api",
        "readOnly": True,
    }
    assert "caBundlePath: /etc/toolhive/ca-bundles/partner-api/bundle.pem" in config_yaml(engine)
    assert "caBundlePath: /etc/toolhive/ca-bundles/internal-mcp/ca.crt" in config_yaml(engine)


def _checksums(engine: Engine) -> tuple[str, str]:
    cm = engine.cluster.one(K8S_TYPES["ConfigMap"])["metadata"]["annotations"][
        "toolhive.stacklok.dev/content-checksum"
    ]
    dep = engine.cluster.one(K8S_TYPES["Deployment"])["spec"]["template"]["metadata"]["annotations"]
    return cm, dep["toolhive.stacklok.dev/runconfig-checksum"]


def test_an_added_entry_changes_the_checksum_and_the_pod_template() -> None:
    before = install(example_objects())
    deploy(before)
    after = install(with_objects(example_objects(), ca_entry("new-tool")))
    vmcp = deploy(after)
    old_cm, old_pod = _checksums(before)
    new_cm, new_pod = _checksums(after)
    assert old_cm == old_pod
    assert new_cm == new_pod
    assert new_cm != old_cm
    assert "ca-bundle-new-tool" in {v["name"] for v in pod_spec(after)["volumes"]}
    assert "new-tool" in [b["name"] for b in resolved(vmcp.discovered_backends)]


def test_a_removed_entry_leaves_config_volumes_and_outputs() -> None:
    engine = install(without(example_objects(), "MCPServerEntry", "internal-mcp"))
    vmcp = deploy(engine)
    assert "name: internal-mcp\n" not in config_yaml(engine)
    assert "name: context7\n" in config_yaml(engine)
    assert [v["name"] for v in pod_spec(engine)["volumes"]] == ["vmcp-config"]
    assert "internal-mcp" not in [b["name"] for b in resolved(vmcp.discovered_backends)]
    assert resolved(vmcp.backend_count) == 4
    assert not [
        r for r in engine.cluster.reads if (r.resource_id or "").endswith("/corp-ca-bundle")
    ]


def test_preview_registers_the_same_objects() -> None:
    engine = install(example_objects(), preview=True)
    vmcp = deploy(engine)
    assert pulumi.runtime.is_dry_run()
    assert sorted(
        c.typ for c in engine.cluster.creates if c.typ.startswith("kubernetes:")
    ) == sorted(K8S_TYPES.values())
    assert resolved(vmcp.backend_count) == 5
    assert "name: eng-tools" in config_yaml(engine)


def test_existing_service_account_means_no_rbac_objects(engine: Engine) -> None:
    deploy(engine, ARGS.model_copy(update={"service_account": "platform-vmcp"}))
    kinds = {c.typ for c in engine.cluster.creates}
    assert not kinds & {K8S_TYPES["ServiceAccount"], K8S_TYPES["Role"], K8S_TYPES["RoleBinding"]}
    assert pod_spec(engine)["serviceAccountName"] == "platform-vmcp"


def test_strict_mode_fails_before_any_child_is_registered(engine: Engine) -> None:
    with pytest.raises(
        Exception, match=r"strict mode: 1 member\(s\) of group engineering-team would be skipped"
    ):
        deploy(engine, ARGS.model_copy(update={"strict": True}))
    assert not [c for c in engine.cluster.creates if c.typ.startswith("kubernetes:")]


def test_a_missing_group_fails_and_declares_nothing() -> None:
    engine = install(without(example_objects(), "MCPGroup", GROUP))
    with pytest.raises(
        Exception, match='MCPGroup "engineering-team" not found in namespace "toolhive-system"'
    ):
        deploy(engine)
    assert not [c for c in engine.cluster.creates if c.typ.startswith("kubernetes:")]
    assert not [r for r in engine.cluster.reads if r.typ.endswith(":MCPGroup")]


def test_secret_values_never_reach_inputs_or_outputs(engine: Engine) -> None:
    vmcp = deploy(engine)
    registered = json.dumps([c.inputs for c in engine.cluster.creates])
    outputs = json.dumps([resolved(vmcp.discovered_backends), resolved(vmcp.skipped_backends)])
    assert "Secret" not in {r.typ.rsplit(":", 1)[1] for r in engine.cluster.reads}
    for text in (registered, outputs):
        assert SECRET_VALUE not in text
        assert "placeholder" not in text
    assert "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH" in registered


def test_explicit_entries_replace_discovery(engine: Engine) -> None:
    vmcp = deploy(engine, ARGS.model_copy(update={"entries": ["context7", "crm-tools"]}))
    assert [b["name"] for b in resolved(vmcp.discovered_backends)] == ["context7"]
    assert resolved(vmcp.skipped_backends) == [
        {
            "name": "crm-tools",
            "kind": "MCPServerEntry",
            "reason": 'belongs to group "sales-team", not "engineering-team"; '
            "fix spec.groupRef or the entries list",
        }
    ]


def test_preview_renders_even_when_a_read_lacks_a_property() -> None:
    """A property the live object lacks is unknown to the SDK in preview; it must read as absent."""
    config_map = copy.deepcopy(find(example_objects(), "ConfigMap", "corp-ca-bundle"))
    del config_map["data"]
    engine = install(with_objects(example_objects(), config_map), preview=True)
    vmcp = deploy(engine)
    assert resolved(vmcp.backend_count) == 4
    reasons = {s["name"]: s["reason"] for s in resolved(vmcp.skipped_backends)}
    assert reasons["internal-mcp"].startswith(
        'CA bundle ConfigMap "corp-ca-bundle" has no key "ca.crt"'
    )

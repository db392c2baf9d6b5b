"""The policy pack's resource policies, spoken to over the analyzer's own gRPC interface.

The pack runs as the engine runs it (`policy/run`, see `policy_analyzer.py`). Compliant input is
what the VirtualMCPServer component really declares for the example group (mock engine); each
violation is a small edit of it, or a component given the settings that cause it. Every policy
is tested both ways, and its message must say what to change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.unit.policy_analyzer import (
    Analyzer,
    Registered,
    child,
    declare,
    example_objects,
    of_policy,
    start_pack,
)

ARGS: dict[str, Any] = {"namespace": "toolhive-system", "group": "engineering-team"}
RESOURCE_POLICIES = {
    "vmcp-backends-https": "mandatory",
    "vmcp-no-plaintext-credential-headers": "mandatory",
    "vmcp-image-pinned": "mandatory",
    "vmcp-resources-set": "advisory",
    "vmcp-production-endpoints": "mandatory",
    "vmcp-role-read-only": "mandatory",
}
STACK_POLICIES = {"vmcp-children-complete": "mandatory", "vmcp-production-replicas": "mandatory"}
PRODUCTION = {"environment": "production"}


@pytest.fixture(scope="module")
def pack() -> Iterator[Analyzer]:
    analyzer = start_pack()
    yield analyzer
    analyzer.stop()


@pytest.fixture(scope="module")
def example() -> list[Registered]:
    return declare({**ARGS, "replicas": 3})


def _with_backend(config_map: Registered, backend: dict[str, Any]) -> Registered:
    def edit(props: dict[str, Any]) -> None:
        config = yaml.safe_load(props["data"]["config.yaml"])
        config["backends"].append(backend)
        props["data"]["config.yaml"] = yaml.safe_dump(config)

    return config_map.edited(edit)


def _container(props: dict[str, Any]) -> dict[str, Any]:
    return props["spec"]["template"]["spec"]["containers"][0]


def _with_image(deployment: Registered, image: str) -> Registered:
    return deployment.edited(lambda props: _container(props).update(image=image))


def test_analyzer_info_lists_every_policy_with_its_level_and_config(pack: Analyzer) -> None:
    info = pack.info()
    assert info.name == "vmcp-guardrails"
    assert info.supportsConfig
    levels = {0: "advisory", 1: "mandatory"}
    assert {p.name: levels[p.enforcementLevel] for p in info.policies} == {
        **RESOURCE_POLICIES,
        **STACK_POLICIES,
    }
    kinds = {p.name: p.policy_type for p in info.policies}
    assert {name for name, kind in kinds.items() if kind == 2} == set(STACK_POLICIES)
    schemas = {p.name: set(p.configSchema.properties) for p in info.policies}
    assert schemas["vmcp-backends-https"] == {"allowedHttp"}
    assert schemas["vmcp-image-pinned"] == {"requireDigest"}
    assert schemas["vmcp-production-endpoints"] == {
        "production",
        "productionTag",
        "allowedPrivateBackends",
    }
    assert schemas["vmcp-production-replicas"] == {"production", "productionTag", "minReplicas"}


def test_what_the_component_declares_passes_every_policy(
    pack: Analyzer, example: list[Registered]
) -> None:
    pack.configure(tags=PRODUCTION)
    assert pack.analyze_all(example) == []
    assert pack.analyze_stack(example) == []


def test_plain_http_backend_is_refused_unless_allowed(
    pack: Analyzer, example: list[Registered]
) -> None:
    config = _with_backend(
        child(example, "config"), {"name": "docs", "url": "http://docs.example.org/mcp"}
    )
    pack.configure()
    (found,) = pack.analyze(config)
    assert found.policy == "vmcp-backends-https"
    assert found.level == "mandatory"
    assert "backend docs is reached over plain HTTP (http://docs.example.org/mcp)" in found.message
    assert "https://" in found.message
    assert "allowedHttp" in found.message
    for allowed in (["docs"], ["*.example.org"]):  # the in-cluster default is replaced
        in_cluster = [*allowed, "*.svc.cluster.local"]
        pack.configure({"vmcp-backends-https": {"allowedHttp": in_cluster}})
        assert pack.analyze(config) == []
    # The default admits ToolHive's in-cluster proxies (the example's MCPServer); [] does not.
    pack.configure({"vmcp-backends-https": {"allowedHttp": []}})
    refused = [d.message for d in pack.analyze(child(example, "config"))]
    assert len(refused) == 1
    assert "backend github-mcp is reached over plain HTTP" in refused[0]


def test_the_enforcement_level_comes_from_the_config(
    pack: Analyzer, example: list[Registered]
) -> None:
    config = _with_backend(
        child(example, "config"), {"name": "docs", "url": "http://docs.example.org/mcp"}
    )
    pack.configure({"vmcp-backends-https": {"enforcementLevel": "advisory"}})
    assert [d.level for d in pack.analyze(config)] == ["advisory"]
    pack.configure({"vmcp-backends-https": {"enforcementLevel": "disabled"}})
    assert pack.analyze(config) == []


def test_plaintext_credential_header_is_refused(pack: Analyzer) -> None:
    objects = example_objects()
    (entry,) = (o for o in objects if o["metadata"]["name"] == "internal-api")
    entry["spec"]["headerForward"]["addPlaintextHeaders"]["X-Api-Key"] = "k-123"
    deployment = child(declare(ARGS, objects), "deployment")
    pack.configure()
    (found,) = pack.analyze(deployment)
    assert found.policy == "vmcp-no-plaintext-credential-headers"
    assert "header X-Api-Key is forwarded in plaintext (TOOLHIVE_HEADER_FORWARD_INTERNAL_API)" in (
        found.message
    )
    assert "headerForward.addHeadersFromSecret" in found.message
    assert "k-123" not in found.message


def test_the_example_plaintext_header_is_not_a_credential(
    pack: Analyzer, example: list[Registered]
) -> None:
    deployment = child(example, "deployment")
    env = {e["name"]: e.get("value") for e in _container(deployment.props)["env"]}
    assert (
        "X-Tenant-ID"
        in json.loads(env["TOOLHIVE_HEADER_FORWARD_INTERNAL_API"])["addPlaintextHeaders"]
    )
    pack.configure()
    assert pack.analyze(deployment) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("ghcr.io/stacklok/toolhive/vmcp:latest", "uses the moving tag :latest"),
        ("ghcr.io/stacklok/toolhive/vmcp", "has no tag, so it means :latest"),
        ("registry.local:5000/vmcp", "has no tag, so it means :latest"),
        ("ghcr.io/stacklok/toolhive/vmcp@sha256:abc", "has a malformed digest"),
    ],
)
def test_unpinned_image_is_refused(
    pack: Analyzer, example: list[Registered], image: str, problem: str
) -> None:
    pack.configure()
    (found,) = pack.analyze(_with_image(child(example, "deployment"), image))
    assert found.policy == "vmcp-image-pinned"
    assert f"image '{image}' {problem}" in found.message
    assert "set the stack's image to a pinned reference" in found.message


def test_a_digest_is_required_where_the_config_asks(
    pack: Analyzer, example: list[Registered]
) -> None:
    deployment = child(example, "deployment")
    pack.configure({"vmcp-image-pinned": {"requireDigest": True}})
    (found,) = pack.analyze(deployment)
    assert "has no sha256 digest" in found.message
    assert "ghcr.io/stacklok/toolhive/vmcp@sha256:<digest>" in found.message
    digest = "ghcr.io/stacklok/toolhive/vmcp:v0.63.0@sha256:" + "0" * 64
    assert pack.analyze(_with_image(deployment, digest)) == []
    pack.configure()
    assert pack.analyze(deployment) == []


def test_missing_requests_or_limits_are_reported(pack: Analyzer) -> None:
    deployment = child(
        declare({**ARGS, "resources": {"requests": {"cpu": "50m"}, "limits": {"cpu": "1"}}}),
        "deployment",
    )
    pack.configure()
    (found,) = pack.analyze(deployment)
    assert found.policy == "vmcp-resources-set"
    assert found.level == "advisory"
    assert "container vmcp has no requests.memory, limits.memory" in found.message
    assert "set the stack's resources" in found.message


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [
        ("https://10.1.2.3/mcp", "entry", "falls within blocked range 10.0.0.0/8"),
        ("https://mcp.tools.svc.cluster.local/mcp", "entry", "cluster.local"),
        ("https://mcp.tools.svc/mcp", "entry", "in-cluster service name"),
        ("http://10.1.2.3:8080/mcp", "", "falls within blocked range 10.0.0.0/8"),
    ],
)
def test_private_endpoints_are_refused_in_production(
    pack: Analyzer, example: list[Registered], url: str, kind: str, reason: str
) -> None:
    config = _with_backend(child(example, "config"), {"name": "private", "url": url, "type": kind})
    allow_http = {"vmcp-backends-https": {"enforcementLevel": "disabled"}}
    pack.configure(allow_http, tags=PRODUCTION)
    (found,) = pack.analyze(config)
    assert found.policy == "vmcp-production-endpoints"
    assert "backend private points at a private endpoint in production" in found.message
    assert reason in found.message
    assert "allowPrivateEndpoint" in found.message
    pack.configure(allow_http)  # not production: no tag
    assert pack.analyze(config) == []
    exempt = {"allowedPrivateBackends": ["private"]}
    pack.configure({**allow_http, "vmcp-production-endpoints": exempt}, tags=PRODUCTION)
    assert pack.analyze(config) == []


def test_production_comes_from_the_config_or_a_configurable_tag(
    pack: Analyzer, example: list[Registered]
) -> None:
    config = _with_backend(
        child(example, "config"), {"name": "p", "url": "https://10.0.0.9/", "type": "entry"}
    )
    policy = "vmcp-production-endpoints"
    cases = [
        ({}, {"environment": "prod"}, 1),
        ({}, {"environment": "staging"}, 0),
        ({"production": True}, {}, 1),
        ({"production": False}, PRODUCTION, 0),
        ({"productionTag": "tier"}, {"tier": "Production"}, 1),
        ({"productionTag": "tier"}, PRODUCTION, 0),
    ]
    for settings, tags, count in cases:
        pack.configure({policy: settings}, tags=tags)
        assert len(list(of_policy(pack.analyze(config), policy))) == count, (settings, tags)


def test_the_role_grants_only_reads_on_toolhive_kinds(
    pack: Analyzer, example: list[Registered]
) -> None:
    role = child(example, "role")
    pack.configure()
    assert pack.analyze(role) == []
    widened = [
        ({"verbs": ["get", "create"]}, "verbs ['create']"),
        ({"verbs": ["*"]}, "verbs ['*']"),
        ({"resources": ["mcpservers", "secrets"]}, "resources ['secrets']"),
        ({"apiGroups": [""]}, "apiGroups ['']"),
    ]
    for change, shown in widened:
        edited = role.edited(lambda props, c=change: props["rules"][0].update(c))
        (found,) = pack.analyze(edited)
        assert found.policy == "vmcp-role-read-only"
        assert f"rule 0 grants {shown}" in found.message


def test_the_role_binding_binds_only_the_vmcp_role(
    pack: Analyzer, example: list[Registered]
) -> None:
    binding = child(example, "role-binding")
    pack.configure()
    assert pack.analyze(binding) == []
    admin = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"}
    (found,) = pack.analyze(binding.edited(lambda props: props.update(roleRef=admin)))
    assert "binds ClusterRole admin" in found.message
    assert "eng-tools-vmcp" in found.message


def test_objects_outside_a_virtual_mcp_server_are_left_alone(
    pack: Analyzer, example: list[Registered]
) -> None:
    """The component's own reads, and lookalikes declared elsewhere, are not its children."""
    pack.configure(tags=PRODUCTION)
    ca_read = next(r for r in example if r.name == "eng-tools-configmap-corp-ca-bundle")
    config = _with_backend(child(example, "config"), {"name": "d", "url": "http://d.example/"})
    deployment = _with_image(child(example, "deployment"), "vmcp:latest")
    elsewhere = [
        ca_read,
        config.__class__(config.type, "other-config", config.urn, "", config.properties, True),
        deployment.__class__(
            deployment.type, "eng-tools-deployment", deployment.urn, "", deployment.properties, True
        ),
    ]
    assert pack.analyze_all(elsewhere) == []

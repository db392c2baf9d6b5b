"""The declared Kubernetes objects (reference §3.1, §3.5, §4, §5; DESIGN decisions).

Checks: ConfigMap name, labels and content checksum (against an independent SHA-256 written
here) equal to the pod-template annotation; the Deployment's shape (labels, selector, args,
port, probes, resources, restricted security contexts, service account, config volume); one
CA volume per included entry with `items [{key, path: key}]` mounted so the file lands exactly
on caBundlePath, custom keys, hashed volume names for long entry names, nothing for skipped
entries; the env (sorted, VMCP_NAMESPACE, no VMCP_NAME or HMAC secret, secrets provider only
with TOOLHIVE_SECRET_* vars, header-forward JSON as upstream); the Role; RBAC objects omitted
for an existing service account; the Service; object order.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any

import pytest

from tests import factories
from tests.factories import NAMESPACE
from tests.unit.helpers import (
    CHECKSUM_ANNOTATION,
    RUNCONFIG_ANNOTATION,
    backends_by_name,
    container_of,
    env_by_name,
    env_names,
    env_of,
    render_checked,
)
from vmcp_components.core.output.manifests import content_checksum
from vmcp_components.core.render import Rendering
from vmcp_components.core.settings.args import DEFAULT_IMAGE

Raw = dict[str, Any]
POD_LABELS = {
    "app": "virtualmcpserver",
    "app.kubernetes.io/name": "virtualmcpserver",
    "app.kubernetes.io/instance": "eng-tools",
    "toolhive": "true",
    "toolhive-name": "eng-tools",
}
FIXED_ENV = [
    {"name": "XDG_CONFIG_HOME", "value": "/tmp"},
    {"name": "HOME", "value": "/tmp"},
    {"name": "TOOLHIVE_RUNTIME", "value": "kubernetes"},
    {"name": "UNSTRUCTURED_LOGS", "value": "false"},
]


def _independent_checksum(data: dict[str, str], labels: dict[str, str]) -> str:
    """§3.1: SHA-256 over data keys+values in key order, then label keys+values in key order."""
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(key.encode("utf-8") + data[key].encode("utf-8"))
    for key in sorted(labels):
        digest.update(key.encode("utf-8") + labels[key].encode("utf-8"))
    return digest.hexdigest()


def _group(*extra: Raw) -> list[Raw]:
    return [
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry("context7", url="https://mcp.context7.com/mcp", phase="Valid"),
        factories.entry("internal-mcp", ca=("corp-ca", "ca.crt")),
        factories.server("github-mcp"),
        *extra,
    ]


def _render(*objects: Raw, **args: Any) -> Rendering:
    return render_checked(factories.inventory(*objects), **args)


def _pod_spec(rendering: Rendering) -> Raw:
    return rendering.object("Deployment")["spec"]["template"]["spec"]


# ─── ConfigMap ───


def test_config_map_name_labels_and_data() -> None:
    config_map = _render(*_group()).object("ConfigMap")
    assert config_map["apiVersion"] == "v1"
    assert config_map["metadata"]["name"] == "eng-tools-vmcp-config"
    assert config_map["metadata"]["namespace"] == NAMESPACE
    assert config_map["metadata"]["labels"] == {
        "toolhive.stacklok.io/component": "vmcp-config",
        "toolhive.stacklok.io/virtual-mcp-server": "eng-tools",
        # The operator writes toolhive-operator; this object is managed by this tool.
        "toolhive.stacklok.io/managed-by": "toolhive-operator",
    }
    assert list(config_map["data"]) == ["config.yaml"]


def test_content_checksum_matches_an_independent_computation() -> None:
    rendering = _render(*_group())
    config_map = rendering.object("ConfigMap")
    expected = _independent_checksum(config_map["data"], config_map["metadata"]["labels"])

    assert config_map["metadata"]["annotations"] == {CHECKSUM_ANNOTATION: expected}
    template = rendering.object("Deployment")["spec"]["template"]
    assert template["metadata"]["annotations"] == {RUNCONFIG_ANNOTATION: expected}
    assert rendering.status["configChecksum"] == expected


def test_content_checksum_function_follows_the_operator_rule() -> None:
    data = {"b.yaml": "two", "a.yaml": "one: é"}
    labels = {"z": "last", "m": "middle"}
    assert content_checksum(data, labels) == _independent_checksum(data, labels)
    # Key then value, keys sorted: moving bytes between key and value changes nothing ...
    assert content_checksum({"ab": "c"}, {}) == content_checksum({"a": "bc"}, {})
    # ... but all data comes before all labels, whatever the keys.
    assert content_checksum({"b": "2"}, {"a": "1"}) == hashlib.sha256(b"b2a1").hexdigest()


def test_a_config_change_changes_the_checksum_and_rolls_the_pods() -> None:
    before = _render(*_group())
    after = _render(
        *_group(
            factories.config_map("other-ca", {"ca.crt": factories.ca_pem()}),
            factories.entry("new-entry", ca=("other-ca", "ca.crt")),
        )
    )
    assert before.status["configChecksum"] != after.status["configChecksum"]


def test_changing_only_the_ca_pem_keeps_the_checksum() -> None:
    # §3.5: the PEM is mounted, not copied; kubelet refreshes the volume in place.
    bundle = factories.ca_pem() + factories.ca_pem()
    one = _render(*_group())
    two = _render(
        *[o for o in _group() if o["kind"] != "ConfigMap"],
        factories.config_map("corp-ca", {"ca.crt": bundle}),
    )
    assert one.status["configChecksum"] == two.status["configChecksum"]


# ─── Deployment ───


def test_deployment_metadata_labels_and_selector() -> None:
    deployment = _render(*_group()).object("Deployment")
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["metadata"]["name"] == "eng-tools"
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert deployment["metadata"]["labels"] == POD_LABELS
    assert deployment["spec"]["selector"] == {"matchLabels": POD_LABELS}
    assert deployment["spec"]["template"]["metadata"]["labels"] == POD_LABELS
    assert "replicas" not in deployment["spec"]


@pytest.mark.parametrize("replicas", [0, 3])
def test_replicas_are_set_only_when_given(replicas: int) -> None:
    assert (
        _render(*_group(), replicas=replicas).object("Deployment")["spec"]["replicas"] == replicas
    )


def test_container_matches_the_operator() -> None:
    container = container_of(_render(*_group()))
    assert container["name"] == "vmcp"
    assert container["image"] == DEFAULT_IMAGE
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["args"] == [
        "serve",
        "--config=/etc/vmcp-config/config.yaml",
        "--host=0.0.0.0",
        "--port=4483",
    ]
    assert container["ports"] == [{"name": "http", "containerPort": 4483, "protocol": "TCP"}]
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/health", "port": "http"},
        "initialDelaySeconds": 30,
        "periodSeconds": 10,
        "timeoutSeconds": 5,
        "failureThreshold": 3,
    }
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/readyz", "port": "http"},
        "initialDelaySeconds": 15,
        "periodSeconds": 5,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert container["securityContext"] == {
        "privileged": False,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "capabilities": {"drop": ["ALL"]},
    }


def test_custom_image_is_used() -> None:
    image = "registry.example.com/vmcp:v1@sha256:" + "a" * 64
    assert container_of(_render(*_group(), image=image))["image"] == image


def test_pod_spec_matches_the_operator() -> None:
    pod = _pod_spec(_render(*_group()))
    assert pod["serviceAccountName"] == "eng-tools-vmcp"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert len(pod["containers"]) == 1


def test_config_volume_is_mounted_where_the_config_arg_points() -> None:
    rendering = _render(*_group())
    pod = _pod_spec(rendering)
    container = container_of(rendering)
    assert pod["volumes"][0] == {
        "name": "vmcp-config",
        "configMap": {"name": "eng-tools-vmcp-config"},
    }
    assert container["volumeMounts"][0] == {
        "name": "vmcp-config",
        "mountPath": "/etc/vmcp-config",
        "readOnly": True,
    }
    config_arg = next(a for a in container["args"] if a.startswith("--config="))
    mount_path = container["volumeMounts"][0]["mountPath"]
    assert config_arg == f"--config={mount_path}/config.yaml"
    assert "config.yaml" in rendering.object("ConfigMap")["data"]


# ─── CA bundle volumes ───


def test_one_ca_volume_per_included_entry_mounted_at_the_ca_bundle_path() -> None:
    rendering = _render(
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.config_map("partner-ca", {"bundle.pem": factories.ca_pem(), "ca.crt": "x"}),
        factories.entry("zeta", ca=("partner-ca", "bundle.pem")),
        factories.entry("alpha", ca=("corp-ca", "")),
        factories.entry("mid", ca=("corp-ca", "ca.crt")),
        factories.entry("no-ca"),
    )
    pod = _pod_spec(rendering)
    assert pod["volumes"][1:] == [
        {
            "name": "ca-bundle-alpha",
            "configMap": {"name": "corp-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
        },
        {
            "name": "ca-bundle-mid",
            "configMap": {"name": "corp-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
        },
        {
            "name": "ca-bundle-zeta",
            "configMap": {
                "name": "partner-ca",
                "items": [{"key": "bundle.pem", "path": "bundle.pem"}],
            },
        },
    ]
    assert container_of(rendering)["volumeMounts"][1:] == [
        {"name": f"ca-bundle-{e}", "mountPath": f"/etc/toolhive/ca-bundles/{e}", "readOnly": True}
        for e in ("alpha", "mid", "zeta")
    ]
    backends = backends_by_name(rendering)
    mounts = {m["name"]: m["mountPath"] for m in container_of(rendering)["volumeMounts"]}
    for entry, key in (("alpha", "ca.crt"), ("mid", "ca.crt"), ("zeta", "bundle.pem")):
        assert mounts[f"ca-bundle-{entry}"] + "/" + key == backends[entry]["caBundlePath"]
    assert "caBundlePath" not in backends["no-ca"]


def _expected_volume_name(entry: str) -> str:
    """§4.2 rule, written independently of naming.py."""
    plain = "ca-bundle-" + entry
    if len(plain) <= 63:
        return plain
    suffix = hashlib.sha256(entry.encode("utf-8")).hexdigest()[:8]
    return "ca-bundle-" + entry[:44].rstrip("-") + "-" + suffix


@pytest.mark.parametrize(
    "entry",
    [
        "e" * 53,  # "ca-bundle-" + 53 = 63 characters: kept as is
        "e" * 54,  # one more: hashed
        "a" * 43 + "-" + "b" * 19,  # the 44-byte prefix ends in '-', which is dropped
        "very-long-entry-name-for-the-internal-reporting-mcp-server-east",
    ],
)
def test_long_entry_names_get_a_hashed_volume_name(entry: str) -> None:
    rendering = _render(
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry(entry, ca=("corp-ca", "ca.crt")),
    )
    expected = _expected_volume_name(entry)
    assert len(expected) <= 63
    [volume] = _pod_spec(rendering)["volumes"][1:]
    [mount] = container_of(rendering)["volumeMounts"][1:]
    assert volume["name"] == expected
    assert mount == {
        "name": expected,
        "mountPath": f"/etc/toolhive/ca-bundles/{entry}",
        "readOnly": True,
    }
    if len(entry) > 53:
        assert not expected.startswith("ca-bundle-" + entry)
    assert backends_by_name(rendering)[entry]["caBundlePath"] == (
        posixpath.join(mount["mountPath"], "ca.crt")
    )


def test_skipped_entries_get_no_ca_volume_and_no_header_env() -> None:
    rendering = _render(
        *_group(
            factories.secret("creds", {"token": "dg=="}),
            factories.entry(
                "blocked",
                url="http://10.1.2.3/mcp",
                ca=("corp-ca", "ca.crt"),
                plaintext={"X-A": "1"},
                secret_headers=[("Authorization", "creds", "token")],
            ),
            factories.entry(
                "failed",
                phase="Failed",
                ca=("corp-ca", "ca.crt"),
                plaintext={"X-A": "1"},
            ),
        )
    )
    assert {s["name"] for s in rendering.status["skippedBackends"]} == {"blocked", "failed"}
    assert [v["name"] for v in _pod_spec(rendering)["volumes"]] == [
        "vmcp-config",
        "ca-bundle-internal-mcp",
    ]
    names = env_names(rendering)
    assert not any("BLOCKED" in name or "FAILED" in name for name in names)
    assert "TOOLHIVE_SECRETS_PROVIDER" not in names


# ─── env ───


def test_env_is_namespace_then_sorted_then_the_fixed_set() -> None:
    rendering = _render(
        *_group(
            factories.secret("creds", {"token": "dg==", "key": "dg=="}),
            factories.secret("oauth-client", {"client-secret": "dg=="}),
            factories.token_exchange("zz-auth"),
            factories.entry("b-entry", plaintext={"X-B": "b"}, auth="zz-auth"),
            factories.entry("a-entry", secret_headers=[("X-Key", "creds", "key")]),
        )
    )
    env = env_of(rendering)
    assert env[0] == {"name": "VMCP_NAMESPACE", "value": NAMESPACE}
    middle = [item["name"] for item in env[1 : -len(FIXED_ENV) - 1]]
    assert middle == sorted(middle)
    assert middle == [
        "TOOLHIVE_HEADER_FORWARD_A_ENTRY",
        "TOOLHIVE_HEADER_FORWARD_B_ENTRY",
        "TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY_A_ENTRY",
        "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_ZZ_AUTH",
    ]
    assert env[-len(FIXED_ENV) - 1 : -1] == FIXED_ENV
    assert env[-1] == {"name": "TOOLHIVE_SECRETS_PROVIDER", "value": "environment"}
    names = [item["name"] for item in env]
    assert len(names) == len(set(names))


def test_env_without_secret_headers_has_no_secrets_provider() -> None:
    rendering = _render(
        *_group(
            factories.secret("oauth-client", {"client-secret": "dg=="}),
            factories.token_exchange("auth"),
            factories.entry("with-auth", auth="auth", plaintext={"X-Plain": "p"}),
        )
    )
    env = env_of(rendering)
    assert env[-len(FIXED_ENV) :] == FIXED_ENV
    assert "TOOLHIVE_SECRETS_PROVIDER" not in env_names(rendering)


def test_plain_group_env_is_just_namespace_and_the_fixed_set() -> None:
    assert env_of(_render(*_group())) == [
        {"name": "VMCP_NAMESPACE", "value": NAMESPACE},
        *FIXED_ENV,
    ]


def test_vmcp_name_and_hmac_secret_are_not_set() -> None:
    names = env_names(_render(*_group()))
    assert "VMCP_NAME" not in names
    assert "VMCP_SESSION_HMAC_SECRET" not in names


def test_secret_backed_env_never_carries_a_value() -> None:
    rendering = _render(
        *_group(
            factories.secret("creds", {"token": "dg=="}),
            factories.entry("e", secret_headers=[("Authorization", "creds", "token")]),
        )
    )
    for item in env_of(rendering):
        if item["name"].startswith("TOOLHIVE_SECRET_"):
            assert set(item) == {"name", "valueFrom"}


def test_header_forward_env_is_exactly_upstreams_example() -> None:
    # §4.4, the `mcpserverentry_with_header_forward.yaml` example, copied from the reference.
    rendering = _render(
        *_group(
            factories.secret("internal-api-credentials", {"bearer-token": "dg=="}),
            factories.entry(
                "internal-api",
                url="https://internal-mcp.corp.example.com/mcp",
                transport="sse",
                plaintext={"X-Tenant-ID": "tenant-123"},
                secret_headers=[("Authorization", "internal-api-credentials", "bearer-token")],
            ),
        )
    )
    env = env_by_name(rendering)
    assert env["TOOLHIVE_HEADER_FORWARD_INTERNAL_API"] == {
        "name": "TOOLHIVE_HEADER_FORWARD_INTERNAL_API",
        "value": '{"addPlaintextHeaders":{"X-Tenant-ID":"tenant-123"},'
        '"addHeadersFromSecret":{"Authorization":"HEADER_FORWARD_AUTHORIZATION_INTERNAL_API"}}',
    }
    assert env["TOOLHIVE_SECRET_HEADER_FORWARD_AUTHORIZATION_INTERNAL_API"] == {
        "name": "TOOLHIVE_SECRET_HEADER_FORWARD_AUTHORIZATION_INTERNAL_API",
        "valueFrom": {"secretKeyRef": {"name": "internal-api-credentials", "key": "bearer-token"}},
    }
    assert env["TOOLHIVE_SECRETS_PROVIDER"] == {
        "name": "TOOLHIVE_SECRETS_PROVIDER",
        "value": "environment",
    }


@pytest.mark.parametrize(
    ("plaintext", "secret_headers", "expected"),
    [
        (
            {"x-lower": "1", "X-Upper": "2", "A-First": "3"},
            None,
            '{"addPlaintextHeaders":{"A-First":"3","X-Upper":"2","x-lower":"1"}}',
        ),
        (
            None,
            [("X-Api-Key", "creds", "token"), ("Authorization", "creds", "token")],
            '{"addHeadersFromSecret":{"Authorization":"HEADER_FORWARD_AUTHORIZATION_E",'
            '"X-Api-Key":"HEADER_FORWARD_X_API_KEY_E"}}',
        ),
        # Go's json.Marshal escapes <, > and & and writes other UTF-8 as is.
        (
            {"X-Q": 'a&b <c> "d" é'},
            None,
            '{"addPlaintextHeaders":{"X-Q":"a\\u0026b \\u003cc\\u003e \\"d\\" é"}}',
        ),
    ],
    ids=["plaintext-sorted-bytewise", "secrets-only", "go-escaping"],
)
def test_header_forward_json_sections_and_ordering(
    plaintext: dict[str, str] | None,
    secret_headers: list[tuple[str, str, str]] | None,
    expected: str,
) -> None:
    rendering = _render(
        *_group(
            factories.secret("creds", {"token": "dg=="}),
            factories.entry("e", plaintext=plaintext, secret_headers=secret_headers),
        )
    )
    value = env_by_name(rendering)["TOOLHIVE_HEADER_FORWARD_E"]["value"]
    assert value == expected
    json.loads(value)


def test_empty_header_forward_adds_no_env() -> None:
    rendering = _render(*_group(factories.entry("e", plaintext={}, secret_headers=[])))
    assert "e" in backends_by_name(rendering)
    assert not any(name.startswith("TOOLHIVE_HEADER_FORWARD") for name in env_names(rendering))


# ─── RBAC ───


def test_rbac_objects_and_role_rules() -> None:
    rendering = _render(*_group())
    account = rendering.object("ServiceAccount")
    role = rendering.object("Role")
    binding = rendering.object("RoleBinding")

    assert account == {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "eng-tools-vmcp", "namespace": NAMESPACE},
    }
    assert role["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert role["metadata"] == {"name": "eng-tools-vmcp", "namespace": NAMESPACE}
    assert role["rules"] == [
        {
            "apiGroups": ["toolhive.stacklok.dev"],
            "resources": ["mcpgroups", "mcpservers", "mcpremoteproxies", "mcpserverentries"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    assert binding == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "eng-tools-vmcp", "namespace": NAMESPACE},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "eng-tools-vmcp",
        },
        "subjects": [{"kind": "ServiceAccount", "name": "eng-tools-vmcp", "namespace": NAMESPACE}],
    }
    text = json.dumps(role)
    assert "secrets" not in text
    assert "*" not in text


def test_an_existing_service_account_means_no_rbac_objects() -> None:
    rendering = _render(*_group(), serviceAccount="platform-vmcp")
    assert [o["kind"] for o in rendering.objects] == ["ConfigMap", "Deployment", "Service"]
    assert _pod_spec(rendering)["serviceAccountName"] == "platform-vmcp"


# ─── Service and object order ───


def test_service_matches_the_operator() -> None:
    service = _render(*_group()).object("Service")
    assert service == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "vmcp-eng-tools", "namespace": NAMESPACE, "labels": POD_LABELS},
        "spec": {
            "type": "ClusterIP",
            "sessionAffinity": "ClientIP",
            "selector": POD_LABELS,
            "ports": [{"name": "http", "port": 4483, "targetPort": 4483, "protocol": "TCP"}],
        },
    }


def test_service_selector_selects_the_pods() -> None:
    rendering = _render(*_group())
    pod_labels = rendering.object("Deployment")["spec"]["template"]["metadata"]["labels"]
    selector = rendering.object("Service")["spec"]["selector"]
    assert selector.items() <= pod_labels.items()


def test_service_type_is_configurable() -> None:
    service = _render(*_group(), serviceType="NodePort").object("Service")
    assert service["spec"]["type"] == "NodePort"


def test_objects_come_in_apply_order_in_the_namespace() -> None:
    rendering = _render(*_group(), namespace=NAMESPACE)
    assert [o["kind"] for o in rendering.objects] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Deployment",
        "Service",
    ]
    assert {o["metadata"]["namespace"] for o in rendering.objects} == {NAMESPACE}


def test_the_name_argument_names_every_object() -> None:
    rendering = _render(*_group(), name="team-b")
    names = {o["kind"]: o["metadata"]["name"] for o in rendering.objects}
    assert names == {
        "ServiceAccount": "team-b-vmcp",
        "Role": "team-b-vmcp",
        "RoleBinding": "team-b-vmcp",
        "ConfigMap": "team-b-vmcp-config",
        "Deployment": "team-b",
        "Service": "vmcp-team-b",
    }

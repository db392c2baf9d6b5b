"""The real ToolHive v0.63.0 operator as a differential oracle for what we declare.

The example group (its MCPServer left out: the operator would start reconciling a container
workload for it) is seeded into a fresh namespace. The real `thv-operator` runs out of
cluster against the test API server, restricted to that namespace (`WATCH_NAMESPACE`), and is
given a VirtualMCPServer for the same group (anonymous incoming auth, inline outgoing auth).
Once its objects are settled it is stopped; its ConfigMap, Deployment, Service,
ServiceAccount, Role and RoleBinding are read back (server-side defaulted), deleted, and ours,
rendered from the same cluster state (entry phases as the operator set them), are server-side
applied under the same names and read back the same way.

It runs twice: a minimal spec, and `full`, which sets every spec field the component implements
of issue 24 (compositeTools, audit, codeMode, metadata, passthroughHeaders, sessionAffinity,
podTemplateSpec, incomingAuth.oidcConfigRef with an inline MCPOIDCConfig holding a client secret
and a CA bundle, incomingAuth.authzConfig with inline Cedar policies, telemetryConfigRef with an
MCPTelemetryConfig holding a sensitive header Secret and an OTLP CA bundle, compositeToolRefs
naming a VirtualMCPCompositeToolDefinition next to the inline compositeTools, sessionStorage
(Redis, password and CA Secrets), rateLimiting, optimizer with embeddingServerRef); our config
must also pass the real `vmcp validate` (which loads the OIDC section and checks its client-secret
env var; no token is verified, so the stood-in JWKS fetcher below is never reached).

Every difference must be on `DELIBERATE` below: short, explicit, each one commented with why.
Any other difference fails the test. For the first item the test also proves the point: the
operator's own config is refused by its own vmcp.

`thv-operator` is built by scripts/toolhive with two stand-ins for modules the Go proxy refuses
(`toolhive-core/redisconn`, `jwx-go/jwkfetch`; see tests/e2e/toolhive.py): the VirtualMCPServer
reconcile here configures no Redis and no OIDC, so it reaches neither.
"""

# pyright: reportOptionalMemberAccess=false, reportOptionalSubscript=false

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client, codecs
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment, StatefulSet
from lightkube.resources.core_v1 import ConfigMap, Secret, Service, ServiceAccount
from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding
from lightkube.types import PatchType

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import FIELD_MANAGER, GROUP, RESOURCES, example_objects, seed, wait_for
from tests.e2e.toolhive import ToolHive, vmcp_validate
from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import DEFAULT_IMAGE, VirtualMCPServerArgs
from vmcp_components.kube.discovery import ClusterDiscovery

pytestmark = pytest.mark.e2e
NAME = "eng-tools"
VirtualMCPServer = create_namespaced_resource(
    "toolhive.stacklok.dev", "v1beta1", "VirtualMCPServer", "virtualmcpservers"
)
KINDS = {
    "ConfigMap": (ConfigMap, f"{NAME}-vmcp-config"),
    "Deployment": (Deployment, NAME),
    "Service": (Service, f"vmcp-{NAME}"),
    "ServiceAccount": (ServiceAccount, f"{NAME}-vmcp"),
    "Role": (Role, f"{NAME}-vmcp"),
    "RoleBinding": (RoleBinding, f"{NAME}-vmcp"),
}
CHECKSUM = "toolhive.stacklok.dev/content-checksum"
RUNCONFIG = "toolhive.stacklok.dev/runconfig-checksum"

# What the API server or kube-controller-manager write, on both sides alike.
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")
SERVER_ANNOTATIONS = ("deployment.kubernetes.io/revision",)

# ─── the deliberate differences (DESIGN "Decisions already taken"), and nothing else ───
DELIBERATE = {
    # 1. We write `type: entry` on every MCPServerEntry backend. The operator still omits it,
    #    and its own vmcp then refuses the config (`caBundlePath is only valid when type is
    #    "entry"`): proven below. Compared: the configs without that key.
    "config.yaml type: entry": "ours only",
    # 2. YAML text: the operator indents by 4, we by 2. Compared: the parsed documents. The
    #    checksums then differ, so each is checked against its own ConfigMap with the same
    #    algorithm (and the pod template carries its own ConfigMap's checksum).
    "config.yaml text and checksums": "parsed, each checksum verified on its own side",
    # 3. VMCP_NAME (would make vmcp report status into a VirtualMCPServer, which does not exist
    #    with us) and VMCP_SESSION_HMAC_SECRET (ignored by vmcp v0.63.0; the operator also
    #    creates its Secret `<name>-hmac-secret`): operator only.
    "env VMCP_NAME, VMCP_SESSION_HMAC_SECRET": "operator only",
    # 4. Env order: the operator's is its code path's; ours sorts per-backend variables.
    #    Compared: by name.
    "env order": "compared by name",
    # 5. The Role: the operator's inline Role lets vmcp write its VirtualMCPServer's status;
    #    ours grants get/list/watch on the four member kinds and nothing else (DESIGN "Role").
    "Role rules": "each side checked against its own rule set",
    # 6. ownerReferences: the operator's objects belong to its VirtualMCPServer; ours to the
    #    Pulumi stack (there is no VirtualMCPServer object).
    "metadata.ownerReferences": "operator only",
    # 7. Deployment annotation toolhive.stacklok.io/podvolumes-hash: the operator's bookkeeping
    #    to notice volume changes without comparing live PodSpecs; our volumes are part of the
    #    declared pod template, so a change is a normal update.
    "annotation toolhive.stacklok.io/podvolumes-hash": "operator only",
}
# The spec fields of issue 24 the component implements, all set at once (`full`): top-level
# spec fields and spec.config fields, each also the component's setting of the same name.
FULL_SPEC: dict[str, Any] = {
    "incomingAuth": {
        "type": "oidc",
        "oidcConfigRef": {"name": "corp-oidc", "audience": "vmcp-eng", "scopes": ["openid"]},
        "authzConfig": {
            "type": "inline",
            "inline": {"policies": ["permit(principal, action, resource);"]},
            "groupClaimName": "groups",
        },
    },
    "telemetryConfigRef": {"name": "shared-otel", "serviceName": "eng-gateway"},
    "sessionAffinity": "None",
    "passthroughHeaders": ["X-Tenant-Id", "x-request-id"],
    "podTemplateSpec": {
        "metadata": {"labels": {"team": "platform"}},
        "spec": {
            "nodeSelector": {"pool": "mcp"},
            "containers": [{"name": "vmcp", "env": [{"name": "EXTRA", "value": "1"}]}],
        },
    },
}
FULL_CONFIG: dict[str, Any] = {
    "compositeTools": [
        {
            "name": "fetch-twice",
            "description": "two steps over two backends",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            "timeout": "1m0s",
            "steps": [
                {"id": "first", "tool": "context7_resolve", "arguments": {"q": "{{.params.q}}"}},
                {
                    "id": "second",
                    "tool": "internal-mcp_search",
                    "dependsOn": ["first"],
                    "onError": {"action": "retry", "retryCount": 2, "retryDelay": "1s"},
                    "arguments": {"q": "{{.steps.first.output.text}}", "n": 3},
                },
            ],
            "output": {
                "properties": {
                    "text": {
                        "type": "string",
                        "description": "d",
                        "value": "{{.steps.second.output.text}}",
                    }
                }
            },
        }
    ],
    "compositeToolRefs": [{"name": "lookup-def"}],
    "audit": {"enabled": True, "eventTypes": ["mcp_tool_call"]},
    "codeMode": {"enabled": True, "stepLimit": 500},
    "metadata": {"team": "platform", "env": "test"},
}
FULL_OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPOIDCConfig",
     "metadata": {"name": "corp-oidc"},
     "spec": {"type": "inline", "inline": {
         "issuer": "https://idp.example.com", "clientId": "vmcp",
         "clientSecretRef": {"name": "oidc-client", "key": "client-secret"},
         "caBundleRef": {"configMapRef": {"name": "idp-ca", "key": "ca.crt"}}}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oidc-client"},
     "stringData": {"client-secret": "not-a-real-secret"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "idp-ca"},
     "data": {"ca.crt": "placeholder"}},
    {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPTelemetryConfig",
     "metadata": {"name": "shared-otel"},
     "spec": {"openTelemetry": {
         "enabled": True, "endpoint": "https://otel.example.com:4318",
         "headers": {"x-tenant": "eng"},
         "sensitiveHeaders": [{"name": "x-api-key",
                               "secretKeyRef": {"name": "otel-auth", "key": "api-key"}}],
         "resourceAttributes": {"team": "platform"},
         "tracing": {"enabled": True, "samplingRate": "0.25"}, "metrics": {"enabled": True},
         "caBundleRef": {"configMapRef": {"name": "otel-ca", "key": "ca.crt"}}},
         "prometheus": {"enabled": True}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "otel-auth"},
     "stringData": {"api-key": "not-a-real-key"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "otel-ca"},
     "data": {"ca.crt": "placeholder"}},
    {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "VirtualMCPCompositeToolDefinition",
     "metadata": {"name": "lookup-def"},
     "spec": {"name": "lookup", "description": "one referenced step",
              "steps": [{"id": "only", "tool": "context7_resolve",
                         "arguments": {"q": "{{.params.q}}"}}]}},
]  # fmt: skip
"""What `full`'s incomingAuth, telemetryConfigRef and compositeToolRefs reference, seeded next
to the group."""

# ─── sessionStorage, rateLimiting, optimizer + embeddingServerRef (issue 24, h-storage) ───
# Redis session storage with a password Secret and a CA Secret, rate limits (shared, perUser
# under oidc, per tool), the optimizer over an EmbeddingServer (`embeddingServerRef`). No Redis
# runs: the operator never connects to it, and `vmcp validate` does not either. The operator
# holds the Deployment until the EmbeddingServer is Ready, i.e. its TEI StatefulSet has a ready
# replica; the test cluster runs no StatefulSet controller, so `_embedding_server_ready` plays
# it (as the fake kubelet plays the node) and the operator's own EmbeddingServer controller then
# sets the phase and the URL we read.
STORAGE_SPEC: dict[str, Any] = {
    "sessionStorage": {
        "provider": "redis", "address": "redis.example.svc:6379", "db": 2, "keyPrefix": "vmcp:",
        "passwordRef": {"name": "redis-auth", "key": "password"},
        "tls": {"caCertSecretRef": {"name": "redis-ca", "key": "ca.pem"}},
    },
    "embeddingServerRef": {"name": "tei"},
}  # fmt: skip
STORAGE_CONFIG: dict[str, Any] = {
    "rateLimiting": {
        "shared": {"maxTokens": 100, "refillPeriod": "1m"},
        "perUser": {"maxTokens": 10, "refillPeriod": "90s"},
        "tools": [{"name": "context7_resolve", "shared": {"maxTokens": 5, "refillPeriod": "1s"}}],
    },
    "optimizer": {
        "embeddingService": "http://tei.example.svc:8080",
        "maxToolsToReturn": 5,
        "hybridSearchSemanticRatio": "0.7",
    },
}
STORAGE_OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis-auth"},
     "stringData": {"password": "not-a-real-redis-password"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis-ca"},
     "stringData": {"ca.pem": "placeholder"}},
    {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "EmbeddingServer",
     "metadata": {"name": "tei"}, "spec": {"model": "BAAI/bge-small-en-v1.5"}},
]  # fmt: skip
FULL_SPEC.update(STORAGE_SPEC)
FULL_CONFIG.update(STORAGE_CONFIG)
FULL_OBJECTS += STORAGE_OBJECTS
SPECS = {"minimal": ({}, {}), "full": (FULL_SPEC, FULL_CONFIG)}
OPERATOR_INLINE_RULES = [
    {"apiGroups": ["toolhive.stacklok.dev"], "resources": ["virtualmcpservers"], "verbs": ["get"]},
    {
        "apiGroups": ["toolhive.stacklok.dev"],
        "resources": ["virtualmcpservers/status"],
        "verbs": ["update", "patch"],
    },
]
OUR_RULES = [
    {
        "apiGroups": ["toolhive.stacklok.dev"],
        "resources": ["mcpgroups", "mcpservers", "mcpremoteproxies", "mcpserverentries"],
        "verbs": ["get", "list", "watch"],
    }
]


def _read(client: Client, namespace: str) -> dict[str, dict[str, Any]]:
    objects = {}
    for kind, (resource, name) in KINDS.items():
        obj = client.get(resource, name, namespace=namespace)
        raw = obj.to_dict()  # type: ignore[attr-defined]
        raw.setdefault("kind", kind)
        objects[kind] = raw
    return objects


def _settled(client: Client, namespace: str, backends: set[str]) -> dict[str, str] | None:
    """The operator's objects once they all exist and its config names `backends`."""
    try:
        objects = _read(client, namespace)
    except ApiError:
        return None
    config = yaml.safe_load(objects["ConfigMap"]["data"]["config.yaml"])
    if {b["name"] for b in config.get("backends") or []} != backends:
        return None
    return {kind: obj["metadata"]["resourceVersion"] for kind, obj in objects.items()}


@pytest.fixture
def operator(
    cluster: Cluster, namespace: str, real_toolhive: ToolHive, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """thv-operator out of cluster, watching only `namespace`; stopped after the test."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TOOLHIVE_SKIP_UPDATE_CHECK": "true",  # else it asks the network for a newer version
        "POD_NAMESPACE": namespace,
        "WATCH_NAMESPACE": namespace,
        "VMCP_IMAGE": DEFAULT_IMAGE,  # the operator's default is `vmcp:latest`
    }
    with (tmp_path / "operator.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(real_toolhive.operator), f"--kubeconfig={cluster.kubeconfig}",
             "--metrics-bind-address=0", "--health-probe-bind-address=0", "--leader-elect=false"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _strip_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj["metadata"]
    for key in SERVER_FIELDS:
        meta.pop(key, None)
    for key in SERVER_ANNOTATIONS:
        meta.get("annotations", {}).pop(key, None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)
    if obj["kind"] == "Service":  # allocated by the API server
        obj["spec"].pop("clusterIP", None)
        obj["spec"].pop("clusterIPs", None)
    return obj


def _checksum(config_map: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for mapping in (config_map["data"], config_map["metadata"].get("labels", {})):
        for key in sorted(mapping):
            digest.update(key.encode() + mapping[key].encode())
    return digest.hexdigest()


def _normalize(objects: dict[str, dict[str, Any]], *, operator: bool) -> dict[str, Any]:
    """Apply DELIBERATE to one side; assert each side's own invariants on the way."""
    out = {kind: _strip_server_fields(obj) for kind, obj in objects.items()}
    config_map, deployment = out["ConfigMap"], out["Deployment"]
    template = deployment["spec"]["template"]
    # 2. checksums: each on its own side, same algorithm; then the parsed config
    checksum = config_map["metadata"]["annotations"].pop(CHECKSUM)
    assert checksum == _checksum(objects["ConfigMap"]), f"operator={operator}: checksum algorithm"
    assert template["metadata"]["annotations"].pop(RUNCONFIG) == checksum
    if not template["metadata"]["annotations"]:
        del template["metadata"]["annotations"]
    document = yaml.safe_load(config_map["data"]["config.yaml"])
    if not operator:  # 1. type: entry
        for backend in document["backends"]:
            if backend["metadata"]["workload_type"] == "server_entry":
                assert backend.pop("type") == "entry"
    config_map["data"]["config.yaml"] = document
    if not config_map["metadata"]["annotations"]:
        del config_map["metadata"]["annotations"]
    # 3. + 4. env
    (container,) = template["spec"]["containers"]
    env = {item["name"]: item for item in container.pop("env")}
    if operator:
        assert env.pop("VMCP_NAME")["value"] == NAME
        hmac = env.pop("VMCP_SESSION_HMAC_SECRET")["valueFrom"]["secretKeyRef"]
        assert hmac == {"name": f"{NAME}-hmac-secret", "key": "hmac-secret"}
    container["env"] = env
    # 5. Role
    rules = out["Role"].pop("rules")
    assert rules == (OPERATOR_INLINE_RULES if operator else OUR_RULES)
    if operator:
        # 6. ownerReferences, 7. podvolumes-hash
        for obj in out.values():
            (owner,) = obj["metadata"].pop("ownerReferences")
            assert (owner["kind"], owner["name"]) == ("VirtualMCPServer", NAME)
        annotations = deployment["metadata"].get("annotations", {})
        annotations.pop("toolhive.stacklok.io/podvolumes-hash")
        if not annotations:
            deployment["metadata"].pop("annotations", None)
    return out


def _differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            here = f"{path}.{key}" if path else str(key)
            if key not in theirs:
                found.append(f"{here}: only ours: {ours[key]!r}")
            elif key not in ours:
                found.append(f"{here}: only the operator's: {theirs[key]!r}")
            else:
                found.extend(_differences(ours[key], theirs[key], here))
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in _differences(a, b, f"{path}[{i}]")
        ]
    return [] if ours == theirs else [f"{path}: ours {ours!r} != the operator's {theirs!r}"]


def _check_full_reached_the_operator(
    theirs: dict[str, dict[str, Any]], extra_config: dict[str, Any]
) -> None:
    """Each field of `full` is in what the operator wrote (so the comparison covers it)."""
    written = yaml.safe_load(theirs["ConfigMap"]["data"]["config.yaml"])
    assert set(extra_config) | {"passthroughHeaders", "telemetry"} <= set(written)
    assert set(written["incomingAuth"]) == {"type", "oidc", "authz"}
    assert written["incomingAuth"]["oidc"]["clientSecretEnv"] == "VMCP_OIDC_CLIENT_SECRET"
    assert written["telemetry"]["serviceName"] == "eng-gateway"
    assert [t["name"] for t in written["compositeTools"]] == ["fetch-twice", "lookup"]
    assert theirs["Service"]["spec"]["sessionAffinity"] == "None"
    pod = theirs["Deployment"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"pool": "mcp"}
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    header = env["TOOLHIVE_OTEL_HEADER_X_API_KEY"]["valueFrom"]["secretKeyRef"]
    assert header == {"name": "otel-auth", "key": "api-key"}


def _embedding_server_ready(client: Client, namespace: str, spec: dict[str, Any]) -> None:
    """Play the StatefulSet controller for the operator's TEI StatefulSet; wait for Ready."""
    if "embeddingServerRef" not in spec:
        return
    resource = RESOURCES["EmbeddingServer"]
    status = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1, "currentReplicas": 1,
              "updatedReplicas": 1}  # fmt: skip

    def ready() -> bool:
        try:
            stateful = client.get(StatefulSet, "tei", namespace=namespace)
        except ApiError:
            return False
        if (stateful.status is None or not stateful.status.readyReplicas) and (
            stateful.metadata is not None
        ):
            status["observedGeneration"] = stateful.metadata.generation or 1
            client.patch(StatefulSet.Status, "tei", {"status": status}, namespace=namespace,
                         patch_type=PatchType.MERGE)  # fmt: skip
        embedding = client.get(resource, "tei", namespace=namespace)
        return (embedding.status or {}).get("phase") == "Ready"  # type: ignore[union-attr]

    wait_for(ready, "the EmbeddingServer to be Ready", timeout=90)


def _storage_reached_both(
    written: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any]
) -> None:
    """sessionStorage's password by secretKeyRef only, its CA mounted; never the value."""
    assert written["sessionStorage"]["tls"] == {
        "caCertFile": "/etc/toolhive/session-redis-tls/ca.crt"
    }
    assert written["rateLimiting"]["shared"]["refillPeriod"] == {"duration": "1m0s"}
    for objects in (theirs, ours):
        (container,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
        env = {item["name"]: item for item in container["env"]}
        assert env["THV_SESSION_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "redis-auth", "key": "password"}  # fmt: skip
    assert "not-a-real-redis-password" not in repr(ours)
    url = written["optimizer"]["embeddingService"]
    assert url.startswith("http://tei.")
    assert url.endswith(".svc.cluster.local:8080")


@pytest.mark.parametrize("spec_name", sorted(SPECS))
def test_the_operator_declares_what_we_declare_but_the_deliberate_fixes(  # noqa: PLR0917
    spec_name: str,
    cluster: Cluster,
    client: Client,
    namespace: str,
    real_toolhive: ToolHive,
    operator: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    group = [o for o in example_objects(namespace) if o["kind"] != "MCPServer"]
    extra_spec, extra_config = SPECS[spec_name]
    if extra_spec:
        group += [{**o, "metadata": {**o["metadata"], "namespace": namespace}}
                  for o in copy.deepcopy(FULL_OBJECTS)]  # fmt: skip
    seed(client, group)
    _embedding_server_ready(client, namespace, extra_spec)
    args = VirtualMCPServerArgs.model_validate(
        {"namespace": namespace, "group": GROUP, **extra_spec, **extra_config}
    )
    discovery = ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")
    refs = incoming_references(args)
    expected = {b["name"] for b in render(discovery.fetch(namespace, GROUP, None, (), refs), NAME,
                                          args).status["discoveredBackends"]}  # fmt: skip
    client.create(VirtualMCPServer.from_dict({  # type: ignore[attr-defined]
        "apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "VirtualMCPServer",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {"groupRef": {"name": GROUP}, "incomingAuth": {"type": "anonymous"},
                 "outgoingAuth": {"source": "inline"}, **copy.deepcopy(extra_spec),
                 **({"config": copy.deepcopy(extra_config)} if extra_config else {})},
    }))  # fmt: skip

    log = tmp_path / "operator.log"
    versions: dict[str, str] = {}

    def stable() -> bool:
        nonlocal versions
        assert operator.poll() is None, f"thv-operator exited:\n{log.read_text()[-4000:]}"
        now = _settled(client, namespace, expected)
        done = now is not None and now == versions
        versions = now or {}
        return done

    try:
        wait_for(stable, "the operator's objects to settle", timeout=120)
        time.sleep(3)
        wait_for(stable, "the operator's objects to stay settled", timeout=60)
    finally:
        stop(operator)
    theirs = _read(client, namespace)
    assert client.get(Secret, f"{NAME}-hmac-secret", namespace=namespace)

    # Deliberate difference 1, proven: the operator's own vmcp refuses the operator's config.
    refused = vmcp_validate(real_toolhive, tmp_path / "operator-config", theirs["ConfigMap"],
                            theirs["Deployment"])  # fmt: skip
    assert refused.returncode != 0
    assert 'caBundlePath is only valid when type is "entry"' in refused.stdout + refused.stderr

    for resource, name in KINDS.values():
        client.delete(resource, name, namespace=namespace)
    rendering = render(discovery.fetch(namespace, GROUP, None, (), refs), NAME, args)
    for obj in rendering.objects:
        client.apply(codecs.from_dict(obj), field_manager=FIELD_MANAGER, force=True)
    ours = _read(client, namespace)
    accepted = vmcp_validate(real_toolhive, tmp_path / "our-config", ours["ConfigMap"],
                             ours["Deployment"])  # fmt: skip
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    if extra_config:  # the spec reached the operator: each field is in what it wrote
        _check_full_reached_the_operator(theirs, extra_config)
        assert "not-a-real-key" not in str(ours) + str(rendering.status)
        written = yaml.safe_load(theirs["ConfigMap"]["data"]["config.yaml"])
        _storage_reached_both(written, theirs, ours)
    differences = _differences(_normalize(ours, operator=False), _normalize(theirs, operator=True))
    assert not differences, "differences not on the allow-list:\n" + "\n".join(differences)
    entries = client.list(RESOURCES["MCPServerEntry"], namespace=namespace)
    phases = {entry.metadata.name: entry.status["phase"] for entry in entries}  # type: ignore[index]
    assert phases["cloud-metadata"] == "Failed"

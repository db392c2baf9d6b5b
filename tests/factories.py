"""Builders for raw Kubernetes objects (plain dicts, as `kubectl get -o yaml` prints them).

Each builder returns a fresh dict shaped like the wire object, with keyword arguments for the
fields the tests vary; `None` leaves a field out. `inventory(...)` turns objects into the
`Inventory` the derivation reads. Nothing here computes an expected result.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.settings.args import VirtualMCPServerArgs

API_VERSION = "toolhive.stacklok.dev/v1beta1"
NAMESPACE = "toolhive-system"
GROUP = "engineering-team"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SNAPSHOT = ROOT / "examples" / "snapshot.yaml"

Raw = dict[str, Any]


def _meta(name: str, namespace: str | None, annotations: dict[str, str] | None = None) -> Raw:
    meta: Raw = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def _condition(kind: str, status: str, reason: str = "", message: str = "") -> Raw:
    condition: Raw = {"type": kind, "status": status}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def condition(kind: str, status: str, reason: str = "", message: str = "") -> Raw:
    """A metav1.Condition as the operator writes it."""
    return _condition(kind, status, reason, message)


def group(
    name: str = GROUP,
    *,
    phase: str | None = "Ready",
    conditions: list[Raw] | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    obj: Raw = {
        "apiVersion": API_VERSION,
        "kind": "MCPGroup",
        "metadata": _meta(name, namespace),
        "spec": {},
    }
    if phase is not None or conditions:
        status: Raw = {}
        if phase is not None:
            status["phase"] = phase
        if conditions:
            status["conditions"] = conditions
        obj["status"] = status
    return obj


def entry(
    name: str,
    *,
    url: str | None = None,
    transport: str | None = "streamable-http",
    group_name: str | None = GROUP,
    phase: str | None = None,
    conditions: list[Raw] | None = None,
    ca: tuple[str, str] | None = None,
    auth: str | None = None,
    plaintext: dict[str, str] | None = None,
    secret_headers: list[tuple[str, str, str]] | None = None,
    allow_private: bool | None = None,
    annotations: dict[str, str] | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    """An MCPServerEntry; `ca` is (ConfigMap, key), `secret_headers` is [(header, secret, key)]."""
    spec: Raw = {"remoteUrl": url if url is not None else f"https://{name}.example.com/mcp"}
    if transport is not None:
        spec["transport"] = transport
    if group_name is not None:
        spec["groupRef"] = {"name": group_name}
    if allow_private is not None:
        spec["allowPrivateEndpoint"] = allow_private
    if auth is not None:
        spec["externalAuthConfigRef"] = {"name": auth}
    if ca is not None:
        spec["caBundleRef"] = {"configMapRef": {"name": ca[0], "key": ca[1]}}
    if plaintext is not None or secret_headers is not None:
        forward: Raw = {}
        if plaintext is not None:
            forward["addPlaintextHeaders"] = dict(plaintext)
        if secret_headers is not None:
            forward["addHeadersFromSecret"] = [
                {"headerName": header, "valueSecretRef": {"name": secret, "key": key}}
                for header, secret, key in secret_headers
            ]
        spec["headerForward"] = forward
    obj: Raw = {
        "apiVersion": API_VERSION,
        "kind": "MCPServerEntry",
        "metadata": _meta(name, namespace, annotations),
        "spec": spec,
    }
    if phase is not None or conditions:
        status: Raw = {}
        if phase is not None:
            status["phase"] = phase
        if conditions:
            status["conditions"] = conditions
        obj["status"] = status
    return obj


def server(
    name: str,
    *,
    transport: str | None = "streamable-http",
    proxy_mode: str | None = None,
    group_name: str | None = GROUP,
    url: str | None = "auto",
    phase: str | None = "Running",
    auth: str | None = None,
    annotations: dict[str, str] | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    """An MCPServer; `url="auto"` gives the operator's proxy Service URL, None no status.url."""
    spec: Raw = {"image": f"ghcr.io/example/{name}:v1"}
    if transport is not None:
        spec["transport"] = transport
    if proxy_mode is not None:
        spec["proxyMode"] = proxy_mode
    if group_name is not None:
        spec["groupRef"] = {"name": group_name}
    if auth is not None:
        spec["externalAuthConfigRef"] = {"name": auth}
    obj: Raw = {
        "apiVersion": API_VERSION,
        "kind": "MCPServer",
        "metadata": _meta(name, namespace, annotations),
        "spec": spec,
    }
    auto_url = f"http://mcp-{name}-proxy.{NAMESPACE}.svc.cluster.local:8080/mcp"
    return _with_status(obj, phase=phase, url=auto_url if url == "auto" else url)


def proxy(
    name: str,
    *,
    remote_url: str | None = None,
    transport: str | None = None,
    group_name: str | None = GROUP,
    url: str | None = "auto",
    phase: str | None = "Running",
    auth: str | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    """An MCPRemoteProxy; `transport=None` leaves the CRD default (streamable-http)."""
    spec: Raw = {
        "remoteUrl": remote_url if remote_url is not None else f"https://{name}.example.org/mcp"
    }
    if transport is not None:
        spec["transport"] = transport
    if group_name is not None:
        spec["groupRef"] = {"name": group_name}
    if auth is not None:
        spec["externalAuthConfigRef"] = {"name": auth}
    obj: Raw = {
        "apiVersion": API_VERSION,
        "kind": "MCPRemoteProxy",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }
    auto_url = f"http://mcp-{name}-remote-proxy.{NAMESPACE}.svc.cluster.local:8080/mcp"
    return _with_status(obj, phase=phase, url=auto_url if url == "auto" else url)


def _with_status(obj: Raw, *, phase: str | None, url: str | None) -> Raw:
    """Add the workload status the operator would report (omitted when both are None)."""
    status = {key: value for key, value in (("phase", phase), ("url", url)) if value is not None}
    if status:
        obj["status"] = status
    return obj


def auth_config(
    name: str,
    *,
    auth_type: str = "tokenExchange",
    token_exchange: Raw | None = None,
    header_injection: Raw | None = None,
    valid: tuple[str, str] | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    """An MCPExternalAuthConfig; `valid=(status, message)` adds a `Valid` condition."""
    spec: Raw = {"type": auth_type}
    if token_exchange is not None:
        spec["tokenExchange"] = token_exchange
    if header_injection is not None:
        spec["headerInjection"] = header_injection
    obj: Raw = {
        "apiVersion": API_VERSION,
        "kind": "MCPExternalAuthConfig",
        "metadata": _meta(name, namespace),
        "spec": spec,
    }
    if valid is not None:
        obj["status"] = {"conditions": [_condition("Valid", valid[0], "Checked", valid[1])]}
    return obj


def token_exchange(
    name: str,
    *,
    secret: str | None = "oauth-client",  # noqa: S107 - the name of a Secret object
    key: str = "client-secret",
    subject_token_type: str | None = None,
    scopes: list[str] | None = None,
    audience: str | None = "https://mcp.example.com",
    valid: tuple[str, str] | None = None,
) -> Raw:
    """An MCPExternalAuthConfig of type tokenExchange (client secret from `secret`/`key`)."""
    body: Raw = {"tokenUrl": "https://login.example.com/oauth2/token", "clientId": "toolhive"}
    if secret is not None:
        body["clientSecretRef"] = {"name": secret, "key": key}
    if audience is not None:
        body["audience"] = audience
    if scopes is not None:
        body["scopes"] = list(scopes)
    if subject_token_type is not None:
        body["subjectTokenType"] = subject_token_type
    return auth_config(name, token_exchange=body, valid=valid)


def header_injection(name: str, *, header: str, secret: str, key: str) -> Raw:
    """An MCPExternalAuthConfig of type headerInjection (value from `secret`/`key`)."""
    return auth_config(
        name,
        auth_type="headerInjection",
        header_injection={"headerName": header, "valueSecretRef": {"name": secret, "key": key}},
    )


def toolhive_object(kind: str, name: str, spec: Raw, status: Raw | None = None) -> Raw:
    """Any ToolHive object of the default namespace (a config or definition the spec names)."""
    obj: Raw = {"apiVersion": API_VERSION, "kind": kind, "metadata": _meta(name, NAMESPACE)}
    obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


def config_map(name: str, data: dict[str, str], *, namespace: str | None = NAMESPACE) -> Raw:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(name, namespace),
        "data": data,
    }


def secret(
    name: str,
    data: dict[str, str] | None = None,
    *,
    string_data: dict[str, str] | None = None,
    namespace: str | None = NAMESPACE,
) -> Raw:
    """A Secret; `data` values should be base64 as on the wire (they are never read)."""
    obj: Raw = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(name, namespace),
        "type": "Opaque",
    }
    if data is not None:
        obj["data"] = dict(data)
    if string_data is not None:
        obj["stringData"] = dict(string_data)
    return obj


def inventory(*objects: Raw, namespace: str = NAMESPACE) -> Inventory:
    return build_inventory(namespace, list(objects), "test")


def args(**overrides: Any) -> VirtualMCPServerArgs:
    """Component arguments for the default namespace and group, with overrides."""
    values: dict[str, Any] = {"namespace": NAMESPACE, "group": GROUP}
    values.update(overrides)
    return VirtualMCPServerArgs(**values)


def example_objects() -> list[Raw]:
    """The items of examples/snapshot.yaml (a fresh copy on each call)."""
    document = yaml.safe_load(EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"))
    return list(document["items"])


@cache
def ca_pem() -> str:
    """The real self-signed CA certificate shipped in examples/snapshot.yaml."""
    for obj in example_objects():
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "corp-ca-bundle":
            return obj["data"]["ca.crt"]
    raise AssertionError("examples/snapshot.yaml has no corp-ca-bundle ConfigMap")


def certificate(
    subject: str,
    *,
    not_before: datetime,
    not_after: datetime,
    ca: bool | None = True,
    issuer: str | None = None,
) -> str:
    """A PEM certificate (EC P-256) for CN `subject`; `ca=None` leaves out basicConstraints.

    Self-signed unless `issuer` names another CN (signed by a throw-away key: only the names,
    dates and extensions matter to the checks).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode()

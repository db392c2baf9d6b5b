"""What to probe: each backend of a rendering as vMCP will reach it (pure).

A `Target` holds the URL, the trust vMCP would use (the system roots plus the entry's CA bundle,
whose PEM comes from the same ConfigMap the pod mounts), the headers vMCP adds (plaintext ones
as values, Secret ones as references), the auth strategy, and whether the SSRF rules let the
backend reach private addresses. Secret values never enter a Target: they are looked up at
probe time in a mapping the caller may pass (`--with-secrets`), and never stored or printed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from vmcp_components.core.backends.backend import Backend
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import MCP_SERVER_ENTRY
from vmcp_components.core.cluster.models import MCPServerEntry

IN_CLUSTER_SUFFIXES = (".svc", ".cluster.local")


@dataclass(frozen=True)
class SecretHeader:
    """A header whose value vMCP reads from a Secret key (header forwarding or injection)."""

    header: str
    secret: str
    key: str


@dataclass(frozen=True)
class Target:
    """One backend to probe, as vMCP would connect to it."""

    name: str
    kind: str
    url: str
    transport: str
    host: str
    port: int
    tls: bool
    allow_private: bool
    """The SSRF rules' allowPrivateEndpoint: an entry's own setting; True for MCPServer and
    MCPRemoteProxy, whose operator-made URLs are in-cluster."""
    ca_pem: str | None = None
    headers: Mapping[str, str] | None = None
    secret_headers: tuple[SecretHeader, ...] = ()
    auth_type: str | None = None
    token_url: str | None = None

    @property
    def in_cluster(self) -> bool:
        """Whether the host is a name only the cluster's DNS answers.

        That is `*.svc`, `*.cluster.local`, or a single label (which only a pod's DNS search
        path completes).
        """
        name = self.host.rstrip(".").lower()
        if _is_ip(name):
            return False
        return name.endswith(IN_CLUSTER_SUFFIXES) or "." not in name


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _allow_private(inventory: Inventory, backend: Backend) -> bool:
    if backend.kind != MCP_SERVER_ENTRY.kind:
        return True
    entry = inventory.get(MCP_SERVER_ENTRY, backend.name)
    return isinstance(entry, MCPServerEntry) and entry.spec.allow_private_endpoint


def _ca_pem(inventory: Inventory, backend: Backend) -> str | None:
    bundle = backend.ca_bundle
    if bundle is None:
        return None
    return inventory.config_maps.get(bundle.config_map, {}).get(bundle.key)


def _auth(backend: Backend) -> tuple[str | None, str | None, tuple[SecretHeader, ...]]:
    """(auth type, token URL, header injected from a Secret) of the backend's strategy."""
    auth = backend.auth
    if auth is None:
        return None, None, ()
    body: Mapping[str, Any] = auth.body
    if auth.type == "token_exchange":
        return auth.type, str(body["tokenExchange"]["tokenUrl"]), ()
    if auth.type == "header_injection" and auth.secret_env:
        env = auth.secret_env[0]
        header = str(body["headerInjection"]["headerName"])
        return auth.type, None, (SecretHeader(header, env.secret, env.key),)
    return auth.type, None, ()


def target_of(inventory: Inventory, backend: Backend) -> Target:
    """The Target for one rendered backend (its URL already passed the render's checks)."""
    parts = urlsplit(backend.url)
    tls = parts.scheme.lower() == "https"
    auth_type, token_url, injected = _auth(backend)
    forward = backend.header_forward
    from_secret = tuple(SecretHeader(*item) for item in forward.from_secret) if forward else ()
    return Target(
        name=backend.name,
        kind=backend.kind,
        url=backend.url,
        transport=backend.transport,
        host=parts.hostname or "",
        port=parts.port or (443 if tls else 80),
        tls=tls,
        allow_private=_allow_private(inventory, backend),
        ca_pem=_ca_pem(inventory, backend),
        headers=dict(forward.plaintext) if forward else None,
        secret_headers=from_secret + injected,
        auth_type=auth_type,
        token_url=token_url,
    )


def targets_of(inventory: Inventory, backends: tuple[Backend, ...]) -> tuple[Target, ...]:
    """One Target per backend, in the rendering's order (sorted by name)."""
    return tuple(target_of(inventory, backend) for backend in backends)

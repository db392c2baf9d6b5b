"""SSRF rules for an entry's remoteUrl, as the ToolHive entry controller applies them.

No DNS resolution and no network: literal IPs are checked against blocked ranges, hostnames
against blocked internal names. `allowPrivateEndpoint` relaxes RFC 1918, ULA and
`*.cluster.local`, never loopback, link-local, metadata or the Kubernetes API service.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from vmcp_components.errors import Problem

_ALWAYS_BLOCKED_NETS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "::/128", "::1/128", "fe80::/10")
)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_ALWAYS_BLOCKED_HOSTS = (
    "localhost",
    "kubernetes.default.svc.cluster.local",
    "kubernetes.default.svc",
    "kubernetes.default",
    "metadata.google.internal",
)
_PRIVATE_HOSTS = ("cluster.local",)


def _blocked_ip(host: str, allow_private: bool) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = _ALWAYS_BLOCKED_NETS + (() if allow_private else _PRIVATE_NETS)
    for network in networks:
        if address.version == network.version and address in network:
            return f"IP address {host} falls within blocked range {network}"
    return ""


def _blocked_hostname(host: str, allow_private: bool) -> str | None:
    lowered = host.lower().rstrip(".")
    names = _ALWAYS_BLOCKED_HOSTS + (() if allow_private else _PRIVATE_HOSTS)
    for name in names:
        if lowered == name or lowered.endswith("." + name):
            return f'hostname "{host}" matches blocked internal hostname "{name}"'
    return None


def _host_as_written(netloc: str) -> str:
    """The host of `netloc` with its case kept (urlsplit's `hostname` lower-cases it)."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0]


def check_remote_url(url: str, allow_private_endpoint: bool = False) -> Problem | None:
    """The controller's Problem when `url` is malformed or not allowed, else None."""
    if not url:
        return Problem("remote URL must not be empty")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as error:
        return Problem(f"remote URL is invalid: {error}")
    if parts.scheme not in ("http", "https"):
        return Problem(f'remote URL must use http or https scheme, got "{parts.scheme}"')
    if not host:
        return Problem("remote URL must have a valid host")
    host = _host_as_written(parts.netloc)
    detail = _blocked_ip(host, allow_private_endpoint)
    if detail is None:
        detail = _blocked_hostname(host, allow_private_endpoint)
    return Problem(f"remote URL host is not allowed: {detail}") if detail else None

"""Resolve, vet and connect: the network steps of a probe, and an HTTP client pinned to them.

Every address a host resolves to is held to the SSRF rules (`core.backends.remote_url`, the
rules the render applies to a literal address, with the backend's `allowPrivateEndpoint`)
before anything connects; one refused address refuses the backend, since vMCP might dial it.
The MCP client then connects only to an address vetted here (`pinned_client`): it never
resolves the name again, so a DNS answer that changes between the check and the connection
cannot lead it elsewhere. Trust is what vMCP uses: the system roots plus the entry's CA bundle.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import anyio
import httpcore2
import httpx2

from vmcp_components.core.backends.remote_url import check_remote_url


class StepFailed(Exception):
    """A probe step failed: `result` is the failure class, the message its reason."""

    def __init__(self, result: str, reason: str) -> None:
        """Failure `result` (a class from `report`) with its reason."""
        super().__init__(reason)
        self.result = result
        self.reason = reason


async def resolve(host: str, port: int) -> tuple[str, ...]:
    """The addresses `host` resolves to (as the system resolver answers), first seen first."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return tuple(seen)


def refused_address(address: str, allow_private: bool) -> str | None:
    """Why the SSRF rules refuse `address`, or None when it may be reached."""
    literal = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    problem = check_remote_url(f"http://{literal}/", allow_private)
    return None if problem is None else problem.reason


def vetted(host: str, addresses: Iterable[str], allow_private: bool) -> tuple[str, ...]:
    """`addresses` when the SSRF rules allow every one, else StepFailed("ssrf")."""
    addresses = tuple(addresses)
    for address in addresses:
        reason = refused_address(address, allow_private)
        if reason is not None:
            raise StepFailed(
                "ssrf",
                f"{host} resolves to {address}, which the SSRF rules refuse ({reason}); not "
                "connected. vMCP could dial it: fix the DNS record or the URL",
            )
    return addresses


async def first_connection(addresses: Iterable[str], port: int) -> str:
    """The first address that accepts a TCP connection (closed again at once)."""
    errors: list[str] = []
    for address in addresses:
        try:
            stream = await anyio.connect_tcp(address, port)
        except OSError as error:
            errors.append(f"{_endpoint(address, port)}: {_os_reason(error)}")
            continue
        await stream.aclose()
        return address
    raise StepFailed("tcp", "; ".join(errors) or "no address to connect to")


def trust(ca_pem: str | None) -> ssl.SSLContext:
    """The trust vMCP uses for a backend: the system roots plus the entry's CA bundle, if any."""
    context = ssl.create_default_context()
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    return context


async def handshake(address: str, port: int, host: str, context: ssl.SSLContext) -> None:
    """A TLS handshake with `host`'s name; StepFailed("tls-verify") in the verifier's words."""
    try:
        stream = await anyio.connect_tcp(
            address, port, tls=True, ssl_context=context, tls_hostname=host
        )
    except ssl.SSLCertVerificationError as error:
        raise StepFailed("tls-verify", error.verify_message or str(error)) from None
    except ssl.SSLError as error:
        raise StepFailed("tls", f"TLS handshake failed: {error.reason or error}") from None
    except OSError as error:
        raise StepFailed("tcp", f"{_endpoint(address, port)}: {_os_reason(error)}") from None
    await stream.aclose()


def _os_reason(error: OSError) -> str:
    """The system's words for a failed connection (anyio wraps them in a summary)."""
    cause = error.__cause__ if isinstance(error.__cause__, OSError) else error
    return os.strerror(cause.errno) if cause.errno else str(cause)


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


# httpcore2 defines AnyIOBackend only when anyio imports (it does: httpx2 needs it).
_ANYIO = cast(httpcore2.AsyncNetworkBackend, httpcore2.AnyIOBackend())


@dataclass(frozen=True)
class _Pinned(httpcore2.AsyncNetworkBackend):
    """Connects `host:port` to the vetted `address`; refuses every other destination."""

    host: str
    port: int
    address: str

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        if host.lower().rstrip(".") != self.host.lower().rstrip(".") or port != self.port:
            raise httpcore2.ConnectError(
                f"{host}:{port} was not vetted by preflight; not connected"
            )
        return await _ANYIO.connect_tcp(self.address, port, timeout, local_address, socket_options)


Hook = Callable[[httpx2.Response], Any]


def pinned_client(
    host: str,
    port: int,
    address: str,
    context: ssl.SSLContext,
    *,
    headers: dict[str, str] | None,
    timeout: float,
    on_response: Hook,
) -> httpx2.AsyncClient:
    """An HTTP client that reaches only `host:port`, at the vetted `address`, with `context`.

    The environment's proxies and CA settings are ignored (`trust_env=False`): vMCP's pod has
    neither.
    """
    transport = httpx2.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx2 takes no network backend; its pool is rebuilt with one that dials only `address`.
    transport._pool = httpcore2.AsyncConnectionPool(  # pyright: ignore[reportPrivateUsage]
        ssl_context=context, network_backend=_Pinned(host, port, address)
    )
    return httpx2.AsyncClient(
        transport=transport,
        headers=headers,
        timeout=httpx2.Timeout(timeout),
        trust_env=False,
        event_hooks={"response": [on_response]},
    )

"""Probe one backend the way vMCP connects: DNS, SSRF, TCP, TLS, then MCP over HTTP.

The MCP part is the `mcp` client in `legacy` mode (exactly `initialize` and `initialized`, as
vMCP sends them), then `tools/list`, over the transport the backend declares, with the headers
vMCP would add. Every HTTP response is recorded by a hook, since the client hides the status of
a failed request behind a JSON-RPC error. `mcp` is imported here, when a probe runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
import httpx2

from vmcp_components.errors import VmcpError
from vmcp_components.preflight import network
from vmcp_components.preflight.network import StepFailed
from vmcp_components.preflight.report import (
    AUTH_REQUIRED,
    DNS,
    HTTP,
    NOT_MCP,
    OK,
    PROTOCOL,
    TIMEOUT,
    UNREACHABLE_FROM_HERE,
    BackendResult,
)
from vmcp_components.preflight.targets import Target

MCP_CONTENT_TYPES = ("application/json", "text/event-stream")
MAX_TOOL_PAGES = 100
EXTRA = "vmcp-components[preflight]"


class PreflightUnavailable(VmcpError):
    """The optional MCP client (`mcp`) is not installed."""


def load_mcp() -> Any:
    """The `mcp` package, or PreflightUnavailable saying how to install it."""
    try:
        import mcp  # noqa: PLC0415 - ~1.7 s to import: only when a probe runs
    except ImportError:
        raise PreflightUnavailable(
            f"preflight needs the MCP client of the optional extra: pip install '{EXTRA}'"
        ) from None
    return mcp


@dataclass(frozen=True)
class ProbeOptions:
    """How to probe: the deadline per backend, and Secret values to send (in memory only)."""

    timeout: float = 10.0
    secret_values: Mapping[tuple[str, str], str] | None = None
    """(Secret name, key) -> value; None probes without the Secret headers."""


@dataclass
class _Exchange:
    """What the probe saw: the step it is at, and every HTTP response.

    A response is (method, path, status, content type, WWW-Authenticate).
    """

    step: str = "resolving the name"
    responses: list[tuple[str, str, int, str, str]] = field(
        default_factory=list[tuple[str, str, int, str, str]]
    )

    async def record(self, response: httpx2.Response) -> None:
        request = response.request
        self.responses.append(
            (
                request.method,
                request.url.path,
                response.status_code,
                response.headers.get("content-type", "").split(";")[0].strip().lower(),
                response.headers.get("www-authenticate", ""),
            )
        )


def _headers(target: Target, options: ProbeOptions) -> tuple[dict[str, str], list[str]]:
    """The headers vMCP adds, and notes on Secret headers left out."""
    headers = dict(target.headers or {})
    missing: list[str] = []
    for item in target.secret_headers:
        value = (options.secret_values or {}).get((item.secret, item.key))
        if value is None:
            missing.append(item.header)
        else:
            headers[item.header] = value
    notes: list[str] = []
    if missing:
        notes.append(
            f"probed without its Secret header(s) {', '.join(sorted(missing))}"
            + ("" if options.secret_values is not None else " (add --with-secrets)")
        )
    return headers, notes


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside `error`'s exception groups, depth first (or `error` itself)."""
    inner = cast("tuple[BaseException, ...] | None", getattr(error, "exceptions", None))
    if not isinstance(error, BaseExceptionGroup) or inner is None:
        return [error]
    return [leaf for one in inner for leaf in _leaves(one)]


def _http_failure(target: Target, exchange: _Exchange, notes: list[str]) -> StepFailed | None:
    """The failure an HTTP answer explains (an error status, or no MCP content type)."""
    for method, path, status, content_type, challenge in exchange.responses:
        if status >= 400:
            said = f"HTTP {status} from {method} {path}"
            if challenge:
                said += f" (WWW-Authenticate: {challenge[:200]})"
            if status in (401, 403) and (target.auth_type == "token_exchange" or notes):
                why = (
                    "without a user's token, as expected: vMCP exchanges the caller's token"
                    if target.auth_type == "token_exchange"
                    else "without the headers left out"
                )
                return StepFailed(AUTH_REQUIRED, f"{said}, {why}")
            return StepFailed(HTTP, said)
        if 200 <= status < 300 and content_type and content_type not in MCP_CONTENT_TYPES:
            wanted = "text/event-stream" if method == "GET" else " or ".join(MCP_CONTENT_TYPES)
            return StepFailed(
                NOT_MCP,
                f"{method} {path} answered {status} with {content_type}, not {wanted}: "
                "not an MCP server at this URL",
            )
    return None


def _transport(target: Target, client: httpx2.AsyncClient, timeout: float) -> Any:
    if target.transport == "sse":
        from mcp.client.sse import sse_client  # noqa: PLC0415

        def factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            return client  # already holds the headers and the timeout

        return sse_client(
            target.url, timeout=timeout, sse_read_timeout=timeout, httpx_client_factory=factory
        )
    from mcp.client.streamable_http import streamable_http_client  # noqa: PLC0415

    return streamable_http_client(target.url, http_client=client)


async def _list_tools(mcp_client: Any) -> list[str]:
    names: list[str] = []
    cursor = None
    for _ in range(MAX_TOOL_PAGES):
        page = await mcp_client.list_tools(cursor=cursor, cache_mode="bypass")
        names += [tool.name for tool in page.tools]
        cursor = page.next_cursor
        if cursor is None:
            break
    return names


async def _speak_mcp(
    target: Target, address: str, options: ProbeOptions, exchange: _Exchange, notes: list[str]
) -> list[str]:
    mcp = load_mcp()
    headers, missing = _headers(target, options)
    notes += missing
    context = network.trust(target.ca_pem)
    client = network.pinned_client(
        target.host,
        target.port,
        address,
        context,
        headers=headers,
        timeout=options.timeout,
        on_response=exchange.record,
    )
    exchange.step = "MCP initialize"
    try:
        async with contextlib.AsyncExitStack() as stack:
            if target.transport != "sse":  # sse_client enters the client it is given
                await stack.enter_async_context(client)
            transport = _transport(target, client, options.timeout)
            session = await stack.enter_async_context(
                mcp.Client(transport, mode="legacy", read_timeout_seconds=options.timeout)
            )
            exchange.step = "MCP tools/list"
            return await _list_tools(session)
    except Exception as error:  # noqa: BLE001 - every failure becomes a result class
        explained = _http_failure(target, exchange, notes)
        if explained is not None:
            raise explained from None
        leaves = _leaves(error)
        codes = [leaf for leaf in leaves if isinstance(leaf, mcp.MCPError)]
        leaf = codes[0] if codes else leaves[0]
        if isinstance(leaf, mcp.MCPError):
            data: Any = cast(Any, leaf).error
            said = f"{exchange.step}: {data.message} (JSON-RPC error {data.code})"
        else:
            said = f"{exchange.step}: {type(leaf).__name__}: {leaf}"
        raise StepFailed(PROTOCOL, said[:500]) from None


async def _probe(target: Target, options: ProbeOptions, exchange: _Exchange) -> BackendResult:
    started = time.monotonic()
    result = BackendResult(target.name, target.kind, target.url, target.transport, OK)
    try:
        addresses = await network.resolve(target.host, target.port)
    except OSError as error:
        if target.in_cluster:
            reason = (
                f"in-cluster name {target.host} does not resolve here; vMCP resolves it "
                "in the cluster"
            )
            return replace(result, result=UNREACHABLE_FROM_HERE, reason=reason)
        raise StepFailed(DNS, f"{target.host} does not resolve: {error}") from None
    result = replace(result, addresses=addresses)
    network.vetted(target.host, addresses, target.allow_private)
    exchange.step = "TCP connect"
    try:
        address = await network.first_connection(addresses, target.port)
    except StepFailed as failed:
        if target.in_cluster:
            reason = f"in-cluster address not reachable from here ({failed.reason})"
            return replace(result, result=UNREACHABLE_FROM_HERE, reason=reason)
        raise
    if target.tls:
        exchange.step = "TLS handshake"
        await network.handshake(address, target.port, target.host, network.trust(target.ca_pem))
    notes: list[str] = []
    try:
        tools = await _speak_mcp(target, address, options, exchange, notes)
    except StepFailed as failed:
        if failed.result != AUTH_REQUIRED:
            raise
        latency = (time.monotonic() - started) * 1000
        return replace(
            result,
            result=AUTH_REQUIRED,
            reason=failed.reason,
            latency_ms=latency,
            notes=tuple(notes),
        )
    latency = (time.monotonic() - started) * 1000
    return replace(result, latency_ms=latency, tools=tuple(tools), notes=tuple(notes))


async def probe(target: Target, options: ProbeOptions) -> BackendResult:
    """The result of probing `target` within `options.timeout` seconds."""
    exchange = _Exchange()
    failed: StepFailed
    try:
        with anyio.fail_after(options.timeout):
            result = await _probe(target, options, exchange)
            if target.token_url and result.result in (OK, AUTH_REQUIRED):
                exchange.step = "token endpoint"
                await _reach_token_endpoint(target)
            return result
    except StepFailed as error:
        failed = error
    except TimeoutError:
        failed = StepFailed(TIMEOUT, f"no answer within {options.timeout:g} s ({exchange.step})")
    return BackendResult(
        target.name, target.kind, target.url, target.transport, failed.result, failed.reason
    )


async def _reach_token_endpoint(target: Target) -> None:
    """Check the token-exchange endpoint the way vMCP will reach it.

    It must resolve, pass the SSRF rules, accept a connection and, over https, present a
    certificate the system roots trust.
    """
    assert target.token_url is not None
    parts = urlsplit(target.token_url)
    host, tls = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    where = f"token endpoint {host}"
    try:
        addresses = await network.resolve(host, port)
        network.vetted(host, addresses, target.allow_private)
        address = await network.first_connection(addresses, port)
        if tls:
            await network.handshake(address, port, host, network.trust(None))
    except OSError as error:
        raise StepFailed(DNS, f"{where} does not resolve: {error}") from None
    except StepFailed as failed:
        raise StepFailed(failed.result, f"{where}: {failed.reason}") from None

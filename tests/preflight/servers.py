"""The preflight tests' backends, all in one process (run as a script, inside the test's sandbox).

    python servers.py ADDRESS CERTFILE KEYFILE API_KEY

Listens on ADDRESS (a non-loopback address of the sandbox, which the SSRF rules allow):

| port | what |
|---|---|
| 8001 | MCP, streamable HTTP (tools `echo`, `add`) |
| 8002 | MCP, SSE (tools `echo`, `add`) |
| 8443 | MCP, streamable HTTP behind TLS (CERTFILE, KEYFILE; tools `echo`, `search`) |
| 8004 | 401 to everything, with `WWW-Authenticate: Bearer realm="mcp"` |
| 8005 | 404 to everything |
| 8006 | 200 with an HTML page: not an MCP server |
| 8007 | accepts connections and never answers |
| 8008 | MCP, streamable HTTP, 401 unless `X-Api-Key` is API_KEY (tool `secret_tool`) |

Port 8009 stays closed. 127.0.0.1:8001 only logs a connection (the SSRF rules must keep
preflight away from it). Every request to an MCP port is printed as a JSON line (port, path,
header names) so a test can see who was reached and with which headers.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

SECURITY = TransportSecuritySettings(enable_dns_rebinding_protection=False)


def mcp_server(name: str, tools: list[str]) -> MCPServer:
    server = MCPServer(name)
    for tool in tools:
        server.tool(name=tool, description=f"{tool} of {name}")(_answering(f"{name}.{tool}"))
    return server


def _answering(label: str) -> Any:
    def answer(text: str) -> str:
        return f"{label}: {text}"

    return answer


class Logged:
    """ASGI middleware: print each request (port, path, header names) as a JSON line."""

    def __init__(self, app: Any, port: int) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            names = sorted(k.decode("latin-1") for k, _ in scope["headers"])
            print(
                json.dumps({"port": self.port, "path": scope["path"], "headers": names}), flush=True
            )
        await self.app(scope, receive, send)


class NeedsKey:
    """ASGI middleware: 401 unless the request carries `X-Api-Key: <key>`."""

    def __init__(self, app: Any, key: str) -> None:
        self.app, self.key = app, key.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-api-key") != self.key:
            await answer(send, 401, b"text/plain", b"no key", [(b"www-authenticate", b"ApiKey")])
            return
        await self.app(scope, receive, send)


async def answer(
    send: Any, status: int, content_type: bytes, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [(b"content-type", content_type), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def fixed(status: int, content_type: bytes, body: bytes, extra: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await answer(send, status, content_type, body, extra)

    return app


async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def loopback(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    print(json.dumps({"port": 8001, "loopback": True}), flush=True)
    writer.close()


async def main() -> None:
    address, certfile, keyfile, api_key = sys.argv[1:5]

    def streamable(name: str, tools: list[str]) -> Any:
        return mcp_server(name, tools).streamable_http_app(transport_security=SECURITY)

    challenge = [(b"www-authenticate", b'Bearer realm="mcp"')]
    apps: list[tuple[int, Any, dict[str, str]]] = [
        (8001, streamable("plain", ["echo", "add"]), {}),
        (8002, mcp_server("sse", ["echo", "add"]).sse_app(transport_security=SECURITY), {}),
        (8443, streamable("tls", ["echo", "search"]),
         {"ssl_certfile": certfile, "ssl_keyfile": keyfile}),
        (8004, fixed(401, b"text/plain", b"who are you", challenge), {}),
        (8005, fixed(404, b"text/plain", b"not found", []), {}),
        (8006, fixed(200, b"text/html", b"<html>hello</html>", []), {}),
        (8008, NeedsKey(streamable("keyed", ["secret_tool"]), api_key), {}),
    ]  # fmt: skip
    servers = [
        uvicorn.Server(
            uvicorn.Config(Logged(app, port), host=address, port=port, log_level="warning", **tls)  # type: ignore[arg-type]
        )
        for port, app, tls in apps
    ]
    staller = await asyncio.start_server(stall, address, 8007)
    on_loopback = await asyncio.start_server(loopback, "127.0.0.1", 8001)
    async with staller, on_loopback:
        await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    asyncio.run(main())

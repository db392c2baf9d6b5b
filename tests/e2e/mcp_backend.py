"""A real MCP server for the live vMCP test (run as a script, inside the test's sandbox).

    python mcp_backend.py --name alpha --transport streamable-http --port 8443 \
        --certfile srv.crt --keyfile srv.key > alpha-headers.jsonl

Tools: `echo(text)` answers "<name>: <text>", `add(a, b)` answers a + b. Every HTTP request's
path and headers are printed on stdout as one JSON object per line (names lower-cased), so the
test can see which headers vMCP forwarded to which backend. Host-header (DNS rebinding) checks
are off: vMCP reaches the server through the test's own host names.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings


def build_server(name: str) -> MCPServer:
    server = MCPServer(name)

    @server.tool()
    def echo(text: str) -> str:
        """Answer the text, prefixed with this server's name."""
        return f"{name}: {text}"

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return server


class HeaderLog:
    """ASGI middleware: print each HTTP request's path and headers as a JSON line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            print(json.dumps({"path": scope["path"], "headers": headers}), flush=True)
        await self.app(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--transport", choices=["sse", "streamable-http"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    options = parser.parse_args()
    server = build_server(options.name)
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    if options.transport == "sse":
        app = server.sse_app(transport_security=security, host=options.host)
    else:
        app = server.streamable_http_app(transport_security=security, host=options.host)
    uvicorn.run(
        HeaderLog(app),
        host=options.host,
        port=options.port,
        ssl_certfile=options.certfile,
        ssl_keyfile=options.keyfile,
        log_level="warning",
    )


if __name__ == "__main__":
    main()

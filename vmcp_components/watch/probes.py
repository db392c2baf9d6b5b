"""Readiness and health over HTTP: `/readyz` (200 once ready, else 503) and `/healthz` (200).

A minimal HTTP/1.1 server on the watcher's event loop (`asyncio.start_server`): each request
gets one JSON answer, the watcher's `health()`, and the connection is closed. Probes are not
logged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}


async def serve(
    address: str, port: int, ready: Callable[[], bool], health: Callable[[], dict[str, Any]]
) -> asyncio.Server:
    """Start answering probes on `address`:`port` (0: a free port)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (
                b"\r\n",
                b"\n",
                b"",
            ):
                pass  # the headers: not needed
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 and parts[0] in ("GET", "HEAD") else None
            if path is None:
                code, body = 400, b""
            elif path.split("?", 1)[0] not in ("/readyz", "/healthz"):
                code, body = 404, b""
            else:
                ok = path.startswith("/healthz") or ready()
                code, body = (200 if ok else 503), json.dumps(health()).encode()
            head = (
                f"HTTP/1.1 {code} {_REASONS[code]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (body if parts[:1] != ["HEAD"] else b""))
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeError):
            pass  # a probe that hung up or never finished its request
        finally:
            writer.close()

    return await asyncio.start_server(answer, address, port)

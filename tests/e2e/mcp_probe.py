"""An MCP client for the live vMCP test (run as a script, inside the test's sandbox).

    python mcp_probe.py http://127.0.0.1:4483/mcp '[["echo_tool", {"text": "hi"}], ...]'

Connects over streamable HTTP, lists the tools, calls each (tool, arguments) pair in order and
prints one JSON object: {"tools": [names...], "calls": [{"tool", "error", "text"}...]}.
A failed call is reported, not raised, so the test sees every answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from mcp import Client


async def probe(url: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    async with Client(url, read_timeout_seconds=30) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        answers = []
        for name, arguments in calls:
            try:
                result = await client.call_tool(name, arguments)
            except Exception as error:  # noqa: BLE001 - reported to the test as data
                answers.append({"tool": name, "error": True, "text": repr(error)})
                continue
            text = " ".join(getattr(part, "text", "") for part in result.content)
            answers.append({"tool": name, "error": bool(result.is_error), "text": text})
        return {"tools": tools, "calls": answers}


def main() -> None:
    url, calls = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(asyncio.run(probe(url, [(n, a) for n, a in calls]))))


if __name__ == "__main__":
    main()

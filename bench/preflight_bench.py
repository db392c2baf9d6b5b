"""Time `preflight` for 10 and 100 backends against real MCP servers (figures, no assertions).

    .venv/bin/python bench/preflight_bench.py [--counts 10,100] [--concurrency 32]

Needs root: the servers and the probes run in a private network namespace (tests/e2e/toolhive.py
`Sandbox`) where `b<N>.mcp.test` names 198.18.0.1, and one process serves N streamable-HTTP MCP
servers (the `mcp` SDK, tests/preflight/servers.py's `mcp_server`), one port each. Prints the
wall time of the probes (the report's `seconds`) and of the whole command (process start, the
`mcp` import, the render) for each count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.toolhive import Sandbox  # noqa: E402

ADDRESS = "198.18.0.1"
FIRST_PORT = 9000
SERVE = """
import asyncio, sys, uvicorn
from tests.preflight.servers import SECURITY, mcp_server
async def main(count):
    servers = [uvicorn.Server(uvicorn.Config(
        mcp_server(f"b{i}", ["echo", "add"]).streamable_http_app(transport_security=SECURITY),
        host="ADDRESS", port=FIRST_PORT + i, log_level="warning")) for i in range(count)]
    await asyncio.gather(*(s.serve() for s in servers))
asyncio.run(main(int(sys.argv[1])))
""".replace("FIRST_PORT", str(FIRST_PORT)).replace("ADDRESS", ADDRESS)


def snapshot(count: int) -> str:
    items: list[dict[str, object]] = [
        {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPGroup",
         "metadata": {"name": "bench"}, "spec": {}},
    ]  # fmt: skip
    for i in range(count):
        items.append(
            {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPServerEntry",
             "metadata": {"name": f"b{i}"},
             "spec": {"remoteUrl": f"http://b{i}.mcp.test:{FIRST_PORT + i}/mcp",
                      "transport": "streamable-http", "groupRef": {"name": "bench"}}}
        )  # fmt: skip
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})


def measure(count: int, concurrency: int, workdir: Path) -> tuple[float, float, bool]:
    hosts = {f"b{i}.mcp.test": ADDRESS for i in range(count)}
    path = "/etc/preflight-bench/snapshot.yaml"
    with Sandbox(workdir / f"sandbox-{count}", {path: snapshot(count)}, hosts) as sandbox:
        sandbox.run(["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with (workdir / f"servers-{count}.log").open("wb") as log:
            sandbox.start(
                [sys.executable, "-c", SERVE, str(count)], env=env, stdout=log, stderr=log
            )
        probe = (
            "import socket, sys; s = socket.socket(); s.settimeout(1); "
            f"sys.exit(s.connect_ex(('{ADDRESS}', {FIRST_PORT + count - 1})))"
        )
        deadline = time.monotonic() + 300
        while sandbox.run([sys.executable, "-c", probe], timeout=10).returncode != 0:
            assert time.monotonic() < deadline, "the servers did not start"
            time.sleep(0.5)
        time.sleep(2)  # let every server finish starting
        started = time.monotonic()
        run = sandbox.run(
            [sys.executable, "-m", "vmcp_components", "preflight", "--snapshot", path,
             "--name", "bench", "--namespace", "bench", "--group", "bench", "--json",
             "--concurrency", str(concurrency), "--timeout", "30"],
            timeout=600,
        )  # fmt: skip
        total = time.monotonic() - started
    report = json.loads(run.stdout)
    return report["seconds"], total, report["passed"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="10,100")
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"preflight-bench-{os.getpid()}"
    workdir.mkdir(parents=True)
    print(f"backends  probes (s)  command (s)  passed  (concurrency {options.concurrency})")
    for count in (int(c) for c in options.counts.split(",")):
        probes, total, passed = measure(count, options.concurrency, workdir)
        print(f"{count:8d}  {probes:10.2f}  {total:11.2f}  {passed}")


if __name__ == "__main__":
    main()

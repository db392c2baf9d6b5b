"""Benchmark of `watch`: from a member's change in the cluster to the new pod template.

A 10-member group (synthetic entries, as in render_bench.py) is deployed with the program on the
real engine and the real test API server, then `python -m vmcp_components watch` runs as a
subprocess. Each change adds one entry to the group; the bench times, from the API server's
acceptance of the change:

- `replicaset`: the Deployment's new ReplicaSet exists (the new pod template is applied);
- `rollout`: the fake kubelet's pods of that ReplicaSet are ready and the run is over.

The watch's own log splits the first figure: `event` (the watch saw it), `decision` (debounce
and render done), `engine` (the run started until the ReplicaSet appeared). A burst, several
entries applied at once, shows what the debounce buys: how many engine runs it took, and
`spread`, the seconds between the first and the last entry event the watch saw.

    .venv/bin/python bench/watch_bench.py [--members 10] [--changes 10] [--debounce 0.5,2]

No assertions; the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from engine_bench import seed
from lightkube import Client
from lightkube.resources.apps_v1 import ReplicaSet
from render_bench import GROUP

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test tier's cluster + engine
from tests.e2e.cluster import start
from tests.e2e.conftest import seed as apply_objects
from tests.engine.harness import EngineProject, build_engine, copy_program
from tests.engine.watch_process import WatchProcess

NAME = "bench"
STACK = "watch-bench"


def entry(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPServerEntry",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "remoteUrl": f"https://{name}.bench.example.com/mcp",
            "transport": "streamable-http",
            "groupRef": {"name": GROUP},
        },
        "status": {"phase": "Valid"},
    }


def replica_sets(client: Client, namespace: str) -> set[str]:
    return {str(rs.metadata.name) for rs in client.list(ReplicaSet, namespace=namespace)}  # type: ignore[union-attr]


def stamp(line: dict[str, Any]) -> float:
    """A log line's wall-clock time (`ts`), as `time.time()` gives it."""
    return datetime.fromisoformat(line["ts"].replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def one_change(
    client: Client, watch: WatchProcess, namespace: str, names: list[str], debounce: float
) -> dict[str, float]:
    """Apply entries `names` at once; seconds to the new ReplicaSet, the log's marks, the runs."""
    before = replica_sets(client, namespace)
    runs, events = len(watch.logged("run")), len(watch.logged("event"))
    entries = len(watch.logged("event", kind="MCPServerEntry"))
    decisions = len(watch.logged("decision", action="run"))
    started_wall, started = time.time(), time.monotonic()
    apply_objects(client, [entry(namespace, name) for name in names])
    while not replica_sets(client, namespace) - before:  # polled closely: this is the figure
        if time.monotonic() - started > 120:
            raise SystemExit(f"no new ReplicaSet in {namespace} after 120 s")
        time.sleep(0.05)
    replicaset = time.monotonic() - started
    settle(watch, debounce)
    run_start = stamp(watch.logged("run")[runs]) - watch.logged("run")[runs]["durationSeconds"]
    return {
        "replicaset": replicaset,
        "event": stamp(watch.logged("event")[events]) - started_wall,
        "decision": stamp(watch.logged("decision", action="run")[decisions]) - started_wall,
        "engine": started_wall + replicaset - run_start,
        "rollout": stamp(watch.logged("run")[-1]) - started_wall,
        "runs": float(len(watch.logged("run")) - runs),
        "spread": spread(watch.logged("event", kind="MCPServerEntry")[entries:]),
    }


def spread(events: list[dict[str, Any]]) -> float:
    return stamp(events[-1]) - stamp(events[0])


def settle(watch: WatchProcess, debounce: float) -> None:
    """Until every run decided has finished and nothing was logged for `debounce` + 1 s."""
    seen, quiet_since = len(watch.lines), time.monotonic()
    while True:
        time.sleep(0.25)
        if len(watch.lines) != seen:
            seen, quiet_since = len(watch.lines), time.monotonic()
        busy = len(watch.logged("decision", action="run")) > len(watch.logged("run"))
        if not busy and time.monotonic() - quiet_since > debounce + 1.0:
            return


def report(debounce: float, figures: list[dict[str, float]], label: str) -> None:
    print(f"debounce {debounce:g} s, {label} ({len(figures)}):")
    for key in ("replicaset", "event", "decision", "engine", "rollout", "runs", "spread"):
        values = [f[key] for f in figures]
        print(
            f"  {key:<10} median {statistics.median(values):6.2f}  "
            f"p95 {percentile(values, 0.95):6.2f}  max {max(values):6.2f}"
        )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of watch: event to new pod template.")
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--burst", type=int, default=5, help="entries applied at once")
    parser.add_argument("--debounce", default="0.5,2", help="seconds, comma-separated")
    options = parser.parse_args()

    engine = build_engine()
    work = Path(tempfile.mkdtemp(prefix="watch-bench-"))
    cluster = start(work / "cluster")
    try:
        client = cluster.client(field_manager="vmcp-bench")
        for debounce in (float(d) for d in options.debounce.split(",")):
            namespace = f"watch-{str(debounce).replace('.', '-')}"
            seed(client, namespace, options.members)
            project = EngineProject(work / namespace, engine)
            copy_program(project.path)
            kube = {"kubeconfig": str(cluster.kubeconfig), "context": "vmcp-test"}
            config = {"namespace": namespace, "group": GROUP, "name": NAME, **kube}
            stack = project.stack(STACK, config)
            project.run("up", stack)
            watch = WatchProcess(project, STACK, debounce=debounce)
            try:
                watch.wait_logged("ready", timeout=120)
                singles = [
                    one_change(client, watch, namespace, [f"change-{index}"], debounce)
                    for index in range(options.changes)
                ]
                report(debounce, singles, "one entry per change")
                names = [f"burst-{index}" for index in range(options.burst)]
                burst = one_change(client, watch, namespace, names, debounce)
                report(debounce, [burst], f"{options.burst} entries applied at once")
            finally:
                watch.stop()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

"""Benchmark of the program on the real Pulumi engine against the real test API server.

For each group size (MCPServerEntry members, a third with a CA bundle), a fresh namespace is
seeded and the program runs `preview`, `up`, a no-change `preview` and `destroy` through
`pulumi.automation` with the engine of `scripts/pulumi-engine`. With `--floor`, a bare program
doing one `CustomResource.get` per member (nothing else) runs the same steps in the same run, so
each ratio compares like with like. Prints wall time, time per member, the peak RSS of the CLI,
the language host, the Python program and the provider, and the state file size. No assertions.

    .venv/bin/python bench/engine_bench.py [--sizes 10,100,300,1000] [--floor] [--repeat 3]

`up` includes the Deployment's rollout wait (the fake kubelet readies Pods in about a second);
`--repeat` gives medians. A cold cluster/engine build happens first if the caches are empty.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightkube import Client
from lightkube.resources.core_v1 import Namespace
from render_bench import GROUP, example_pem, synthetic_objects

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test tier's cluster + engine
from tests.e2e.cluster import Cluster, start
from tests.e2e.conftest import seed as apply_objects
from tests.engine.harness import EngineProject, build_engine, copy_program

NAME = "bench"
STEPS = ("preview", "up", "preview (no change)", "destroy")
ROLES = {
    "pulumi": "cli",
    "pulumi-language": "language host",
    "pulumi-resource": "provider",
}
FLOOR_PROGRAM = '''"""Floor: one bare CustomResource.get per member, nothing else."""
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
namespace = config.require("namespace")
for name in config.require_object("members"):
    k8s.apiextensions.CustomResource.get(
        f"floor-{name}", "toolhive.stacklok.dev/v1beta1", "MCPServerEntry", f"{namespace}/{name}"
    )
'''


class PeakRss:
    """Peak RSS (VmHWM) per engine process role, sampled from /proc while a step runs."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for proc in Path("/proc").glob("[0-9]*"):
                try:
                    comm = (proc / "comm").read_text().strip()
                    role = ROLES.get(comm)
                    if role is None and comm.startswith("python"):
                        cmdline = (proc / "cmdline").read_bytes()
                        role = "program" if b"pulumi-language-python-exec" in cmdline else None
                    if role is None:
                        continue
                    status = (proc / "status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        self.peaks[role] = max(self.peaks.get(role, 0), kib * 1024)


@dataclass
class Figures:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    state_bytes: int = 0


def seed(client: Client, namespace: str, count: int) -> list[str]:
    """A namespace with the group and `count` entries; returns the member names."""
    client.create(Namespace(metadata={"name": namespace}))  # type: ignore[arg-type]
    objects = synthetic_objects(count, example_pem())
    for obj in objects:
        obj["metadata"]["namespace"] = namespace
    apply_objects(client, objects)
    return [o["metadata"]["name"] for o in objects if o["kind"] == "MCPServerEntry"]


def timed(step: Callable[[], Any], figures: Figures, label: str) -> None:
    with PeakRss() as rss:
        started = time.perf_counter()
        step()
        figures.seconds.setdefault(label, []).append(time.perf_counter() - started)
    for role, peak in rss.peaks.items():
        figures.peaks[role] = max(figures.peaks.get(role, 0), peak)


def cycle(project: EngineProject, config: dict[str, Any], figures: Figures) -> None:
    stack = project.stack("bench", config)
    timed(lambda: project.run("preview", stack), figures, STEPS[0])
    timed(lambda: project.run("up", stack), figures, STEPS[1])
    timed(lambda: project.run("preview", stack, expect_no_changes=True), figures, STEPS[2])
    state = next(project.state_dir.rglob("bench.json"), None)
    figures.state_bytes = state.stat().st_size if state else 0
    timed(lambda: project.run("destroy", stack), figures, STEPS[3])
    project.runs.clear()


def report(label: str, count: int, figures: Figures) -> dict[str, float]:
    medians = {step: statistics.median(figures.seconds[step]) for step in STEPS}
    cells = "  ".join(
        f"{step} {medians[step]:7.1f} s ({medians[step] / count * 1000:5.0f} ms/member)"
        for step in STEPS
    )
    peaks = ", ".join(f"{role} {b / 2**20:.0f} MiB" for role, b in sorted(figures.peaks.items()))
    print(f"{label:>8} {count:>5}: {cells}")
    print(f"{'':>15} peak RSS: {peaks}; state file {figures.state_bytes:,} B")
    sys.stdout.flush()
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of the program on the real engine.")
    parser.add_argument("--sizes", default="10,100,300,1000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--floor", action="store_true", help="also run the floor program")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]

    engine = build_engine()
    work = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    cluster: Cluster = start(work / "cluster")
    try:
        client = cluster.client(field_manager="vmcp-bench")
        kube = {"kubeconfig": str(cluster.kubeconfig), "context": "vmcp-test"}
        for count in sizes:
            namespace = f"bench-{count}"
            members = seed(client, namespace, count)
            program = EngineProject(work / f"program-{count}", engine)
            copy_program(program.path)
            args = {"namespace": namespace, "group": GROUP, "name": NAME, **kube}
            floor = EngineProject(work / f"floor-{count}", engine)
            floor.path.mkdir()
            (floor.path / "Pulumi.yaml").write_text(
                "name: floor\nruntime: python\nstackConfigDir: stacks\n"
            )
            (floor.path / "__main__.py").write_text(FLOOR_PROGRAM)
            floor_config = {
                "floor:namespace": namespace,
                "floor:members": members,
                "kubernetes:kubeconfig": kube["kubeconfig"],
                "kubernetes:context": kube["context"],
            }
            ours, bare = Figures(), Figures()
            for _ in range(options.repeat):
                cycle(program, args, ours)
                if options.floor:
                    cycle(floor, floor_config, bare)
            mine = report("program", count, ours)
            if options.floor:
                base = report("floor", count, bare)
                ratios = ", ".join(f"{step} {mine[step] / base[step]:.2f}x" for step in STEPS)
                print(f"{'':>15} ratio program/floor: {ratios}")
            print(json.dumps({"members": count, "program": ours.seconds, "floor": bare.seconds}))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

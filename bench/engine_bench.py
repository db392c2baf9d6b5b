"""Benchmark of the program on the real Pulumi engine against the real test API server.

For each group size (MCPServerEntry members, a third with a CA bundle), a fresh namespace is
seeded and the program runs `preview`, `up`, a no-change `preview` and `destroy` through
`pulumi.automation` with the engine of `scripts/pulumi-engine`. With `--floor`, two bare
programs run the same steps in the same run, so each ratio compares like with like:

- `floor`: one `CustomResource.get` per member, nothing else (the floor of issue 9);
- `lean floor`: one read per member that names the object it reads (apiVersion, kind, name,
  namespace), as the component's reads do; the provider then skips decoding its package schema
  on every read (see `vmcp_components/reads.py`), so this is the lowest a read can cost here.

Prints wall time, time per member, the peak RSS of the CLI, the language host, the Python
program and the provider, and the state file size. `up` is also shown without the rollout wait
(the longest Deployment or Service step, from the engine's events), which the floors do not
have. No assertions.

    .venv/bin/python bench/engine_bench.py [--sizes 10,100,300,1000] [--floor] [--repeat 3]
                                           [--skip-checkpoints] [--profile]

`--skip-checkpoints` runs every program with `PULUMI_SKIP_CHECKPOINTS=true`: the engine then
writes the state once at the end instead of serialising all of it after every step, which is
what makes large stacks quadratic (see the README's "Large groups").

`--profile` then runs, per size, one more first preview and no-change preview of the program
(and of the lean floor) under py-spy (`bench/program_profile.py`) and prints where the
program's time went, next to the engine's event timeline of the same run: when the first
resource step, the first and last read, and the first and last child step happened.

`--preview-only` runs only the first preview of each program (the large sizes' comparison).
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
from program_profile import ProgramProfile, print_buckets
from pulumi import automation as auto
from render_bench import GROUP, example_pem, synthetic_objects

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test tier's cluster + engine
from tests.e2e.cluster import Cluster, start
from tests.e2e.conftest import seed as apply_objects
from tests.engine.harness import EngineProject, Run, build_engine, copy_program

NAME = "bench"
ROLES = {
    "pulumi": "cli",
    "pulumi-language": "language host",
    "pulumi-resource": "provider",
}
FLOOR_HEAD = """import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
namespace = config.require("namespace")
api_version, kind = "toolhive.stacklok.dev/v1beta1", "MCPServerEntry"
"""
FLOORS = {
    "floor": FLOOR_HEAD
    + """for name in config.require_object("members"):
    k8s.apiextensions.CustomResource.get(f"floor-{name}", api_version, kind, f"{namespace}/{name}")
""",
    "lean floor": FLOOR_HEAD
    + """from importlib.metadata import version

opts = {"version": version("pulumi-kubernetes")}
for name in config.require_object("members"):
    identity = {"apiVersion": api_version, "kind": kind,
                "metadata": {"name": name, "namespace": namespace}}
    pulumi.CustomResource(
        f"kubernetes:{api_version}:{kind}", f"floor-{name}", identity,
        pulumi.ResourceOptions(id=f"{namespace}/{name}", **opts),
    )
""",
}


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


def timed(step: Callable[[], Any], figures: Figures, label: str) -> Any:
    with PeakRss() as rss:
        started = time.perf_counter()
        result = step()
        figures.seconds.setdefault(label, []).append(time.perf_counter() - started)
    for role, peak in rss.peaks.items():
        figures.peaks[role] = max(figures.peaks.get(role, 0), peak)
    return result


def rollout_seconds(run: Run) -> float:
    """How long the engine waited for the rollout: its longest Deployment or Service step.

    The provider's Deployment step waits for the new ReplicaSet's pods, and its Service step
    (run at the same time) for the Service's endpoints, which are those same pods.
    """
    spans = [
        *run.step_seconds("kubernetes:apps/v1:Deployment"),
        *run.step_seconds("kubernetes:core/v1:Service"),
    ]
    return max(spans, default=0.0)


def cycle(
    project: EngineProject, config: dict[str, Any], figures: Figures, preview_only: bool
) -> None:
    stack = project.stack("bench", config)
    timed(lambda: project.run("preview", stack), figures, "preview")
    if preview_only:
        project.runs.clear()
        return
    run, _ = timed(lambda: project.run("up", stack), figures, "up")
    figures.seconds.setdefault("up - rollout", []).append(
        figures.seconds["up"][-1] - rollout_seconds(run)
    )
    timed(
        lambda: project.run("preview", stack, expect_no_changes=True),
        figures,
        "preview (no change)",
    )
    state = next(project.state_dir.rglob("bench.json"), None)
    figures.state_bytes = state.stat().st_size if state else 0
    timed(lambda: project.run("destroy", stack), figures, "destroy")
    project.runs.clear()


def timeline(run: Run, started: float) -> dict[str, float]:
    """Seconds from the step's start to the engine's milestones, from its events' arrivals."""
    marks: dict[str, float] = {}
    for event, at in zip(run.events, run.arrivals, strict=True):
        pre, done = event.resource_pre_event, event.res_outputs_event
        meta = pre.metadata if pre else done.metadata if done else None
        if meta is None:
            continue
        is_read = meta.op in (auto.OpType.READ, auto.OpType.READ_REPLACEMENT)
        kind = "read" if is_read else "stack" if meta.type == "pulumi:pulumi:Stack" else "child"
        if kind == "child" and not meta.type.startswith("kubernetes:"):
            continue
        edge = "done" if done else "start"
        marks.setdefault(f"first {kind} {edge}", at - started)
        marks[f"last {kind} {edge}"] = at - started
    marks["end"] = (run.arrivals[-1] if run.arrivals else started) - started
    return marks


def profiled(project: EngineProject, config: dict[str, Any], label: str, work: Path) -> None:
    """A first preview and, after `up`, a no-change preview of `project`, each under py-spy."""
    stack = project.stack("profile", config)
    profile_step(project, stack, label, "preview", work)
    project.run("up", stack)
    profile_step(project, stack, label, "preview (no change)", work)
    project.run("destroy", stack)
    project.runs.clear()


def profile_step(
    project: EngineProject, stack: auto.Stack, label: str, step: str, work: Path
) -> None:
    spy = ProgramProfile(work / f"{label}-{step}.raw".replace(" ", "-"))
    started = time.monotonic()
    with spy:
        run, _ = project.run("preview", stack, expect_no_changes=step != "preview")
    print_buckets(f"{label}, {step}, {time.monotonic() - started:.2f} s in all", spy.buckets())
    marks = ", ".join(f"{name} {at:.2f}" for name, at in timeline(run, started).items())
    print(f"{'':>19} engine events (s after the start): {marks}")


def report(label: str, count: int, figures: Figures) -> dict[str, float]:
    medians = {step: statistics.median(found) for step, found in figures.seconds.items()}
    print(f"{label:>10} {count:>5}:")
    for step, median in medians.items():
        per_member = median / count * 1000
        print(f"{'':>17} {step:<20} {median:7.1f} s ({per_member:5.0f} ms/member)")
    peaks = ", ".join(f"{role} {b / 2**20:.0f} MiB" for role, b in sorted(figures.peaks.items()))
    print(f"{'':>17} peak RSS: {peaks}; state file {figures.state_bytes:,} B")
    sys.stdout.flush()
    return medians


def floor_project(work: Path, label: str, count: int, engine: Any) -> EngineProject:
    project = EngineProject(work / f"{label.replace(' ', '-')}-{count}", engine)
    project.path.mkdir()
    (project.path / "Pulumi.yaml").write_text(
        "name: floor\nruntime: python\nstackConfigDir: stacks\n"
    )
    (project.path / "__main__.py").write_text(FLOORS[label])
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of the program on the real engine.")
    parser.add_argument("--sizes", default="10,100,300,1000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--floor", action="store_true", help="also run the floor programs")
    parser.add_argument("--skip-checkpoints", action="store_true", help="PULUMI_SKIP_CHECKPOINTS")
    parser.add_argument("--profile", action="store_true", help="py-spy and the event timeline")
    parser.add_argument("--preview-only", action="store_true", help="only the first preview")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]

    engine = build_engine()
    if options.skip_checkpoints:
        engine.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
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
            runs = [(program, {"namespace": namespace, "group": GROUP, "name": NAME, **kube})]
            labels = ["program"]
            floor_config = {
                "floor:namespace": namespace,
                "floor:members": members,
                "kubernetes:kubeconfig": kube["kubeconfig"],
                "kubernetes:context": kube["context"],
            }
            for label in FLOORS if options.floor else ():
                runs.append((floor_project(work, label, count, engine), floor_config))
                labels.append(label)
            figures = [Figures() for _ in runs]
            for _ in range(options.repeat):
                for (project, config), found in zip(runs, figures, strict=True):
                    cycle(project, config, found, options.preview_only)
            medians = [
                report(label, count, found) for label, found in zip(labels, figures, strict=True)
            ]
            for label, base in zip(labels[1:], medians[1:], strict=True):
                ratios = ", ".join(f"{step} {medians[0][step] / base[step]:.2f}x" for step in base)
                print(f"{'':>17} ratio program/{label}: {ratios}")
            for (project, config), label in zip(runs, labels, strict=True):
                if options.profile and label != "floor":
                    profiled(project, config, label, work)
            raw = {label: found.seconds for label, found in zip(labels, figures, strict=True)}
            print(json.dumps({"members": count, **raw}))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

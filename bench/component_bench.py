"""Benchmark of the Pulumi component on the mock engine: wall time and peak memory per group size.

The same synthetic groups as render_bench.py (100 and 1,000 entries, a third with a CA bundle)
go through `VirtualMCPServer` under `pulumi.runtime.set_mocks`: one get-call per member, the
render, and the six children. The mock engine stands in for the CLI and the kubernetes
provider, so this measures the component's own Python work and the SDK's RPC serialisation,
not a cluster. Each size runs in a fresh process so peak RSS is its own. `component` is the
component as a platform stack uses it (typed children), `program` as the program does (plain
children, `typed_children=False`). Next to them, the SDK's floor: the same get-calls as bare
`pulumi.CustomResource` reads and nothing else, and the same floor in a process that has the
typed modules loaded (`floor+typed`). They alternate, five runs each; medians.

The clock starts after the imports, as it always did for every module the bench imports at
the top; the typed pulumi_kubernetes modules, which the component imports on first use, are
imported before it too, and their time is printed on its own (`imports`): a platform stack
that uses typed children pays it once per run whatever the group's size, and usually already
for its own resources. Loaded, those modules hold some 58,000 objects more that every full
garbage collection walks, which costs any program in that process, the bare reads too: hence
`floor+typed`, the floor to hold the typed component to. `yaml` is the time `yaml_text` takes
for that config.yaml alone.

    .venv/bin/python bench/component_bench.py
"""

from __future__ import annotations

import copy
import json
import resource
import statistics
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from render_bench import GROUP, NAME, NAMESPACE, example_pem, synthetic_objects

from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.output import yaml_text
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs

SIZES = (100, 1_000)
PROGRAMS = ("component", "program", "floor", "floor+typed")
RUNS = 5
MEDIANS = ("wall_s", "import_s", "yaml_s", "peak_rss_mib")
TYPED_MODULES = [
    f"pulumi_kubernetes.{module}" for module in ("core.v1", "apps.v1", "rbac.v1", "policy.v1")
]
ROOT = Path(__file__).resolve().parents[1]


def run_one(count: int, program_kind: str) -> dict[str, Any]:
    started = time.perf_counter()
    if program_kind in ("component", "floor+typed"):
        for module in TYPED_MODULES:
            import_module(module)
    import_s = time.perf_counter() - started
    objects = synthetic_objects(count, example_pem())
    inventory = build_inventory(NAMESPACE, objects, "synthetic")
    by_id = {(obj["kind"], f"{NAMESPACE}/{obj['metadata']['name']}"): obj for obj in objects}

    class Cluster(pulumi.runtime.Mocks):
        reads = 0
        creates = 0

        def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            if args.custom is None and args.resource_id:
                Cluster.reads += 1
                return args.resource_id, copy.deepcopy(
                    by_id[(args.typ.rsplit(":", 1)[1], args.resource_id)]
                )
            Cluster.creates += 1
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
            return {}, None

    pulumi.runtime.set_mocks(Cluster(), project="bench", stack="bench", preview=False)
    args = VirtualMCPServerArgs(namespace=NAMESPACE, group=GROUP)
    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> None:
        if not program_kind.startswith("floor"):
            box["vmcp"] = VirtualMCPServer(
                NAME,
                args,
                discovery=InventoryDiscovery(inventory),
                typed_children=program_kind == "component",
            )
            return
        for kind, object_id in by_id:
            api_version = "v1" if kind == "ConfigMap" else "toolhive.stacklok.dev/v1beta1"
            module = "core/v1" if kind == "ConfigMap" else api_version
            pulumi.CustomResource(
                f"kubernetes:{module}:{kind}",
                f"floor-{kind}-{object_id}",
                {"apiVersion": api_version, "kind": kind, "metadata": None},
                pulumi.ResourceOptions(id=object_id),
            )

    start = time.perf_counter()
    program()
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "program": program_kind,
        "entries": count,
        "wall_s": wall,
        "import_s": import_s,
        "yaml_s": 0.0 if program_kind.startswith("floor") else yaml_seconds(inventory, args),
        "peak_rss_mib": peak_kib / 1024,
        "reads": Cluster.reads,
        "creates": Cluster.creates,
    }


def yaml_seconds(inventory: Inventory, args: VirtualMCPServerArgs) -> float:
    """`yaml_text`'s time for this group's config.yaml (best of three)."""
    config_map = render(inventory, NAME, args).object("ConfigMap")
    # libyaml's loader when there is one: only to get the document back, off the clock.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(config_map["data"]["config.yaml"], Loader=loader)  # noqa: S506
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        yaml_text.dump(document)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    if len(sys.argv) == 3:
        print(json.dumps(run_one(int(sys.argv[1]), sys.argv[2])))
        return
    print(
        f"{'program':>11} {'entries':>8} {'wall':>9} {'per entry':>10} {'peak RSS':>10} "
        f"{'reads':>6} {'creates':>7} {'yaml':>7} {'imports':>8} {'x floor':>8} "
        f"{'x floor+typed':>14}"
    )
    for count in SIZES:
        # The programs alternate, each run in its own process, so a slow spell of the machine
        # falls on all of them; the median of the runs is printed.
        runs: dict[str, list[dict[str, Any]]] = {program: [] for program in PROGRAMS}
        for _ in range(RUNS):
            for program in PROGRAMS:
                runs[program].append(run_in_process(count, program))
        floors = [statistics.median(r["wall_s"] for r in runs[f]) for f in ("floor", "floor+typed")]
        for rows in runs.values():
            row = rows[0] | {key: statistics.median(r[key] for r in rows) for key in MEDIANS}
            print(
                f"{row['program']:>11} {row['entries']:>8} {row['wall_s']:>8.2f}s "
                f"{1000 * row['wall_s'] / count:>8.2f}ms {row['peak_rss_mib']:>8.0f}MiB "
                f"{row['reads']:>6} {row['creates']:>7} {row['yaml_s']:>6.2f}s "
                f"{row['import_s']:>7.2f}s {row['wall_s'] / floors[0]:>7.2f}x "
                f"{row['wall_s'] / floors[1]:>13.2f}x"
            )


def run_in_process(count: int, program: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, str(count), program],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return cast("dict[str, Any]", json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()

"""Benchmark of the pure core: how long rendering a group takes, and how big a group can be.

Synthetic groups of 100, 1,000 and 5,000 MCPServerEntry objects (a third with a CA bundle,
using the real certificate from examples/snapshot.yaml) are rendered the way the CLI and the
component do it (`render`). For each size it prints the time to build the inventory, the time
of the render work (best of a few runs, after a warm-up), the time per entry, the size of
config.yaml and of the Deployment's JSON, and the time of each stage (derive backends,
build+validate+dump the config, build the Deployment). A group whose config.yaml is over
1 MiB, or whose ConfigMap would be too large for etcd once stored, is refused by `render`; its
stages are still timed so growth can be compared. Then a bisection over the entry count finds
the largest group whose ConfigMap still fits, and shows that one entry more is refused with
the RenderError.

With `--shared-bundle`, only one case runs instead: 2,900 entries that all use one CA bundle
of 10,000 certificates (the example certificate repeated), rendered once; the bundle is
parsed and checked once per render, not once per entry.

Nothing here asserts on time: the figures depend on the machine and its load.

    .venv/bin/python bench/render_bench.py [--profile] [--shared-bundle]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import itertools
import json
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from vmcp_components.core import naming
from vmcp_components.core.backends.derivation import derive_backends
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.output import manifests
from vmcp_components.core.output.container_env import collect_env
from vmcp_components.core.output.vmcp_config import build_config, dump_config, validate_config
from vmcp_components.core.render import RenderError, Rendering
from vmcp_components.core.settings.args import VirtualMCPServerArgs

ROOT = Path(__file__).resolve().parents[1]
# `vmcp_components.core.render` the module is shadowed by the function in the package __init__.
render_module = importlib.import_module("vmcp_components.core.render")

NAMESPACE = "toolhive-system"
GROUP = "engineering-team"
NAME = "eng-tools"
SIZES = (100, 1_000, 5_000)
LIMIT = render_module.CONFIGMAP_LIMIT_BYTES
T = TypeVar("T")


def example_pem() -> str:
    document = yaml.safe_load((ROOT / "examples" / "snapshot.yaml").read_text(encoding="utf-8"))
    for item in document["items"]:
        if item["kind"] == "ConfigMap" and item["metadata"]["name"] == "corp-ca-bundle":
            return item["data"]["ca.crt"]
    raise SystemExit("examples/snapshot.yaml has no corp-ca-bundle ConfigMap")


def synthetic_objects(count: int, pem: str) -> list[dict[str, Any]]:
    """An MCPGroup, one CA ConfigMap and `count` entries, every third with a CA bundle."""
    api = "toolhive.stacklok.dev/v1beta1"
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": api,
            "kind": "MCPGroup",
            "metadata": {"name": GROUP, "namespace": NAMESPACE},
            "status": {"phase": "Ready"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "corp-ca-bundle", "namespace": NAMESPACE},
            "data": {"ca.crt": pem},
        },
    ]
    for index in range(count):
        name = f"remote-mcp-{index:05d}"
        spec: dict[str, Any] = {
            "remoteUrl": f"https://{name}.tools.example.com/mcp",
            "transport": "streamable-http" if index % 2 else "sse",
            "groupRef": {"name": GROUP},
        }
        if index % 3 == 0:
            spec["caBundleRef"] = {"configMapRef": {"name": "corp-ca-bundle", "key": "ca.crt"}}
        objects.append(
            {
                "apiVersion": api,
                "kind": "MCPServerEntry",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": spec,
                "status": {"phase": "Valid"},
            }
        )
    return objects


def shared_bundle(entries: int = 2_900, certificates: int = 10_000) -> None:
    """Time one render of `entries` entries that share one bundle of `certificates` certs."""
    objects = synthetic_objects(entries, example_pem() * certificates)
    for obj in objects[2:]:
        obj["spec"]["caBundleRef"] = {"configMapRef": {"name": "corp-ca-bundle", "key": "ca.crt"}}
    inventory = build_inventory(NAMESPACE, objects, "bench")
    args = VirtualMCPServerArgs(namespace=NAMESPACE, group=GROUP)
    t_derive, _ = timed(lambda: derive_backends(inventory, args.group))
    t_render, outcome = timed(lambda: try_render(inventory, args))
    result = f"refused: {outcome}" if isinstance(outcome, RenderError) else "ok"
    print(
        f"{entries:,} entries sharing one CA bundle of {certificates:,} certificates: "
        f"derive_backends {t_derive:.2f} s, render {t_render:.2f} s\n  render result: {result}"
    )


def timed(function: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def best_of(runs: int, function: Callable[[], T]) -> tuple[float, T]:
    results = [timed(function) for _ in range(runs)]
    return min(seconds for seconds, _ in results), results[-1][1]


def stages(inventory: Inventory, args: VirtualMCPServerArgs) -> dict[str, Any]:
    """Time the render pipeline's stages with the same functions `render` calls."""
    t_derive, result = timed(lambda: derive_backends(inventory, args.group))
    document: dict[str, Any] = {}

    def config_text() -> str:
        document.update(build_config(NAME, args, result.backends))
        validate_config(document)
        return dump_config(document)

    t_config, text = timed(config_text)

    def deployment() -> dict[str, Any]:
        config_map = manifests.config_map(NAME, args.namespace, text)
        checksum = config_map["metadata"]["annotations"][naming.CHECKSUM_ANNOTATION]
        env = collect_env(NAME, args.namespace, result.backends)
        return manifests.deployment(NAME, args, result.backends, checksum, env)

    t_deployment, deployment_object = timed(deployment)
    return {
        "derive": t_derive,
        "config": t_config,
        "deployment": t_deployment,
        "backends": len(result.backends),
        "config_bytes": len(b"config.yaml") + len(text.encode()),
        "deployment_bytes": len(json.dumps(deployment_object, separators=(",", ":")).encode()),
    }


def try_render(inventory: Inventory, args: VirtualMCPServerArgs) -> Rendering | RenderError:
    try:
        return render_module.render(inventory, NAME, args)
    except RenderError as error:
        return error


def fits(objects: list[dict[str, Any]], count: int, args: VirtualMCPServerArgs) -> bool:
    inventory = build_inventory(NAMESPACE, objects[: count + 2], "bench")
    return not isinstance(try_render(inventory, args), RenderError)


def measure(
    objects: list[dict[str, Any]], count: int, args: VirtualMCPServerArgs
) -> dict[str, Any]:
    subset = objects[: count + 2]
    t_inventory, inventory = timed(lambda: build_inventory(NAMESPACE, subset, "bench"))
    runs = 5 if count <= 1_000 else 2
    t_render, outcome = best_of(runs, lambda: try_render(inventory, args))
    row = {"count": count, "inventory": t_inventory, "render": t_render, "outcome": outcome}
    timings = [stages(inventory, args) for _ in range(runs)]
    row.update(min(timings, key=lambda t: t["derive"] + t["config"] + t["deployment"]))
    return row


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    header = (
        f"{'entries':>8} {'inventory':>10} {'render':>9} {'per entry':>10} "
        f"{'config.yaml':>12} {'Deployment':>11}  {'derive':>7} {'config':>7} {'deploy':>7}  result"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        outcome = row["outcome"]
        result = "ok" if not isinstance(outcome, RenderError) else "refused (too large)"
        print(
            f"{row['count']:>8,} {row['inventory'] * 1e3:>8.1f}ms {row['render'] * 1e3:>7.0f}ms "
            f"{row['render'] / row['count'] * 1e6:>8.0f}us {row['config_bytes']:>12,} "
            f"{row['deployment_bytes']:>11,}  {row['derive'] * 1e3:>5.0f}ms "
            f"{row['config'] * 1e3:>5.0f}ms {row['deployment'] * 1e3:>5.0f}ms  {result}"
        )


def print_growth(rows: Sequence[dict[str, Any]]) -> None:
    print("\ngrowth (best stage total derive+config+deploy, so the refused size counts too):")
    for small, large in itertools.pairwise(rows):
        total_small = small["derive"] + small["config"] + small["deployment"]
        total_large = large["derive"] + large["config"] + large["deployment"]
        print(
            f"  {small['count']:>5,} -> {large['count']:>5,} entries: "
            f"x{large['count'] / small['count']:.0f} entries, "
            f"x{total_large / total_small:.1f} time, "
            f"x{large['config_bytes'] / small['config_bytes']:.1f} config.yaml"
        )


def largest_group(
    objects: list[dict[str, Any]], rows: Sequence[dict[str, Any]], args: VirtualMCPServerArgs
) -> int:
    """Bisection over the entry count; the bracket starts from a linear size estimate."""
    small, large = rows[0], rows[1]
    per_entry = (large["config_bytes"] - small["config_bytes"]) / (large["count"] - small["count"])
    estimate = int(small["count"] + (LIMIT - small["config_bytes"]) / per_entry)
    low, high = max(1, estimate - 64), estimate + 64
    steps = 0
    while not fits(objects, low, args):
        low, steps = max(1, low // 2), steps + 1
    while fits(objects, high, args):
        high, steps = high * 2, steps + 1
    while high - low > 1:  # invariant: low fits, high does not
        middle = (low + high) // 2
        if fits(objects, middle, args):
            low = middle
        else:
            high = middle
        steps += 1
    print(f"\nbisection: {steps} renders, estimate from the table was {estimate:,} entries")
    return low


def profile_render(objects: list[dict[str, Any]], count: int, args: VirtualMCPServerArgs) -> None:
    inventory = build_inventory(NAMESPACE, objects[: count + 2], "bench")
    profiler = cProfile.Profile()
    profiler.runcall(try_render, inventory, args)
    print(f"\ncProfile of one render of {count:,} entries (top 15 by cumulative time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile one 1,000-entry render")
    parser.add_argument(
        "--shared-bundle",
        action="store_true",
        help="only time 2,900 entries sharing one CA bundle of 10,000 certificates",
    )
    options = parser.parse_args()

    print(
        f"python {platform.python_version()}, YAML emitter: pure Python (yaml_text), "
        f"cpus: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    if options.shared_bundle:
        shared_bundle()
        return
    args = VirtualMCPServerArgs(namespace=NAMESPACE, group=GROUP)
    objects = synthetic_objects(max(SIZES) + 1_000, example_pem())

    print("\nrender of a synthetic group (a third of the entries with a CA bundle), best of")
    print("5 runs (2 for 5,000); the inventory is built once per size, outside the render:\n")
    measure(objects, SIZES[0], args)  # warm-up: first-call costs (imports, regex, caches)
    rows = [measure(objects, count, args) for count in SIZES]
    print_table(rows)
    print_growth(rows)

    largest = largest_group(objects, rows, args)
    inventory = build_inventory(NAMESPACE, objects[: largest + 2], "bench")
    seconds, rendering = timed(lambda: render_module.render(inventory, NAME, args))
    config = rendering.object("ConfigMap")["data"]["config.yaml"]
    size = len(b"config.yaml") + len(config.encode())
    print(
        f"largest group that fits one ConfigMap: {largest:,} entries "
        f"(config.yaml data {size:,} of {LIMIT:,} bytes, rendered in {seconds * 1e3:.0f} ms)"
    )
    refused = try_render(build_inventory(NAMESPACE, objects[: largest + 3], "bench"), args)
    if not isinstance(refused, RenderError):
        raise SystemExit(f"expected {largest + 1} entries to be refused")
    print(f"one entry more ({largest + 1:,}) is refused:\n  RenderError: {refused}")

    if options.profile:
        profile_render(objects, 1_000, args)


if __name__ == "__main__":
    main()

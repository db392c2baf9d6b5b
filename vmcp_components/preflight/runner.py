"""Run the probes of a rendering: a deadline per backend, at most `concurrency` at once.

`preflight` takes what `render` produced (its backends, and config.yaml's `aggregation` and
`compositeTools` for the tool names) with the inventory it was rendered from (for CA bundles
and each entry's `allowPrivateEndpoint`), and returns a `Report`. It blocks; `preflight_async`
is the same for a caller already in an event loop.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import anyio
import yaml

from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.render import Rendering
from vmcp_components.preflight.probe import ProbeOptions, load_mcp, probe
from vmcp_components.preflight.report import BackendResult, Report
from vmcp_components.preflight.targets import Target, targets_of
from vmcp_components.preflight.tools import predict

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 32


@dataclass(frozen=True)
class Settings:
    """How a preflight runs: deadline per backend (s), probes at once, Secret values."""

    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = DEFAULT_CONCURRENCY
    secret_values: Mapping[tuple[str, str], str] | None = None


def _config(rendering: Rendering) -> Mapping[str, Any]:
    """The rendered config.yaml (what vMCP will read)."""
    return cast(
        "Mapping[str, Any]", yaml.safe_load(rendering.object("ConfigMap")["data"]["config.yaml"])
    )


def aggregation_of(rendering: Rendering) -> Mapping[str, Any]:
    """The `aggregation` section of the rendered config.yaml."""
    return cast("Mapping[str, Any]", _config(rendering).get("aggregation") or {})


def composite_tools_of(rendering: Rendering) -> list[Mapping[str, Any]]:
    """The `compositeTools` of the rendered config.yaml."""
    return cast("list[Mapping[str, Any]]", _config(rendering).get("compositeTools") or [])


async def probe_all(targets: Sequence[Target], settings: Settings) -> tuple[BackendResult, ...]:
    """Every target's result, in the targets' order."""
    options = ProbeOptions(settings.timeout, settings.secret_values)
    limiter = anyio.CapacityLimiter(max(1, settings.concurrency))
    results: list[BackendResult | None] = [None] * len(targets)

    async def one(index: int, target: Target) -> None:
        async with limiter:
            results[index] = await probe(target, options)

    async with anyio.create_task_group() as group:
        for index, target in enumerate(targets):
            group.start_soon(one, index, target)
    return tuple(r for r in results if r is not None)


async def preflight_async(
    rendering: Rendering, inventory: Inventory, settings: Settings | None = None
) -> Report:
    """The report for every backend of `rendering` (see `preflight`)."""
    load_mcp()  # fail at once, with how to install it, when the extra is missing
    settings = settings or Settings()
    targets = targets_of(inventory, rendering.derivation.backends)
    started = time.monotonic()
    results = await probe_all(targets, settings)
    seconds = time.monotonic() - started
    tools = {r.name: r.tools for r in results if r.tools is not None}
    skipped = tuple((s.kind, s.name, s.reason) for s in rendering.derivation.skipped)
    prediction = predict(aggregation_of(rendering), tools, composite_tools_of(rendering))
    return Report(results, prediction, skipped, seconds)


def preflight(
    rendering: Rendering, inventory: Inventory, settings: Settings | None = None
) -> Report:
    """Probe every backend of `rendering`; blocks until each has answered or timed out."""
    return anyio.run(preflight_async, rendering, inventory, settings)

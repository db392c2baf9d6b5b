"""The tool names vMCP would serve, and every name collision, from the backends' own tools (pure).

Follows vmcp v0.63.0's aggregator (`pkg/vmcp/aggregator`): first each backend's
`aggregation.tools[].overrides` rename its tools (`processBackendTools`); then the
`conflictResolution` strategy names them: `prefix` (`prefixFormat`, default `{workload}_`),
`priority` (`priorityOrder`: the first listed backend keeps a shared name, the others drop it;
a shared name involving an unlisted backend is dropped from all), or `manual` (every shared name
needs an override for each backend, else vMCP's aggregation fails and it serves no tools); last,
a tool is advertised unless `excludeAllTools`, its backend's `excludeAll`, a `filter` that does
not name it, or `defaultToolVisibility: deny` for a backend without a `tools` entry hides it.

Then the `compositeTools` (vmcp's `accessibleComposites`, `pkg/vmcp/core`): a composite tool is
listed after the backends' tools when every tool step (a forEach step's inner one too) routes:
its `tool` is a name in the routing table (every resolved tool, hidden ones included), or
`{workload}.{tool}` with the backend's own tool name (`router.ResolveToolRef`). A composite
whose name equals a listed backend tool makes vmcp drop every composite tool. Not predicted:
vmcp also drops a composite whose explicit `annotations` claim more than its steps' annotations
allow (read-only, non-destructive, closed-world); the probes read tool names, not annotations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

DEFAULT_PREFIX_FORMAT = "{workload}_"
STRATEGIES = ("prefix", "priority", "manual")


@dataclass(frozen=True)
class ServedTool:
    """A tool name vMCP would list, the backend it routes to, and the backend's own name.

    A composite tool has no backend; `original` lists its steps' tools.
    """

    name: str
    backend: str
    original: str
    composite: bool = False


@dataclass(frozen=True)
class Withheld:
    """A composite tool vMCP would not list, and why."""

    tool: str
    reason: str


@dataclass(frozen=True)
class Collision:
    """Tools of several backends sharing a name, and what the configured resolution does."""

    tool: str
    backends: tuple[str, ...]
    outcome: str
    fatal: bool = False
    """vMCP would fail its aggregation, or pick one of the tools at random."""


@dataclass(frozen=True)
class ToolPrediction:
    """What vMCP would serve: the tools (sorted by name), the collisions, and a fatal error."""

    served: tuple[ServedTool, ...]
    collisions: tuple[Collision, ...]
    error: str | None = None
    withheld: tuple[Withheld, ...] = ()


def _mapping(value: object) -> Mapping[str, Any]:
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def _workload_configs(aggregation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    items = cast("list[object]", aggregation.get("tools") or [])
    configs = [_mapping(item) for item in items]
    return {str(config["workload"]): config for config in configs if config.get("workload")}


def _overridden(config: Mapping[str, Any] | None, tool: str) -> str:
    override = _mapping(_mapping((config or {}).get("overrides")).get(tool))
    return str(override.get("name") or tool)


def _by_name(candidates: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Post-override name -> the backends that have it, from (backend, name) pairs."""
    grouped: dict[str, list[str]] = {}
    for backend, name in candidates:
        grouped.setdefault(name, []).append(backend)
    return grouped


def _prefix(
    config: Mapping[str, Any], candidates: Sequence[tuple[str, str]]
) -> tuple[dict[tuple[str, str], str], list[Collision]]:
    form = str(config.get("prefixFormat") or DEFAULT_PREFIX_FORMAT)
    resolved = {(b, n): form.replace("{workload}", b) + n for b, n in candidates}
    collisions = [
        Collision(
            name, tuple(backends), "prefixed: " + ", ".join(resolved[b, name] for b in backends)
        )
        for name, backends in _by_name(candidates).items()
        if len(backends) > 1
    ]
    clashes = _by_name([(b, r) for (b, _), r in resolved.items()])
    collisions += [
        Collision(
            name,
            tuple(backends),
            "the prefixed names are equal: vMCP serves one of them, chosen at random; "
            "change prefixFormat or rename one with aggregation.tools[].overrides",
            fatal=True,
        )
        for name, backends in clashes.items()
        if len(backends) > 1
    ]
    return resolved, collisions


def _priority(
    config: Mapping[str, Any], candidates: Sequence[tuple[str, str]]
) -> tuple[dict[tuple[str, str], str], list[Collision]]:
    rank: dict[str, int] = {}
    for index, backend in enumerate(cast("list[object]", config.get("priorityOrder") or [])):
        rank.setdefault(str(backend), index)
    resolved: dict[tuple[str, str], str] = {}
    collisions: list[Collision] = []
    for name, backends in _by_name(candidates).items():
        if len(backends) == 1:
            resolved[backends[0], name] = name
            continue
        unlisted = sorted(b for b in backends if b not in rank)
        if unlisted:
            outcome = (
                f"dropped from every backend: {', '.join(unlisted)} not in priorityOrder, so "
                "vMCP cannot rank them"
            )
            collisions.append(Collision(name, tuple(backends), outcome))
            continue
        winner = min(backends, key=lambda b: rank[b])
        resolved[winner, name] = name
        losers = ", ".join(b for b in backends if b != winner)
        outcome = f"served from {winner} (priorityOrder); dropped from {losers}"
        collisions.append(Collision(name, tuple(backends), outcome))
    return resolved, collisions


def _manual(
    configs: Mapping[str, Mapping[str, Any]], candidates: Sequence[tuple[str, str]]
) -> tuple[dict[tuple[str, str], str], list[Collision], str | None]:
    def override(backend: str, name: str) -> str | None:
        """The manual resolver's name for `name` (keyed by the post-override name), if any."""
        overrides = _mapping(configs.get(backend, {}).get("overrides"))
        if overrides.get(name) is None:  # vmcp ignores a null override
            return None
        return str(_mapping(overrides[name]).get("name") or name)

    collisions: list[Collision] = []
    unresolved: list[str] = []
    for name, backends in _by_name(candidates).items():
        if len(backends) < 2:
            continue
        if all(override(b, name) is not None for b in backends):
            collisions.append(Collision(name, tuple(backends), "renamed by overrides"))
            continue
        collisions.append(
            Collision(name, tuple(backends), "no override for every backend", fatal=True)
        )
        unresolved.append(f"{name} in {', '.join(backends)}")
    resolved = {(b, n): override(b, n) or n for b, n in candidates}
    for name, backends in _by_name([(b, r) for (b, _), r in resolved.items()]).items():
        if len(backends) > 1 and not unresolved:
            unresolved.append(f"{name} in {', '.join(backends)} after the overrides")
            collisions.append(
                Collision(name, tuple(backends), "equal after the overrides", fatal=True)
            )
    error = None
    if unresolved:
        error = (
            "conflictResolution manual: unresolved tool name conflicts ("
            + "; ".join(unresolved)
            + "): vMCP's aggregation fails and it serves no tools; add "
            "aggregation.tools[].overrides for each backend of each shared name"
        )
    return resolved, collisions, error


def _advertised(
    aggregation: Mapping[str, Any],
    configs: Mapping[str, Mapping[str, Any]],
    backend: str,
    name: str,
) -> bool:
    """Whether vmcp advertises the tool (its shouldAdvertiseTool), by post-override name."""
    if aggregation.get("excludeAllTools"):
        return False
    config = configs.get(backend)
    if config is None:
        return aggregation.get("defaultToolVisibility") != "deny"
    if config.get("excludeAll"):
        return False
    allowed = cast("list[object]", config.get("filter") or [])
    return not allowed or name in [str(a) for a in allowed]


def _step_tools(tool: Mapping[str, Any]) -> list[str]:
    """The backend tools a composite tool's steps call (a forEach step's inner tool step too)."""
    called: list[str] = []
    for item in cast("list[object]", tool.get("steps") or []):
        step = _mapping(item)
        if (step.get("type") or "tool") == "forEach":
            step = _mapping(step.get("step"))
        if (step.get("type") or "tool") == "tool" and step.get("tool"):
            called.append(str(step["tool"]))
    return called


def _routes(reference: str, routing: Mapping[str, tuple[str, str]]) -> bool:
    """As vmcp's ResolveToolRef: a routed name, or `{workload}.{the backend's own tool name}`."""
    if reference in routing:
        return True
    workload, dot, original = reference.partition(".")
    return bool(workload and dot) and (workload, original) in routing.values()


def _composites(
    composite_tools: Sequence[Mapping[str, Any]],
    routing: Mapping[str, tuple[str, str]],
    listed: Mapping[str, ServedTool],
) -> tuple[list[ServedTool], list[Withheld], list[Collision]]:
    """The composite tools vMCP lists, those it withholds, and a clash with a backend tool."""
    served: list[ServedTool] = []
    withheld: list[Withheld] = []
    for tool in composite_tools:
        name, called = str(tool.get("name")), _step_tools(tool)
        unrouted = [reference for reference in called if not _routes(reference, routing)]
        if unrouted:
            reason = (
                f"step tool(s) {', '.join(unrouted)} not served by any backend that answered "
                "(or misspelt): vMCP does not list this composite tool"
            )
            withheld.append(Withheld(name, reason))
        else:
            served.append(ServedTool(name, "", ", ".join(called), composite=True))
    clashes = sorted({t.name for t in served} & set(listed))
    if not clashes:
        return served, withheld, []
    outcome = (
        "a composite tool has a backend tool's name: vMCP drops every composite tool; "
        "rename the composite tool"
    )
    collisions = [Collision(c, (listed[c].backend,), outcome, fatal=True) for c in clashes]
    reason = f"dropped with every composite tool: {', '.join(clashes)} clash with backend tools"
    return [], withheld + [Withheld(t.name, reason) for t in served], collisions


def predict(
    aggregation: Mapping[str, Any],
    tools_by_backend: Mapping[str, Sequence[str]],
    composite_tools: Sequence[Mapping[str, Any]] = (),
) -> ToolPrediction:
    """The tools vMCP would serve, from config.yaml's `aggregation` and `compositeTools`."""
    configs = _workload_configs(aggregation)
    # (backend, post-override name) -> the backend's own name
    originals = {
        (backend, _overridden(configs.get(backend), tool)): tool
        for backend in sorted(tools_by_backend)
        for tool in tools_by_backend[backend]
    }
    candidates = list(originals)
    strategy = str(aggregation.get("conflictResolution") or "prefix")
    config = _mapping(aggregation.get("conflictResolutionConfig"))
    error = None
    if strategy == "prefix":
        resolved, collisions = _prefix(config, candidates)
    elif strategy == "priority":
        resolved, collisions = _priority(config, candidates)
    elif strategy == "manual":
        resolved, collisions, error = _manual(configs, candidates)
    else:
        error = f"conflictResolution {strategy!r} is not one of {', '.join(STRATEGIES)}"
        return ToolPrediction((), (), error)
    if error is not None:
        return ToolPrediction((), tuple(collisions), error)
    served: dict[str, ServedTool] = {}
    routing: dict[str, tuple[str, str]] = {}  # routed name -> (backend, its own tool name)
    for (backend, post), name in sorted(resolved.items()):
        routing[name] = (backend, originals[backend, post])
        if _advertised(aggregation, configs, backend, post) and name not in served:
            served[name] = ServedTool(name, backend, originals[backend, post])
    composites, withheld, clashes = _composites(composite_tools, routing, served)
    ordered = tuple(served[name] for name in sorted(served)) + tuple(composites)
    collisions = tuple(sorted(collisions + clashes, key=lambda c: c.tool))
    return ToolPrediction(ordered, collisions, withheld=tuple(withheld))

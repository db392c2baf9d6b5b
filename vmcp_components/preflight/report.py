"""Preflight results: one per backend, the predicted tools, a table for people, JSON (pure).

A result is `ok` (with latency and tool count), `auth-required` (reachable, and answered the
auth challenge that was expected: a token-exchange backend without a user's token, or a backend
probed without its secret headers), `unreachable-from-here` (an in-cluster name this machine
cannot reach: not checked), or a failure class. Only failures, and a fatal tool-name collision,
make the run fail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vmcp_components.preflight.tools import ToolPrediction

OK = "ok"
AUTH_REQUIRED = "auth-required"
UNREACHABLE_FROM_HERE = "unreachable-from-here"
DNS = "dns"
SSRF = "ssrf"
TCP = "tcp"
TLS = "tls"
TLS_VERIFY = "tls-verify"
HTTP = "http"
NOT_MCP = "not-mcp"
PROTOCOL = "protocol"
TIMEOUT = "timeout"
PASSING = (OK, AUTH_REQUIRED, UNREACHABLE_FROM_HERE)
FAILURES = (DNS, SSRF, TCP, TLS, TLS_VERIFY, HTTP, NOT_MCP, PROTOCOL, TIMEOUT)


@dataclass(frozen=True)
class BackendResult:
    """What probing one backend found."""

    name: str
    kind: str
    url: str
    transport: str
    result: str
    reason: str = ""
    latency_ms: float | None = None
    tools: tuple[str, ...] | None = None
    """The backend's own tool names, when tools/list answered."""
    addresses: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """The backend would not work for vMCP."""
        return self.result not in PASSING

    def as_json(self) -> dict[str, Any]:
        """The result as a JSON object (camelCase keys)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "transport": self.transport,
            "result": self.result,
            "reason": self.reason,
            "latencyMs": None if self.latency_ms is None else round(self.latency_ms, 1),
            "toolCount": None if self.tools is None else len(self.tools),
            "tools": None if self.tools is None else list(self.tools),
            "addresses": list(self.addresses),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Report:
    """Every backend's result and the tools vMCP would serve from those that answered."""

    results: tuple[BackendResult, ...]
    tools: ToolPrediction
    skipped: tuple[tuple[str, str, str], ...] = field(default=())
    """(kind, name, reason) of members the render left out: not probed."""
    seconds: float = 0.0
    """Wall time of all the probes."""

    @property
    def failures(self) -> tuple[BackendResult, ...]:
        """The backends that failed."""
        return tuple(r for r in self.results if r.failed)

    @property
    def passed(self) -> bool:
        """No failed backend, no fatal collision, no composite tool withheld."""
        fatal = self.tools.error is not None or any(c.fatal for c in self.tools.collisions)
        return not self.failures and not fatal and not self.tools.withheld

    def problem_lines(self) -> list[str]:
        """One line per failure or fatal collision (for Pulumi warnings and errors)."""
        lines = [f'backend "{r.name}": {r.result}: {r.reason}' for r in self.failures]
        if self.tools.error:
            lines.append(self.tools.error)
        lines += [
            f'tool name "{c.tool}" of {", ".join(c.backends)}: {c.outcome}'
            for c in self.tools.collisions
            if c.fatal and self.tools.error is None
        ]
        lines += [f'composite tool "{w.tool}": {w.reason}' for w in self.tools.withheld]
        return lines

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "backends": [r.as_json() for r in self.results],
            "servedTools": [
                {"name": t.name, "backend": t.backend, "original": t.original}
                | ({"composite": True} if t.composite else {})
                for t in self.tools.served
            ],
            "withheldTools": [{"tool": w.tool, "reason": w.reason} for w in self.tools.withheld],
            "collisions": [
                {
                    "tool": c.tool,
                    "backends": list(c.backends),
                    "outcome": c.outcome,
                    "fatal": c.fatal,
                }
                for c in self.tools.collisions
            ],
            "toolError": self.tools.error,
            "skippedBackends": [
                {"kind": kind, "name": name, "reason": reason}
                for kind, name, reason in self.skipped
            ],
        }


def dump_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report.as_json(), indent=2) + "\n"


def _cells(result: BackendResult) -> list[str]:
    latency = "-" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
    tools = "-" if result.tools is None else str(len(result.tools))
    detail = "; ".join(part for part in (result.reason, *result.notes) if part)
    return [result.name, result.kind, result.transport, result.result, latency, tools, detail]


def _table(rows: Sequence[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]


def format_table(report: Report) -> str:
    """The report for people: a table of backends, the served tools, collisions, a summary."""
    header = ["BACKEND", "KIND", "TRANSPORT", "RESULT", "LATENCY", "TOOLS", "DETAIL"]
    lines = [line.rstrip() for line in _table([header, *(_cells(r) for r in report.results)])]
    for kind, name, reason in report.skipped:
        lines.append(f"not probed: {kind} {name!r} is skipped by the render: {reason}")
    answered = sum(r.tools is not None for r in report.results)
    served = report.tools.served
    lines.append("")
    lines.append(
        f"tools vMCP would serve ({len(served)}, from the {answered} of {len(report.results)} "
        "backends that listed theirs):"
    )
    lines += [
        f"  {t.name}  <- composite of: {t.original}"
        if t.composite
        else f"  {t.name}  <- {t.backend}: {t.original}"
        for t in served
    ]
    if report.tools.withheld:
        lines.append(f"composite tools vMCP would not serve ({len(report.tools.withheld)}):")
        lines += [f"  {w.tool}: {w.reason}" for w in report.tools.withheld]
    if report.tools.error:
        lines.append(f"error: {report.tools.error}")
    if report.tools.collisions:
        lines.append(f"tool name collisions ({len(report.tools.collisions)}):")
        for c in report.tools.collisions:
            mark = "FATAL " if c.fatal else ""
            lines.append(f"  {mark}{c.tool} in {', '.join(c.backends)}: {c.outcome}")
    counts = {r.result: 0 for r in report.results}
    for result in report.results:
        counts[result.result] += 1
    summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
    verdict = "passed" if report.passed else "FAILED"
    lines.append("")
    lines.append(
        f"preflight {verdict}: {len(report.results)} backends ({summary or 'none'}) "
        f"in {report.seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"

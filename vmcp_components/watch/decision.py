"""The decision: the rendered output unchanged means no engine run (pure).

A rendering is reduced to a `Fingerprint`, one digest per rendered object and one of the status.
`decide` runs the engine only when the fingerprint differs from the baseline (the rendering last
applied), and refuses when the rendering fails, as `pulumi up` would fail, changing nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from vmcp_components.core.render import Rendering
from vmcp_components.errors import VmcpError


@dataclass(frozen=True)
class Fingerprint:
    """Digests of each rendered object and of the status; equal fingerprints, equal output."""

    parts: Mapping[str, str]
    status: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def digest(self) -> str:
        """One digest of every rendered object's digest."""
        return _digest(sorted(self.parts.items()))


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(rendering: Rendering) -> Fingerprint:
    """The digests of a rendering's objects (by kind/name) and of its status."""
    parts = {f"{obj['kind']}/{obj['metadata']['name']}": _digest(obj) for obj in rendering.objects}
    parts["status"] = _digest(rendering.status)
    return Fingerprint(parts, rendering.status)


@dataclass(frozen=True)
class Decision:
    """What to do about a rendering: run the engine, nothing, or refuse (it failed)."""

    action: Literal["run", "none", "refused"]
    reason: str
    changed: tuple[str, ...] = ()


def decide(baseline: Fingerprint | None, rendered: Fingerprint | VmcpError) -> Decision:
    """Run the engine only when the rendering differs from the baseline.

    A failed rendering (which `pulumi up` would fail the same way, changing nothing) runs nothing.
    """
    if isinstance(rendered, VmcpError):
        return Decision("refused", f"rendering fails, the cluster is left as it is: {rendered}")
    if baseline is None:
        return Decision("run", "no applied rendering known", tuple(sorted(rendered.parts)))
    changed = tuple(
        sorted(
            key
            for key in set(baseline.parts) | set(rendered.parts)
            if baseline.parts.get(key) != rendered.parts.get(key)
        )
    )
    if not changed:
        return Decision("none", "rendered objects and status unchanged")
    return Decision("run", "rendered objects or status changed", changed)


def status_matches(status: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
    """The stack's outputs hold this status (what the last `up` recorded)."""
    return all(key in outputs and outputs[key] == value for key, value in status.items())

"""What the watch holds: the namespace's objects of the watched kinds, slimmed (pure).

An object is kept as the part the rendering looks at: no managedFields, a ConfigMap's data, a
Secret's key names only (its values are dropped as the event arrives and never kept). Each event
or fresh list becomes `Change`s that say whether the component reads the object, before or after
the event: discovery's own read plan decides, so the watch follows exactly what `render` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.cluster.kinds import CONFIG_MAP, CORE_KINDS, SECRET, TOOLHIVE_KINDS
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError

WATCHED_KINDS = tuple(kind.kind for kind in (*TOOLHIVE_KINDS, *CORE_KINDS))
_ANY = ("*", "*")
"""In a read plan: the objects could not be planned, so every one counts."""


def slim(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an object the rendering looks at.

    No managedFields, a ConfigMap's data, a Secret's key names only (its values are never kept).
    """
    raw_metadata = cast("Mapping[str, Any]", obj.get("metadata") or {})
    metadata = {k: v for k, v in raw_metadata.items() if k != "managedFields"}
    if kind == SECRET.kind:
        keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
        return {
            "apiVersion": "v1",
            "kind": SECRET.kind,
            "metadata": {k: metadata.get(k) for k in ("name", "namespace", "resourceVersion")},
            "data": dict.fromkeys(sorted(keys), ""),
        }
    if kind == CONFIG_MAP.kind:
        return {
            "apiVersion": "v1",
            "kind": CONFIG_MAP.kind,
            "metadata": metadata,
            "data": dict(obj.get("data") or {}),
        }
    return {**obj, "metadata": metadata}


@dataclass(frozen=True)
class Change:
    """One event on a watched object, and whether the component reads that object."""

    kind: str
    name: str
    type: Literal["ADDED", "MODIFIED", "DELETED"]
    resource_version: str | None
    relevant: bool


class Cache:
    """The namespace's objects of the watched kinds, and which of them the component reads."""

    def __init__(self, args: VirtualMCPServerArgs) -> None:
        """An empty cache for the namespace, group and entries of `args`."""
        self.args = args
        self._objects: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in WATCHED_KINDS}
        self._reads: frozenset[tuple[str, str]] = frozenset()

    def inventory(self) -> Inventory:
        """The objects held, as the inventory the rendering reads."""
        objects = [obj for kind in WATCHED_KINDS for obj in self._objects[kind].values()]
        return build_inventory(self.args.namespace, objects, "watched objects")

    def _plan_reads(self) -> frozenset[tuple[str, str]]:
        """(kind, name) of every object the component would read now."""
        args = self.args
        try:
            plan = InventoryDiscovery(self.inventory()).discover(
                args.namespace,
                args.group,
                args.entries,
                args.named_auth_configs(),
                incoming_references(args),
            )
        except VmcpError:
            return frozenset({_ANY})  # unreadable objects: let the rendering say what
        return plan.object_names()

    def _replan(self) -> frozenset[tuple[str, str]]:
        """Plan the reads again; the plan before (an object it or the new plan reads counts)."""
        before, self._reads = self._reads, self._plan_reads()
        return before

    def _read(self, before: frozenset[tuple[str, str]], kind: str, name: str) -> bool:
        return any((kind, name) in reads or _ANY in reads for reads in (before, self._reads))

    def apply(self, kind: str, event: str, obj: Mapping[str, Any]) -> Change:
        """Record one watch event; the Change says whether the component reads the object."""
        metadata = cast("Mapping[str, Any]", obj.get("metadata") or {})
        name: str = metadata.get("name", "")
        if event == "DELETED":
            self._objects[kind].pop(name, None)
        else:
            self._objects[kind][name] = slim(kind, obj)
        before = self._replan()
        typ: Any = event if event in ("ADDED", "DELETED") else "MODIFIED"
        return Change(
            kind, name, typ, metadata.get("resourceVersion"), self._read(before, kind, name)
        )

    def replace(self, kind: str, objects: Iterable[Mapping[str, Any]]) -> list[Change]:
        """A fresh list of `kind`: the differences from what was held, as Changes."""
        listed = {o["metadata"]["name"]: slim(kind, o) for o in objects}
        held, self._objects[kind] = self._objects[kind], listed
        before = self._replan()
        changes: list[tuple[str, Any, str | None]] = [
            (name, "DELETED", held[name]["metadata"].get("resourceVersion"))
            for name in sorted(set(held) - set(listed))
        ]
        for name, obj in sorted(listed.items()):
            version = obj["metadata"].get("resourceVersion")
            old = held.get(name)
            if old is None:
                changes.append((name, "ADDED", version))
            elif old["metadata"].get("resourceVersion") != version:
                changes.append((name, "MODIFIED", version))
        return [
            Change(kind, name, typ, version, self._read(before, kind, name))
            for name, typ, version in changes
        ]

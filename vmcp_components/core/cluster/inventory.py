"""The objects of one namespace that derivation may look at, parsed once, typed.

An `Inventory` is the pure boundary between "where the objects came from" (a `kubectl get -o
yaml` snapshot read by `snapshot`, lightkube, or Pulumi get-calls) and the derivation.
`build_inventory` is the one place raw objects are parsed: each ToolHive object becomes its
model, or a `Malformed` with the precise schema problem (a malformed member is skipped with it
later); a ConfigMap keeps its `data`; a Secret keeps only the names of its keys, its values
are dropped here and never stored. Nothing downstream looks at a raw object again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from vmcp_components.core.cluster.kinds import (
    BY_KIND,
    CONFIG_MAP,
    CORE_KINDS,
    MCP_GROUP,
    SECRET,
    ToolHiveKind,
)
from vmcp_components.core.cluster.models import ClusterModel, Malformed, parse_object
from vmcp_components.errors import VmcpError, echo

_CORE = {kind.kind: kind for kind in CORE_KINDS}
Model = TypeVar("Model", bound=ClusterModel)


class SnapshotError(VmcpError):
    """The objects cannot be read as Kubernetes objects (not a mapping, no name, duplicates)."""


@dataclass(frozen=True)
class Inventory:
    """Parsed objects of one namespace, by kind and name; Secrets as key names only."""

    namespace: str
    toolhive: Mapping[str, Mapping[str, ClusterModel | Malformed]] = field(
        default_factory=dict[str, Mapping[str, ClusterModel | Malformed]]
    )
    """ToolHive objects by kind, then name: the model, or `Malformed` when the schema fails."""
    config_maps: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict[str, Mapping[str, str]]
    )
    """ConfigMap `data` by ConfigMap name."""
    secret_keys: Mapping[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])
    """The key names of each Secret; values are never kept."""
    groups_elsewhere: Mapping[str, frozenset[str]] = field(
        default_factory=dict[str, frozenset[str]]
    )
    """MCPGroup names by namespace, for the other namespaces of a snapshot (to say where a
    group that is not here may be)."""

    def of_kind(self, kind: ToolHiveKind[Model]) -> Mapping[str, Model | Malformed]:
        """The objects of `kind` by name."""
        return cast("Mapping[str, Model | Malformed]", self.toolhive.get(kind.kind, {}))

    def get(self, kind: ToolHiveKind[Model], name: str) -> Model | Malformed | None:
        """The object `name` of `kind`, None when the namespace has none."""
        return self.of_kind(kind).get(name)


def mapping_or_empty(section: object) -> Mapping[object, object]:
    """`section` when it is a mapping, else an empty one."""
    return cast("Mapping[object, object]", section) if isinstance(section, Mapping) else {}


def _key_names(section: object) -> frozenset[str]:
    return frozenset(key for key in mapping_or_empty(section) if isinstance(key, str))


def _config_map_data(section: object) -> dict[str, str]:
    items = mapping_or_empty(section).items()
    return {k: str(v) for k, v in items if isinstance(k, str) and v is not None}


def build_inventory(
    namespace: str,
    objects: Iterable[object],
    source: str,
    secret_keys: Mapping[str, frozenset[str]] | None = None,
) -> Inventory:
    """Parse the objects of `namespace`; other namespaces and unknown kinds are ignored.

    `secret_keys` adds Secrets already reduced to key names (discovery's plan).
    """
    toolhive: dict[str, dict[str, ClusterModel | Malformed]] = {}
    config_maps: dict[str, dict[str, str]] = {}
    keys: dict[str, frozenset[str]] = dict(secret_keys or {})
    seen: set[tuple[str, str]] = set()
    elsewhere: dict[str, set[str]] = {}
    for index, obj in enumerate(objects):
        where = f"{source}: object #{index + 1}"
        raw, kind, name, obj_namespace = _identity(obj, where)
        if kind == MCP_GROUP.kind and obj_namespace and obj_namespace != namespace:
            elsewhere.setdefault(obj_namespace, set()).add(name)
        if (kind not in BY_KIND and kind not in _CORE) or (obj_namespace or namespace) != namespace:
            continue
        _check_api_version(raw, kind, f"{where} ({kind} {echo(name)})")
        if (kind, name) in seen:
            raise SnapshotError(
                f"{source}: {kind} {echo(name)} appears twice in namespace {echo(namespace)}"
            )
        seen.add((kind, name))
        for section in ("data", "stringData") if kind in _CORE else ():
            if not isinstance(raw.get(section) or {}, Mapping):
                raise SnapshotError(f"{where} ({kind} {echo(name)}): {section} is not a mapping")
        if kind == SECRET.kind:
            keys[name] = _key_names(raw.get("data")) | _key_names(raw.get("stringData"))
        elif kind == CONFIG_MAP.kind:
            config_maps[name] = _config_map_data(raw.get("data"))
        else:
            toolhive.setdefault(kind, {})[name] = parse_object(BY_KIND[kind].model, raw)
    groups = {ns: frozenset(names) for ns, names in sorted(elsewhere.items())}
    return Inventory(namespace, toolhive, config_maps, keys, groups)


def extend_inventory(inventory: Inventory, objects: Iterable[object], source: str) -> Inventory:
    """`inventory` plus objects of kinds it does not hold yet (each parsed once, here)."""
    more = build_inventory(inventory.namespace, objects, source)
    return Inventory(
        inventory.namespace,
        {**inventory.toolhive, **more.toolhive},
        {**inventory.config_maps, **more.config_maps},
        {**inventory.secret_keys, **more.secret_keys},
        inventory.groups_elsewhere,
    )


def _identity(obj: object, where: str) -> tuple[Mapping[str, Any], str, str, str | None]:
    """(the object, kind, name, namespace), or SnapshotError when it is not a Kubernetes object."""
    if not isinstance(obj, dict):
        raise SnapshotError(
            f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}"
        )
    raw = cast("dict[str, Any]", obj)
    kind, api_version, metadata = raw.get("kind"), raw.get("apiVersion"), raw.get("metadata")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        raise SnapshotError(
            f"{where}: not a Kubernetes object (needs string 'apiVersion' and 'kind')"
        )
    meta = mapping_or_empty(metadata)
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        raise SnapshotError(f"{where}: {kind} has no metadata.name")
    if namespace is not None and not isinstance(namespace, str):
        raise SnapshotError(f"{where}: {kind} {echo(name)} has a non-string metadata.namespace")
    return raw, kind, name, namespace


def _check_api_version(obj: Mapping[str, Any], kind: str, where: str) -> None:
    api_version = obj["apiVersion"]
    known = _CORE.get(kind)
    expected = [known.api_version] if known else list(BY_KIND[kind].accepted_api_versions)
    if api_version not in expected:
        raise SnapshotError(f"{where}: apiVersion {echo(api_version)} is not one of {expected}")

"""The objects of one namespace that derivation may look at, and how a snapshot file becomes one.

An `Inventory` is the pure boundary between "where the objects came from" (a `kubectl get -o
yaml` snapshot, lightkube, or Pulumi get-calls) and the derivation. Secrets enter it only as
the names of their keys: a Secret's values are dropped at this boundary and never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from vmcp_components.errors import VmcpError
from vmcp_components.models import TOOLHIVE_GROUP, TOOLHIVE_VERSIONS

TOOLHIVE_KINDS = (
    "MCPGroup",
    "MCPServerEntry",
    "MCPServer",
    "MCPRemoteProxy",
    "MCPExternalAuthConfig",
)
CORE_KINDS = ("ConfigMap", "Secret")
KNOWN_KINDS = TOOLHIVE_KINDS + CORE_KINDS


class SnapshotError(VmcpError):
    """The snapshot cannot be read as Kubernetes objects."""


@dataclass(frozen=True)
class Inventory:
    """Raw objects of one namespace, by kind and name; Secrets as key names only."""

    namespace: str
    objects: Mapping[str, Mapping[str, dict[str, Any]]] = field(default_factory=dict)
    secret_keys: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> Mapping[str, dict[str, Any]]:
        return self.objects.get(kind, {})

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.of_kind(kind).get(name)


def secret_key_names(secret: Mapping[str, Any]) -> frozenset[str]:
    """The keys a Secret holds (`data` and `stringData`); the values are never looked at."""
    return frozenset((secret.get("data") or {}).keys()) | frozenset(
        (secret.get("stringData") or {}).keys()
    )


def build_inventory(namespace: str, objects: Iterable[dict[str, Any]], source: str) -> Inventory:
    """Group validated raw objects by kind; other namespaces and unknown kinds are ignored."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    secret_keys: dict[str, frozenset[str]] = {}
    seen: set[tuple[str, str]] = set()
    for index, obj in enumerate(objects):
        where = f"{source}: object #{index + 1}"
        kind, name, obj_namespace = _identity(obj, where)
        if kind not in KNOWN_KINDS or (obj_namespace or namespace) != namespace:
            continue
        _check_api_version(obj, kind, f"{where} ({kind} {name!r})")
        if (kind, name) in seen:
            raise SnapshotError(
                f"{source}: {kind} {name!r} appears twice in namespace {namespace!r}"
            )
        seen.add((kind, name))
        for section in ("data", "stringData") if kind in CORE_KINDS else ():
            if not isinstance(obj.get(section) or {}, dict):
                raise SnapshotError(f"{where} ({kind} {name!r}): {section} is not a mapping")
        if kind == "Secret":
            secret_keys[name] = secret_key_names(obj)
        else:
            by_kind.setdefault(kind, {})[name] = obj
    return Inventory(namespace=namespace, objects=by_kind, secret_keys=secret_keys)


def _identity(obj: Any, where: str) -> tuple[str, str, str | None]:
    if not isinstance(obj, dict):
        raise SnapshotError(
            f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}"
        )
    kind, api_version, metadata = obj.get("kind"), obj.get("apiVersion"), obj.get("metadata")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        raise SnapshotError(
            f"{where}: not a Kubernetes object (needs string 'apiVersion' and 'kind')"
        )
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("name"), str)
        or not metadata["name"]
    ):
        raise SnapshotError(f"{where}: {kind} has no metadata.name")
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise SnapshotError(
            f"{where}: {kind} {metadata['name']!r} has a non-string metadata.namespace"
        )
    return kind, metadata["name"], namespace


def _check_api_version(obj: dict[str, Any], kind: str, where: str) -> None:
    api_version = obj["apiVersion"]
    if kind in CORE_KINDS:
        expected = ["v1"]
    else:
        expected = [f"{TOOLHIVE_GROUP}/{version}" for version in TOOLHIVE_VERSIONS]
    if api_version not in expected:
        raise SnapshotError(f"{where}: apiVersion {api_version!r} is not one of {expected}")


def _expand(item: Any) -> Iterator[Any]:
    if isinstance(item, dict) and item.get("kind") == "List":
        items = item.get("items")
        if not isinstance(items, list):
            raise SnapshotError("a 'kind: List' document has no 'items' list")
        for inner in items:
            yield from _expand(inner)
    else:
        yield item


def _flatten(documents: Iterable[Any]) -> Iterator[Any]:
    for document in documents:
        if document is not None:
            yield from _expand(document)


def load_snapshot(text: str, namespace: str, source: str = "snapshot") -> Inventory:
    """Read `kubectl get -o yaml` output (a List) or multi-document YAML into an Inventory."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SnapshotError(f"{source}: not valid YAML{place}: {problem}") from None
    objects = list(_flatten(documents))
    if not objects:
        raise SnapshotError(f"{source}: holds no Kubernetes objects")
    return build_inventory(namespace, objects, source)

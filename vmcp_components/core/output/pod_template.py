"""`podTemplateSpec` applied as the operator applies it: a strategic merge onto its template.

The operator patches the pod template it builds (`controllerutil.ApplyPodTemplateSpecPatch`:
apimachinery's `strategicpatch.StrategicMergePatch` with `corev1.PodTemplateSpec`).

The rules are those of the Kubernetes types: maps merge key by key (a `null` deletes the key);
the lists Kubernetes marks `patchStrategy=merge` merge item by item on their merge key
(`containers` by `name`, a container's `env` by `name`, `volumeMounts` by `mountPath`, ...),
an item with `$patch: delete` removes its match; every other list is replaced. The merged list
is ordered as apimachinery orders it (`normalizeElementOrder`): the patch's items in the
patch's order, and the items only the base has inserted before the first patch item that
follows them in the base (a new item, absent from the base, goes first).

Also the operator's `toolhive.stacklok.io/podtemplatespec-hash` Deployment annotation: the
SHA-256 of the patch as canonical JSON (`checksum.HashRawJSON`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any, cast

PODTEMPLATESPEC_HASH_ANNOTATION = "toolhive.stacklok.io/podtemplatespec-hash"

_CONTAINER: dict[str, tuple[str, str | None]] = {
    "env": ("name", None),
    "ports": ("containerPort", None),
    "volumeMounts": ("mountPath", None),
    "volumeDevices": ("devicePath", None),
    "resizePolicy": ("resourceName", None),
}
_POD_SPEC: dict[str, tuple[str, str | None]] = {
    "containers": ("name", "container"),
    "initContainers": ("name", "container"),
    "ephemeralContainers": ("name", "container"),
    "volumes": ("name", None),
    "imagePullSecrets": ("name", None),
    "hostAliases": ("ip", None),
    "topologySpreadConstraints": ("topologyKey", None),
    "resourceClaims": ("name", None),
    "schedulingGates": ("name", None),
}
_SCHEMAS = {"container": _CONTAINER, "podSpec": _POD_SPEC}


def _map(value: object) -> dict[str, Any] | None:
    return cast("dict[str, Any]", value) if isinstance(value, Mapping) else None


def _deleted(item: object) -> bool:
    found = _map(item)
    return found is not None and found.get("$patch") == "delete"


def _merge_map(base: Mapping[str, Any], patch: Mapping[str, Any], schema: str) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    lists = _SCHEMAS.get(schema, {})
    for key, value in patch.items():
        into, given = _map(merged.get(key)), _map(value)
        if value is None:
            merged.pop(key, None)
        elif key in lists and isinstance(value, list):
            merge_key, item_schema = lists[key]
            current = merged.get(key)
            merged[key] = _merge_list(
                cast("list[Any]", current) if isinstance(current, list) else [],
                cast("list[Any]", value),
                merge_key,
                item_schema or "",
            )
        elif given is not None and key == "spec" and schema == "podTemplate":
            merged[key] = _merge_map(into or {}, given, "podSpec")
        elif given is not None and into is not None:
            merged[key] = _merge_map(into, given, "")
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_list(base: list[Any], patch: list[Any], merge_key: str, schema: str) -> list[Any]:
    def key_of(item: object) -> object:
        found = _map(item)
        return found.get(merge_key) if found is not None else item

    server_order = [key_of(item) for item in base]
    by_key = {key_of(item): item for item in base}
    deleted = {key_of(item) for item in patch if _deleted(item)}
    right: list[Any] = []
    for item in patch:
        if key_of(item) in deleted:
            continue
        original, given = _map(by_key.get(key_of(item))), _map(item)
        if original is not None and given is not None:
            right.append(_merge_map(original, given, schema))
        else:
            right.append(copy.deepcopy(item))
    patched = {key_of(item) for item in patch}
    left = [copy.deepcopy(item) for item in base if key_of(item) not in patched]

    def position(item: object) -> int:
        key = key_of(item)
        return server_order.index(key) if key in server_order else -1

    merged: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):  # apimachinery's mergeSortedSlice
        if j >= len(right):
            merged.append(left[i])
            i += 1
        elif i >= len(left):
            merged.append(right[j])
            j += 1
        else:
            li, ri = position(left[i]), position(right[j])
            if li >= 0 and ri >= 0 and li < ri:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                j += 1
    return merged


def apply_pod_template_spec(
    template: Mapping[str, Any], patch: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`template` with `patch` strategic-merged onto it (a copy; `template` is unchanged)."""
    if not patch:
        return copy.deepcopy(dict(template))
    return _merge_map(template, patch, "podTemplate")


def pod_template_spec_hash(patch: Mapping[str, Any]) -> str:
    """The operator's hash of the user's patch: SHA-256 of Go's canonical JSON of it."""
    text = json.dumps(patch, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return hashlib.sha256(text.encode()).hexdigest()

"""`vmcp-components snapshot`: one namespace as `render` reads it, taken with lightkube.

Every kind of the kinds table (the ToolHive kinds, ConfigMaps, Secrets) is listed in the
namespace and written as one `kind: List`. Secrets are written as key names only: each value of
`data` becomes "", nothing else of a Secret is kept (its annotations may hold the values, in
kubectl's last-applied-configuration), so no Secret value ever reaches the file. Server
bookkeeping that changes without a change of the object (`managedFields`) is dropped, and the
items are sorted by kind (the table's order) and name, so the same namespace gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightkube import ApiError, Client

from vmcp_components.core.backends.read_plan import DiscoveryError
from vmcp_components.core.cluster.inventory import mapping_or_empty
from vmcp_components.core.cluster.kinds import CORE_KINDS, SECRET, TOOLHIVE_KINDS, api_version_of
from vmcp_components.core.output import yaml_text
from vmcp_components.kube.discovery import as_dict, retrying
from vmcp_components.kube.kubeconfig import load_kube_config
from vmcp_components.kube.resources import RESOURCES

KINDS = tuple(kind.kind for kind in (*TOOLHIVE_KINDS, *CORE_KINDS))
"""What a snapshot holds, in the order it is written."""


def _secret_key_names(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Secret reduced to what render may know: its name, namespace and key names."""
    metadata = mapping_or_empty(obj.get("metadata"))
    keys = {
        str(key): ""
        for section in ("data", "stringData")
        for key in mapping_or_empty(obj.get(section))
    }
    return {
        "apiVersion": api_version_of(SECRET.kind),
        "kind": SECRET.kind,
        "metadata": {"name": metadata.get("name"), "namespace": metadata.get("namespace")},
        "data": dict(sorted(keys.items())),
    }


def _kept(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object as the snapshot holds it: a Secret by key names, others less managedFields."""
    if kind == SECRET.kind:
        return _secret_key_names(obj)
    kept = {**obj, "apiVersion": api_version_of(kind), "kind": kind}
    metadata = dict(mapping_or_empty(kept.get("metadata")))
    metadata.pop("managedFields", None)
    kept["metadata"] = metadata
    return kept


def take_snapshot(namespace: str, kubeconfig: str | None, context: str | None) -> str:
    """The namespace's objects of every kind `render` reads, as YAML (Secrets: key names only)."""
    client: Any = Client(config=load_kube_config(kubeconfig, context))
    items: list[dict[str, Any]] = []
    for kind in KINDS:
        try:
            listed = retrying(
                lambda k=kind: [as_dict(o) for o in client.list(RESOURCES[k], namespace=namespace)]
            )
        except ApiError as error:
            raise DiscoveryError(
                f"cannot list {kind} objects in namespace {namespace!r}: {error}; the "
                "snapshot needs list on them (Secrets: only their key names are written)"
            ) from None
        except Exception as error:  # noqa: BLE001 - lightkube's HTTP client has its own errors
            raise DiscoveryError(
                f"cannot reach the cluster of the kubeconfig (context {context!r}): {error}"
            ) from None
        objects = [_kept(kind, obj) for obj in listed]
        items += sorted(objects, key=lambda o: str(mapping_or_empty(o["metadata"]).get("name")))
    return yaml_text.dump({"apiVersion": "v1", "kind": "List", "items": items})

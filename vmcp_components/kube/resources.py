"""lightkube resource classes for every kind the product lists, gets or watches.

Derived from `core.cluster.kinds`: the ToolHive kinds at their storage version (namespaced),
and the core ConfigMap and Secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from lightkube import generic_resource
from lightkube.generic_resource import GenericNamespacedResource
from lightkube.resources.core_v1 import ConfigMap, Secret

from vmcp_components.core.cluster.kinds import (
    CONFIG_MAP,
    SECRET,
    STORAGE_VERSION,
    TOOLHIVE_GROUP,
    TOOLHIVE_KINDS,
)

# lightkube leaves `verbs` unannotated: strict pyright reports the function as partially
# unknown, though the values used here are fully typed.
_create_resource = cast(
    "Callable[[str, str, str, str], type[GenericNamespacedResource]]",
    generic_resource.create_namespaced_resource,  # pyright: ignore[reportUnknownMemberType]
)

TOOLHIVE_RESOURCES: dict[str, type[GenericNamespacedResource]] = {
    kind.kind: _create_resource(TOOLHIVE_GROUP, STORAGE_VERSION, kind.kind, kind.plural)
    for kind in TOOLHIVE_KINDS
}
"""lightkube classes for the ToolHive kinds (storage version, namespaced)."""
RESOURCES: dict[str, Any] = {
    **TOOLHIVE_RESOURCES,
    CONFIG_MAP.kind: ConfigMap,
    SECRET.kind: Secret,
}
"""lightkube classes for every kind by name: the ToolHive kinds, ConfigMap and Secret."""

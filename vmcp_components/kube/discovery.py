"""Discovery on a live cluster: the group, its members and what they reference, with lightkube.

`ClusterDiscovery` lists and gets what `core.backends.read_plan` says the group needs and plans
the reads from that inventory. Secrets are looked at for their key names only: their values are
dropped as the inventory is built, never read through Pulumi and never stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lightkube import ApiError, Client
from lightkube.resources.core_v1 import ConfigMap, Secret

from vmcp_components.core.backends.incoming_auth import NO_REFERENCES, IncomingReferences
from vmcp_components.core.backends.membership import select_members
from vmcp_components.core.backends.read_plan import (
    DiscoveryError,
    ReadPlan,
    auth_config_names,
    objects_in_use,
    plan_reads,
)
from vmcp_components.core.cluster.inventory import Inventory, build_inventory, extend_inventory
from vmcp_components.core.cluster.kinds import (
    COMPOSITE_TOOL_DEFINITION,
    EMBEDDING_SERVER,
    MCP_AUTHZ_CONFIG,
    MCP_EXTERNAL_AUTH_CONFIG,
    MCP_GROUP,
    MCP_OIDC_CONFIG,
    MCP_TELEMETRY_CONFIG,
    MEMBER_KINDS,
)
from vmcp_components.kube.kubeconfig import load_kube_config
from vmcp_components.kube.resources import TOOLHIVE_RESOURCES


@dataclass(frozen=True)
class ClusterDiscovery:
    """Lists the group's members with lightkube, using the provider's kubeconfig and context."""

    kubeconfig: str | None = None
    """A path or the file contents (like the kubernetes provider); None means $KUBECONFIG."""
    context: str | None = None

    def _client(self) -> Any:
        config = load_kube_config(self.kubeconfig, self.context)
        return Client(config=config, field_manager="vmcp-components")

    def discover(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str],
        incoming: IncomingReferences = NO_REFERENCES,
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        inventory = self.fetch(namespace, group, entry_names, auth_configs, incoming)
        return plan_reads(inventory, group, entry_names, auth_configs, incoming)

    def fetch(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str] = (),
        incoming: IncomingReferences = NO_REFERENCES,
    ) -> Inventory:
        """The groups, every member kind, what they reference, and the spec's references.

        The spec's vMCP-wide references: incomingAuth's, telemetry, composite tool definitions.
        """
        client = self._client()
        resources = TOOLHIVE_RESOURCES

        def get(resource: Any, name: str) -> dict[str, Any] | None:
            try:
                return as_dict(
                    retrying(lambda: client.get(resource, name=name, namespace=namespace))
                )
            except ApiError as error:
                if error.status.code == 404:
                    return None
                raise DiscoveryError(f"cannot read {resource.__name__} {name!r}: {error}") from None

        source = f"namespace {namespace}"
        try:
            objects: list[dict[str, Any]] = []
            # Every group, not only this one: a missing group's error lists the others.
            for kind in (MCP_GROUP, *MEMBER_KINDS):
                listed_kind = retrying(
                    lambda k=kind.kind: list(client.list(resources[k], namespace=namespace))
                )
                objects += [as_dict(o) for o in listed_kind]
            inventory = build_inventory(namespace, objects, source)
            members, _ = select_members(inventory, group, entry_names)
            auth_objects = [
                get(resources[MCP_EXTERNAL_AUTH_CONFIG.kind], name)
                for name in auth_config_names(members, auth_configs)
            ]
            auth_objects += [
                get(resources[MCP_OIDC_CONFIG.kind], name) for name in incoming.oidc_configs
            ]
            auth_objects += [
                get(resources[MCP_AUTHZ_CONFIG.kind], name) for name in incoming.authz_configs
            ]
            auth_objects += [
                get(resources[kind.kind], name)
                for kind, names in (
                    (MCP_TELEMETRY_CONFIG, incoming.telemetry_configs),
                    (COMPOSITE_TOOL_DEFINITION, dict.fromkeys(incoming.composite_tools)),
                    (EMBEDDING_SERVER, incoming.embedding_servers),
                )
                for name in names
            ]
            inventory = extend_inventory(inventory, [o for o in auth_objects if o], source)
            _, config_maps, secrets = objects_in_use(inventory, members, auth_configs, incoming)
            referenced = [get(ConfigMap, name) for name in sorted(config_maps)]
            referenced += [get(Secret, name) for name in sorted(secrets)]
            return extend_inventory(inventory, [o for o in referenced if o], source)
        except ApiError as error:
            raise DiscoveryError(
                f"cannot list ToolHive objects in namespace {namespace!r}: {error}"
            ) from None
        except OSError as error:
            raise DiscoveryError(f"cannot reach the cluster: {error}") from None


_RETRIED_STATUS = (429, 503, 504)
_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)
T = TypeVar("T")


def retrying(call: Callable[[], T]) -> T:
    """`call`, retried on throttling and transient unavailability (bounded: about 8 s)."""
    for delay in _RETRY_DELAYS:
        try:
            return call()
        except ApiError as error:
            if error.status.code not in _RETRIED_STATUS:
                raise
            time.sleep(delay)
    return call()


def as_dict(obj: Any) -> dict[str, Any]:
    """A lightkube object as the plain dict the API server sent."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)

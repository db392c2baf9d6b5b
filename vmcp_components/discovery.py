"""Which objects to read: the group's members and what they reference, found with lightkube.

The component declares one Pulumi get-call per object named in a `ReadPlan`, so the plan must
name only objects that exist (a get-call of a missing object fails the whole run). Objects
that are referenced but missing are simply left out; derivation then skips the member that
needs them, with a reason. Secrets are looked at for their key names only, here and nowhere
else: they are never read through Pulumi and never stored.

This is the only module that talks to the cluster outside Pulumi. `ClusterDiscovery` lists
with lightkube; `InventoryDiscovery` answers from objects already in hand (a snapshot, tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import yaml
from lightkube import ApiError, Client, KubeConfig, generic_resource
from lightkube.generic_resource import GenericNamespacedResource
from lightkube.resources.core_v1 import ConfigMap, Secret

from vmcp_components.errors import VmcpError
from vmcp_components.inventory import Inventory, build_inventory, extend_inventory
from vmcp_components.kinds import (
    MCP_EXTERNAL_AUTH_CONFIG,
    MCP_GROUP,
    MCP_SERVER_ENTRY,
    MEMBER_KINDS,
    STORAGE_VERSION,
    TOOLHIVE_GROUP,
    TOOLHIVE_KINDS,
)
from vmcp_components.membership import GroupMember, select_members
from vmcp_components.references import references

# lightkube leaves two parameters unannotated (`verbs`, `conf: Dict`): strict pyright reports
# those functions as partially unknown, though the values used here are fully typed.
_create_resource = cast(
    "Callable[[str, str, str, str], type[GenericNamespacedResource]]",
    generic_resource.create_namespaced_resource,  # pyright: ignore[reportUnknownMemberType]
)
_config_from_dict = cast(
    "Callable[[dict[str, Any]], KubeConfig]",
    KubeConfig.from_dict,  # pyright: ignore[reportUnknownMemberType]
)

TOOLHIVE_RESOURCES = {
    kind.kind: _create_resource(TOOLHIVE_GROUP, STORAGE_VERSION, kind.kind, kind.plural)
    for kind in TOOLHIVE_KINDS
}
"""lightkube classes for the ToolHive kinds (storage version, namespaced)."""


class DiscoveryError(VmcpError):
    """The cluster could not be asked (kubeconfig, connection, permissions)."""


@dataclass(frozen=True)
class ReadPlan:
    """Names of existing objects to read through Pulumi, and Secret key names (no values)."""

    namespace: str
    group: str | None
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    auth_configs: tuple[str, ...] = ()
    config_maps: tuple[str, ...] = ()
    secret_keys: Mapping[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])


class Discovery(Protocol):
    """Anything that can say which objects the component must read."""

    def discover(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str],
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        ...


def _auth_config_names(members: Iterable[GroupMember], extra: Iterable[str]) -> list[str]:
    """The auth configs the members use, plus the ones the arguments name, sorted."""
    used = {references(member.obj).auth_config for member in members}
    return sorted({name for name in used if name} | set(extra))


def _used(
    inventory: Inventory, members: Sequence[GroupMember], auth_configs: Iterable[str]
) -> tuple[list[str], set[str], set[str]]:
    """(existing auth configs, CA ConfigMap names, Secret names) in use.

    What the members and the named auth configs use; `inventory` must hold the auth configs.
    """
    found = [
        (name, config)
        for name in _auth_config_names(members, auth_configs)
        if (config := inventory.get(MCP_EXTERNAL_AUTH_CONFIG, name)) is not None
    ]
    uses = [references(member.obj) for member in members]
    uses += [references(config) for _, config in found]
    config_maps = {use.ca_bundle.config_map for use in uses if use.ca_bundle}
    secrets = {key.secret for use in uses for key in use.secret_keys}
    return [name for name, _ in found], config_maps, secrets


def _members_to_read(
    inventory: Inventory, members: Sequence[GroupMember], entry_names: Sequence[str] | None
) -> dict[str, tuple[str, ...]]:
    """Members by kind, to read.

    Explicitly named entries are read even when in another group, so the derivation can say so
    instead of reporting them missing.
    """
    names = {
        kind.kind: sorted(m.name for m in members if m.kind == kind.kind) for kind in MEMBER_KINDS
    }
    if entry_names is not None:
        names[MCP_SERVER_ENTRY.kind] = sorted(
            n for n in entry_names if inventory.get(MCP_SERVER_ENTRY, n)
        )
    return {kind: tuple(found) for kind, found in names.items()}


def plan_reads(
    inventory: Inventory,
    group: str,
    entry_names: Sequence[str] | None,
    auth_configs: Iterable[str] = (),
) -> ReadPlan:
    """The ReadPlan for `group`: its members and the existing objects they reference."""
    members, _ = select_members(inventory, group, entry_names)
    found_auth, config_maps, secrets = _used(inventory, members, auth_configs)
    return ReadPlan(
        namespace=inventory.namespace,
        group=group if inventory.get(MCP_GROUP, group) is not None else None,
        members=_members_to_read(inventory, members, entry_names),
        auth_configs=tuple(found_auth),
        config_maps=tuple(sorted(n for n in config_maps if n in inventory.config_maps)),
        secret_keys={
            n: inventory.secret_keys[n] for n in sorted(secrets) if n in inventory.secret_keys
        },
    )


@dataclass(frozen=True)
class InventoryDiscovery:
    """Discovery answered from an Inventory already in hand (a snapshot file, fixed test data)."""

    inventory: Inventory

    def discover(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str],
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        if namespace != self.inventory.namespace:
            raise DiscoveryError(
                f"inventory is for namespace {self.inventory.namespace!r}, not {namespace!r}"
            )
        return plan_reads(self.inventory, group, entry_names, auth_configs)


def _kubeconfig_dict(kubeconfig: str | None) -> dict[str, Any] | None:
    """A kubeconfig given as file contents (as the provider accepts) becomes a dict; a path None."""
    if kubeconfig is None:
        return None
    if "\n" not in kubeconfig and not kubeconfig.lstrip().startswith(("{", "apiVersion")):
        return None
    loaded = yaml.safe_load(kubeconfig)
    if not isinstance(loaded, dict):
        raise DiscoveryError("kubeconfig contents are not a YAML mapping")
    return cast("dict[str, Any]", loaded)


@dataclass(frozen=True)
class ClusterDiscovery:
    """Lists the group's members with lightkube, using the provider's kubeconfig and context."""

    kubeconfig: str | None = None
    """A path or the file contents (like the kubernetes provider); None means $KUBECONFIG."""
    context: str | None = None

    def _client(self) -> Any:
        try:
            contents = _kubeconfig_dict(self.kubeconfig)
            if contents is not None:
                config = _config_from_dict(contents)
            elif self.kubeconfig is not None:
                config = KubeConfig.from_file(Path(self.kubeconfig).expanduser())
            else:
                config = KubeConfig.from_env()
            return Client(
                config=config.get(context_name=self.context), field_manager="vmcp-components"
            )
        except Exception as error:  # noqa: BLE001 - lightkube raises several config error types
            raise DiscoveryError(
                f"cannot load kubeconfig (context {self.context!r}): {error}"
            ) from None

    def discover(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str],
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        inventory = self.fetch(namespace, group, entry_names, auth_configs)
        return plan_reads(inventory, group, entry_names, auth_configs)

    def fetch(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str] = (),
    ) -> Inventory:
        """The group, every member kind in the namespace, and what the members reference."""
        client = self._client()
        resources = TOOLHIVE_RESOURCES

        def get(resource: Any, name: str) -> dict[str, Any] | None:
            try:
                return _as_dict(
                    _retrying(lambda: client.get(resource, name=name, namespace=namespace))
                )
            except ApiError as error:
                if error.status.code == 404:
                    return None
                raise DiscoveryError(f"cannot read {resource.__name__} {name!r}: {error}") from None

        source = f"namespace {namespace}"
        try:
            objects = [obj for obj in [get(resources[MCP_GROUP.kind], group)] if obj]
            for kind in MEMBER_KINDS:
                listed_kind = _retrying(
                    lambda k=kind.kind: list(client.list(resources[k], namespace=namespace))
                )
                objects += [_as_dict(o) for o in listed_kind]
            inventory = build_inventory(namespace, objects, source)
            members, _ = select_members(inventory, group, entry_names)
            auth_objects = [
                get(resources[MCP_EXTERNAL_AUTH_CONFIG.kind], name)
                for name in _auth_config_names(members, auth_configs)
            ]
            inventory = extend_inventory(inventory, [o for o in auth_objects if o], source)
            _, config_maps, secrets = _used(inventory, members, auth_configs)
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


def _retrying(call: Callable[[], T]) -> T:
    """`call`, retried on throttling and transient unavailability (bounded: about 8 s)."""
    for delay in _RETRY_DELAYS:
        try:
            return call()
        except ApiError as error:
            if error.status.code not in _RETRIED_STATUS:
                raise
            time.sleep(delay)
    return call()


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)

"""Which objects the component reads for a group: its members and what they reference (pure).

The component declares one Pulumi get-call per object a `ReadPlan` names, so a plan names only
objects that exist (a get-call of a missing object fails the whole run). Objects that are
referenced but missing are left out; derivation then skips the member that needs them, with a
reason. Secrets appear as key names only. `kube.discovery` builds the inventory from the cluster
with lightkube, `InventoryDiscovery` from objects already in hand (a snapshot, `watch`'s cache,
tests); both plan with `plan_reads`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from vmcp_components.core.backends.incoming_auth import (
    NO_REFERENCES,
    IncomingReferences,
    oidc_uses,
)
from vmcp_components.core.backends.membership import GroupMember, select_members
from vmcp_components.core.backends.telemetry import telemetry_uses
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import (
    COMPOSITE_TOOL_DEFINITION,
    CONFIG_MAP,
    EMBEDDING_SERVER,
    MCP_AUTHZ_CONFIG,
    MCP_EXTERNAL_AUTH_CONFIG,
    MCP_GROUP,
    MCP_OIDC_CONFIG,
    MCP_SERVER_ENTRY,
    MCP_TELEMETRY_CONFIG,
    MEMBER_KINDS,
    SECRET,
)
from vmcp_components.core.cluster.references import references
from vmcp_components.core.cluster.shared_configs import MCPOIDCConfig
from vmcp_components.core.cluster.telemetry_config import MCPTelemetryConfig
from vmcp_components.errors import VmcpError


class DiscoveryError(VmcpError):
    """The objects could not be found: a kubeconfig, connection or permission problem."""


@dataclass(frozen=True)
class ReadPlan:
    """Names of existing objects to read through Pulumi, and Secret key names (no values)."""

    namespace: str
    group: str | None
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    auth_configs: tuple[str, ...] = ()
    oidc_configs: tuple[str, ...] = ()
    authz_configs: tuple[str, ...] = ()
    telemetry_configs: tuple[str, ...] = ()
    composite_tools: tuple[str, ...] = ()
    embedding_servers: tuple[str, ...] = ()
    config_maps: tuple[str, ...] = ()
    secret_keys: Mapping[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])

    def read_names(self) -> tuple[tuple[str, str], ...]:
        """(kind, name) of every object read with a get-call, in read order.

        The group, the members by kind, the auth configs, the incomingAuth OIDC and authz
        configs, the telemetry config, the composite tool definitions, the EmbeddingServer, then
        the ConfigMaps (CA bundles, authz policies).
        """
        names = [(MCP_GROUP.kind, self.group)] if self.group else []
        names += [(kind, n) for kind, members in sorted(self.members.items()) for n in members]
        names += [(MCP_EXTERNAL_AUTH_CONFIG.kind, n) for n in self.auth_configs]
        names += [(MCP_OIDC_CONFIG.kind, n) for n in self.oidc_configs]
        names += [(MCP_AUTHZ_CONFIG.kind, n) for n in self.authz_configs]
        names += [(MCP_TELEMETRY_CONFIG.kind, n) for n in self.telemetry_configs]
        names += [(COMPOSITE_TOOL_DEFINITION.kind, n) for n in self.composite_tools]
        names += [(EMBEDDING_SERVER.kind, n) for n in self.embedding_servers]
        names += [(CONFIG_MAP.kind, n) for n in self.config_maps]
        return tuple(names)

    def object_names(self) -> frozenset[tuple[str, str]]:
        """(kind, name) of every object the rendering looks at: the reads and the Secrets."""
        return frozenset(self.read_names()) | {(SECRET.kind, n) for n in self.secret_keys}


@runtime_checkable
class InventorySource(Protocol):
    """A discovery that also gives the inventory it plans from (so a render can run on it)."""

    fetch: Callable[[str, str, Sequence[str] | None, Sequence[str], IncomingReferences], Inventory]
    """(namespace, group, entry names, auth configs, what `incomingAuth` references) -> the
    group's objects in the namespace and what they and the arguments reference."""


class Discovery(Protocol):
    """Anything that can say which objects the component must read."""

    def discover(
        self,
        namespace: str,
        group: str,
        entry_names: Sequence[str] | None,
        auth_configs: Sequence[str],
        incoming: IncomingReferences = NO_REFERENCES,
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        ...


def auth_config_names(members: Iterable[GroupMember], extra: Iterable[str]) -> list[str]:
    """The auth configs the members use, plus the ones the arguments name, sorted."""
    used = {references(member.obj).auth_config for member in members}
    return sorted({name for name in used if name} | set(extra))


def objects_in_use(
    inventory: Inventory,
    members: Sequence[GroupMember],
    auth_configs: Iterable[str],
    incoming: IncomingReferences = NO_REFERENCES,
) -> tuple[list[str], set[str], set[str]]:
    """(existing auth configs, ConfigMap names, Secret names) in use.

    What the members, the named auth configs and the spec's vMCP-wide references use;
    `inventory` must hold the auth, OIDC, authz and telemetry configs.
    """
    found = [
        (name, config)
        for name in auth_config_names(members, auth_configs)
        if (config := inventory.get(MCP_EXTERNAL_AUTH_CONFIG, name)) is not None
    ]
    uses = [references(member.obj) for member in members]
    uses += [references(config) for _, config in found]
    config_maps = {use.ca_bundle.config_map for use in uses if use.ca_bundle}
    config_maps.update(incoming.config_maps)
    secrets = {key.secret for use in uses for key in use.secret_keys}
    secrets.update(incoming.secrets)
    shared: list[object] = [inventory.get(MCP_OIDC_CONFIG, n) for n in incoming.oidc_configs]
    shared += [inventory.get(MCP_TELEMETRY_CONFIG, n) for n in incoming.telemetry_configs]
    for config in shared:  # missing or malformed ones: the render says what is wrong
        if isinstance(config, MCPOIDCConfig):
            secret_uses, volume = oidc_uses(config)
        elif isinstance(config, MCPTelemetryConfig):
            secret_uses, volume = telemetry_uses(config)
        else:
            continue
        secrets.update(use.secret for use in secret_uses)
        config_maps.update([volume.config_map] if volume else [])
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
    incoming: IncomingReferences = NO_REFERENCES,
) -> ReadPlan:
    """The ReadPlan for `group`: its members and the existing objects they reference.

    `incoming` adds the spec's vMCP-wide references (OIDC, authz and telemetry configs, composite
    tool definitions) and what they use.
    """
    members, _ = select_members(inventory, group, entry_names)
    found_auth, config_maps, secrets = objects_in_use(inventory, members, auth_configs, incoming)
    return ReadPlan(
        namespace=inventory.namespace,
        group=group if inventory.get(MCP_GROUP, group) is not None else None,
        members=_members_to_read(inventory, members, entry_names),
        auth_configs=tuple(found_auth),
        oidc_configs=tuple(n for n in incoming.oidc_configs if inventory.get(MCP_OIDC_CONFIG, n)),
        authz_configs=tuple(
            n for n in incoming.authz_configs if inventory.get(MCP_AUTHZ_CONFIG, n)
        ),
        telemetry_configs=tuple(
            n for n in incoming.telemetry_configs if inventory.get(MCP_TELEMETRY_CONFIG, n)
        ),
        composite_tools=tuple(
            n
            for n in dict.fromkeys(incoming.composite_tools)
            if inventory.get(COMPOSITE_TOOL_DEFINITION, n)
        ),
        embedding_servers=tuple(
            n for n in incoming.embedding_servers if inventory.get(EMBEDDING_SERVER, n)
        ),
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
        incoming: IncomingReferences = NO_REFERENCES,
    ) -> ReadPlan:
        """The ReadPlan for `group` in `namespace` (see `plan_reads`)."""
        return plan_reads(
            self.fetch(namespace, group, entry_names, auth_configs, incoming),
            group,
            entry_names,
            auth_configs,
            incoming,
        )

    def fetch(self, namespace: str, *_: object) -> Inventory:
        """The inventory (as `kube.discovery.ClusterDiscovery.fetch` gives the cluster's)."""
        if namespace != self.inventory.namespace:
            raise DiscoveryError(
                f"inventory is for namespace {self.inventory.namespace!r}, not {namespace!r}"
            )
        return self.inventory

"""The one table of the kinds this product reads: ToolHive's, and the two core ones.

Each `ToolHiveKind` says its kind, plural and model, whether it is a group member (may become
a backend), the backend and workload type vMCP gives a member, and the operator phases that
mean ready. No other module names a ToolHive kind, plural or phase: the inventory parses with
this table, discovery and `watch` list with it, the Pulumi reads name their type token with it,
conversion types and rates backends with it, the snapshot command lists its plurals, and the
Role grants `VMCP_ROLE_KINDS`. The storage (and served) version is v1beta1; the CRDs also serve
v1alpha1, so objects written with either apiVersion are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vmcp_components.core.cluster.models import (
    ClusterModel,
    MCPExternalAuthConfig,
    MCPGroup,
    MCPRemoteProxy,
    MCPServer,
    MCPServerEntry,
)
from vmcp_components.core.cluster.shared_configs import (
    EmbeddingServer,
    MCPAuthzConfig,
    MCPOIDCConfig,
)
from vmcp_components.core.cluster.telemetry_config import (
    MCPTelemetryConfig,
    VirtualMCPCompositeToolDefinition,
)

TOOLHIVE_GROUP = "toolhive.stacklok.dev"
STORAGE_VERSION = "v1beta1"
SERVED_VERSIONS = (STORAGE_VERSION, "v1alpha1")

Model_co = TypeVar("Model_co", bound=ClusterModel, covariant=True)


@dataclass(frozen=True)
class ToolHiveKind(Generic[Model_co]):
    """One namespaced ToolHive custom resource kind."""

    kind: str
    plural: str
    model: type[Model_co]
    member: bool = False
    """A group member: joins an MCPGroup through `spec.groupRef` and may become a backend."""
    backend_type: str = ""
    """A member's `type` in discoveredBackends (`entry`, `container`, `proxy`)."""
    workload_type: str = ""
    """A member's `workload_type` in the backend metadata, as the operator writes it."""
    ready_phases: tuple[str, ...] = ()
    """Operator phases (`status.phase`) that mean the member is ready."""

    @property
    def api_version(self) -> str:
        """`group/version` of the storage version, as reads and lists use it."""
        return f"{TOOLHIVE_GROUP}/{STORAGE_VERSION}"

    @property
    def accepted_api_versions(self) -> tuple[str, ...]:
        """Every `apiVersion` an object of this kind may carry (all served versions)."""
        return tuple(f"{TOOLHIVE_GROUP}/{version}" for version in SERVED_VERSIONS)


@dataclass(frozen=True)
class CoreKind:
    """A core (`v1`) kind the members reference: CA ConfigMaps, Secrets (key names only)."""

    kind: str
    plural: str
    api_version: str = "v1"


FAILED_PHASE = "Failed"
"""The operator's phase for an object it refused (groups and members alike)."""
VALID_CONDITION = "Valid"
"""The condition type the operator sets on configs and entries it has checked."""

MCP_GROUP = ToolHiveKind("MCPGroup", "mcpgroups", MCPGroup)
MCP_SERVER_ENTRY = ToolHiveKind(
    "MCPServerEntry",
    "mcpserverentries",
    MCPServerEntry,
    member=True,
    backend_type="entry",
    workload_type="server_entry",
    ready_phases=("Valid",),
)
MCP_SERVER = ToolHiveKind(
    "MCPServer",
    "mcpservers",
    MCPServer,
    member=True,
    backend_type="container",
    workload_type="mcp_server",
    ready_phases=("Running", "Ready"),
)
MCP_REMOTE_PROXY = ToolHiveKind(
    "MCPRemoteProxy",
    "mcpremoteproxies",
    MCPRemoteProxy,
    member=True,
    backend_type="proxy",
    workload_type="remote_proxy",
    ready_phases=("Running", "Ready"),
)
MCP_EXTERNAL_AUTH_CONFIG = ToolHiveKind(
    "MCPExternalAuthConfig", "mcpexternalauthconfigs", MCPExternalAuthConfig
)
MCP_OIDC_CONFIG = ToolHiveKind("MCPOIDCConfig", "mcpoidcconfigs", MCPOIDCConfig)
MCP_AUTHZ_CONFIG = ToolHiveKind("MCPAuthzConfig", "mcpauthzconfigs", MCPAuthzConfig)
MCP_TELEMETRY_CONFIG = ToolHiveKind("MCPTelemetryConfig", "mcptelemetryconfigs", MCPTelemetryConfig)
COMPOSITE_TOOL_DEFINITION = ToolHiveKind(
    "VirtualMCPCompositeToolDefinition",
    "virtualmcpcompositetooldefinitions",
    VirtualMCPCompositeToolDefinition,
)
EMBEDDING_SERVER = ToolHiveKind("EmbeddingServer", "embeddingservers", EmbeddingServer)
EMBEDDING_READY_PHASE = "Ready"
"""The EmbeddingServer phase the operator waits for before it deploys the vMCP."""

TOOLHIVE_KINDS: tuple[ToolHiveKind[Any], ...] = (
    MCP_GROUP,
    MCP_SERVER_ENTRY,
    MCP_SERVER,
    MCP_REMOTE_PROXY,
    MCP_EXTERNAL_AUTH_CONFIG,
    MCP_OIDC_CONFIG,
    MCP_AUTHZ_CONFIG,
    MCP_TELEMETRY_CONFIG,
    COMPOSITE_TOOL_DEFINITION,
    EMBEDDING_SERVER,
)
"""Every ToolHive kind read, members in the order derivation walks them."""
BY_KIND: dict[str, ToolHiveKind[Any]] = {kind.kind: kind for kind in TOOLHIVE_KINDS}
MEMBER_KINDS: tuple[ToolHiveKind[Any], ...] = tuple(k for k in TOOLHIVE_KINDS if k.member)
VMCP_ROLE_KINDS: tuple[ToolHiveKind[Any], ...] = (
    MCP_GROUP,
    MCP_SERVER,
    MCP_REMOTE_PROXY,
    MCP_SERVER_ENTRY,
)
"""What the vMCP's Role may get/list/watch (DESIGN "Role"), in the operator's order."""
CONFIG_MAP = CoreKind("ConfigMap", "configmaps")
SECRET = CoreKind("Secret", "secrets")
CORE_KINDS: tuple[CoreKind, ...] = (CONFIG_MAP, SECRET)
"""The core kinds a snapshot holds and `watch` follows."""
SNAPSHOT_PLURALS = ",".join(k.plural for k in (*TOOLHIVE_KINDS, *CORE_KINDS))
"""Every kind `render` reads, as `kubectl get` takes them."""


def api_version_of(kind: str) -> str:
    """The `apiVersion` reads and lists use for `kind` (a ToolHive or a core kind)."""
    core = {k.kind: k for k in CORE_KINDS}.get(kind)
    return core.api_version if core else BY_KIND[kind].api_version

"""The one registry of the ToolHive kinds this product reads.

Each `ToolHiveKind` says its kind, plural and model, and whether it is a group member (may
become a backend). The inventory parses with it, discovery lists and reads with it, the Pulumi
reads name their type token with it, and the Role grants `VMCP_ROLE_KINDS`. The storage (and
served) version is v1beta1; the CRDs also serve v1alpha1, so objects written with either
apiVersion are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vmcp_components.models import (
    MCPExternalAuthConfig,
    MCPGroup,
    MCPRemoteProxy,
    MCPServer,
    MCPServerEntry,
    WireModel,
)

TOOLHIVE_GROUP = "toolhive.stacklok.dev"
STORAGE_VERSION = "v1beta1"
SERVED_VERSIONS = (STORAGE_VERSION, "v1alpha1")

Model_co = TypeVar("Model_co", bound=WireModel, covariant=True)


@dataclass(frozen=True)
class ToolHiveKind(Generic[Model_co]):
    """One namespaced ToolHive custom resource kind."""

    kind: str
    plural: str
    model: type[Model_co]
    member: bool = False
    """A group member: joins an MCPGroup through `spec.groupRef` and may become a backend."""

    @property
    def api_version(self) -> str:
        """`group/version` of the storage version, as reads and lists use it."""
        return f"{TOOLHIVE_GROUP}/{STORAGE_VERSION}"

    @property
    def accepted_api_versions(self) -> tuple[str, ...]:
        """Every `apiVersion` an object of this kind may carry (all served versions)."""
        return tuple(f"{TOOLHIVE_GROUP}/{version}" for version in SERVED_VERSIONS)


MCP_GROUP = ToolHiveKind("MCPGroup", "mcpgroups", MCPGroup)
MCP_SERVER_ENTRY = ToolHiveKind("MCPServerEntry", "mcpserverentries", MCPServerEntry, member=True)
MCP_SERVER = ToolHiveKind("MCPServer", "mcpservers", MCPServer, member=True)
MCP_REMOTE_PROXY = ToolHiveKind("MCPRemoteProxy", "mcpremoteproxies", MCPRemoteProxy, member=True)
MCP_EXTERNAL_AUTH_CONFIG = ToolHiveKind(
    "MCPExternalAuthConfig", "mcpexternalauthconfigs", MCPExternalAuthConfig
)

TOOLHIVE_KINDS: tuple[ToolHiveKind[Any], ...] = (
    MCP_GROUP,
    MCP_SERVER_ENTRY,
    MCP_SERVER,
    MCP_REMOTE_PROXY,
    MCP_EXTERNAL_AUTH_CONFIG,
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

"""What a user configures: the component's arguments, also the shape of the stack config.

One pydantic model serves the component, the `render` CLI and `__main__.py`, so a wrong key or
type is rejected the same way everywhere, with the key's path in the message: `parse_args`
and `vmcp_name` raise `ArgsError`. (The validators raise `ValueError`, pydantic's convention;
it never leaves this module.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from vmcp_components.errors import VmcpError
from vmcp_components.models import describe_validation_error

DEFAULT_IMAGE = "ghcr.io/stacklok/toolhive/vmcp:v0.63.0"

# The Service is `vmcp-<name>` and must be a DNS-1035 label (<= 63): so name <= 58.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MAX_NAME_LENGTH = 58


class ArgsError(VmcpError):
    """The arguments (component, stack config or CLI options) are invalid; names the key."""


def _check_vmcp_name(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH or not _NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid vMCP name: use at most {MAX_NAME_LENGTH} lowercase letters, "
            "digits and '-', starting and ending with a letter or digit "
            "(the Service 'vmcp-<name>' must be a DNS-1035 label)"
        )
    return name


def _check_dns_label(value: str, what: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _check_object_name(value: str, what: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use a Kubernetes object name (lowercase letters, "
            "digits, '-' and '.', at most 253 characters)"
        )
    return value


class StrictModel(BaseModel):
    """Base of the argument models: unknown keys refused, immutable, camelCase accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ExternalAuthConfigName(StrictModel):
    """A reference to an MCPExternalAuthConfig in the group's namespace."""

    name: str

    @field_validator("name")
    @classmethod
    def _valid(cls, value: str) -> str:
        return _check_object_name(value, "MCPExternalAuthConfig name")


class BackendAuth(StrictModel):
    """Outgoing auth for one backend (or the default): `discovered` or an auth config."""

    type: Literal["discovered", "externalAuthConfigRef"]
    external_auth_config_ref: ExternalAuthConfigName | None = Field(
        default=None, alias="externalAuthConfigRef"
    )

    @model_validator(mode="after")
    def _ref_matches_type(self) -> BackendAuth:
        if self.type == "externalAuthConfigRef" and self.external_auth_config_ref is None:
            raise ValueError("externalAuthConfigRef is required when type is externalAuthConfigRef")
        if self.type == "discovered" and self.external_auth_config_ref is not None:
            raise ValueError(
                "externalAuthConfigRef is only allowed when type is externalAuthConfigRef"
            )
        return self


class OutgoingAuth(StrictModel):
    """vMCP's `outgoingAuth`: a default strategy and per-backend overrides."""

    default: BackendAuth | None = None
    backends: dict[str, BackendAuth] = Field(default_factory=dict)


class IncomingAuth(StrictModel):
    """Passed to vMCP's `incomingAuth`; `oidc` and `authz` are vMCP's own shapes, kept as given."""

    type: Literal["anonymous", "oidc", "local"] = "anonymous"
    oidc: dict[str, Any] | None = None
    authz: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _oidc_needs_settings(self) -> IncomingAuth:
        if self.type == "oidc" and not self.oidc:
            raise ValueError("incomingAuth.oidc is required when type is oidc")
        return self


class VirtualMCPServerArgs(StrictModel):
    """Arguments of a VirtualMCPServer; field names also accept camelCase (stack config)."""

    namespace: str
    """Namespace of the group's objects and of everything declared."""
    group: str
    """The MCPGroup whose MCPServerEntry, MCPServer and MCPRemoteProxy members become backends."""
    name: str | None = None
    """Kubernetes name of the vMCP (Deployment `<name>`); defaults to the component's name."""
    image: str = DEFAULT_IMAGE
    """vMCP container image; pinned by default so an upgrade is a reviewed change."""
    replicas: int | None = Field(default=None, ge=0)
    """Deployment replicas; unset leaves `spec.replicas` out (HPA-friendly)."""
    service_account: str | None = Field(default=None, alias="serviceAccount")
    """Existing ServiceAccount to run as; when set, no ServiceAccount/Role/RoleBinding is made."""
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = Field(
        default="ClusterIP", alias="serviceType"
    )
    incoming_auth: IncomingAuth = Field(default_factory=IncomingAuth, alias="incomingAuth")
    outgoing_auth: OutgoingAuth = Field(default_factory=OutgoingAuth, alias="outgoingAuth")
    aggregation: dict[str, Any] | None = None
    """vMCP `aggregation` section, passed through; default prefix conflict resolution."""
    operational: dict[str, Any] | None = None
    """vMCP `operational` section, passed through; unset fields get vMCP's defaults."""
    strict: bool = False
    """Fail the deployment when any group member is skipped (for production stacks)."""
    entries: list[str] | None = None
    """Explicit MCPServerEntry names to use instead of discovering the group's members."""

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return _check_dns_label(value, "namespace")

    @field_validator("group")
    @classmethod
    def _group(cls, value: str) -> str:
        return _check_object_name(value, "MCPGroup name")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else _check_vmcp_name(value)

    @field_validator("service_account")
    @classmethod
    def _service_account(cls, value: str | None) -> str | None:
        return None if value is None else _check_object_name(value, "ServiceAccount name")

    @field_validator("entries")
    @classmethod
    def _entries(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for entry in value:
            _check_object_name(entry, "MCPServerEntry name")
        if len(set(value)) != len(value):
            raise ValueError("entries lists a name twice")
        return sorted(value)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(ch.isspace() for ch in value):
            raise ValueError(f"{value!r} is not a container image reference")
        return value


def parse_args(values: Mapping[str, Any]) -> VirtualMCPServerArgs:
    """`values` (snake_case or camelCase keys) as arguments, or ArgsError naming the key."""
    try:
        return VirtualMCPServerArgs.model_validate(values)
    except ValidationError as error:
        raise ArgsError(describe_validation_error(error)) from None


def vmcp_name(name: str) -> str:
    """`name` if it is a valid vMCP name (the Service `vmcp-<name>` is a DNS-1035 label)."""
    try:
        return _check_vmcp_name(name)
    except ValueError as error:
        raise ArgsError(str(error)) from None

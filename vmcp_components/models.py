"""Typed views of the ToolHive objects this product reads, with the CRDs' validation rules.

The models mirror `toolhive.stacklok.dev/v1beta1` on the wire: camelCase field names, unknown
fields ignored (the API server may add more), and the CRD schema's patterns, enums and required
lists enforced. `parse_object` turns a raw Kubernetes object into its model and reports a
malformed one with the object's kind/name and the offending field path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from vmcp_components.errors import VmcpError

TOOLHIVE_GROUP = "toolhive.stacklok.dev"
TOOLHIVE_VERSIONS = ("v1beta1", "v1alpha1")

StaticTransport = Literal["sse", "streamable-http"]
STATIC_TRANSPORTS: tuple[str, ...] = ("sse", "streamable-http")


class WireModel(BaseModel):
    """Base for Kubernetes wire objects: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class ObjectMeta(WireModel):
    name: str = Field(min_length=1)
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class NamedRef(WireModel):
    """A same-namespace reference by name (MCPGroupRef, ExternalAuthConfigRef)."""

    name: str = Field(min_length=1)


class SecretKeyRef(WireModel):
    name: str = Field(min_length=1)
    key: str = Field(min_length=1)


class ConfigMapKeySelector(WireModel):
    """core/v1 ConfigMapKeySelector: the CRD requires `key`; an empty key means `ca.crt`."""

    name: str = ""
    key: str
    optional: bool | None = None


class CABundleSource(WireModel):
    config_map_ref: ConfigMapKeySelector | None = None

    @model_validator(mode="after")
    def _config_map_name_required(self) -> CABundleSource:
        # the CRD's CEL rule on spec.caBundleRef (v0.63.0), checked before any ConfigMap lookup
        if self.config_map_ref is None or not self.config_map_ref.name:
            raise ValueError(
                "configMapRef.name is required and must be non-empty (CRD rule "
                "`has(self.configMapRef) && size(self.configMapRef.name) > 0`)"
            )
        return self


class HeaderFromSecret(WireModel):
    header_name: str = Field(min_length=1, max_length=255)
    value_secret_ref: SecretKeyRef


class HeaderForwardConfig(WireModel):
    add_plaintext_headers: dict[str, str] = Field(default_factory=dict)
    add_headers_from_secret: list[HeaderFromSecret] = Field(default_factory=list)

    @field_validator("add_headers_from_secret")
    @classmethod
    def _unique_header_names(cls, items: list[HeaderFromSecret]) -> list[HeaderFromSecret]:
        seen: set[str] = set()
        for item in items:
            if item.header_name in seen:
                raise ValueError(f"duplicate headerName {item.header_name!r} (list-map key)")
            seen.add(item.header_name)
        return items


class Condition(WireModel):
    type: str
    status: str
    reason: str = ""
    message: str = ""


class WorkloadStatus(WireModel):
    phase: str | None = None
    url: str | None = None
    conditions: list[Condition] = Field(default_factory=list)


class MCPServerEntrySpec(WireModel):
    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    allow_private_endpoint: bool = False
    transport: StaticTransport
    group_ref: NamedRef
    external_auth_config_ref: NamedRef | None = None
    header_forward: HeaderForwardConfig | None = None
    ca_bundle_ref: CABundleSource | None = None


class MCPServerEntryStatus(WireModel):
    phase: Literal["Valid", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list)


class MCPServerEntry(WireModel):
    metadata: ObjectMeta
    spec: MCPServerEntrySpec
    status: MCPServerEntryStatus | None = None


class MCPServerSpec(WireModel):
    group_ref: NamedRef | None = None
    transport: Literal["stdio", "sse", "streamable-http"] = "stdio"
    proxy_mode: StaticTransport = "streamable-http"
    external_auth_config_ref: NamedRef | None = None


class MCPServer(WireModel):
    metadata: ObjectMeta
    spec: MCPServerSpec
    status: WorkloadStatus | None = None


class MCPRemoteProxySpec(WireModel):
    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    transport: StaticTransport = "streamable-http"
    group_ref: NamedRef | None = None
    external_auth_config_ref: NamedRef | None = None


class MCPRemoteProxy(WireModel):
    metadata: ObjectMeta
    spec: MCPRemoteProxySpec
    status: WorkloadStatus | None = None


class MCPGroupStatus(WireModel):
    phase: Literal["Ready", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list)


class MCPGroupSpec(WireModel):
    description: str | None = None


class MCPGroup(WireModel):
    metadata: ObjectMeta
    spec: MCPGroupSpec = Field(default_factory=MCPGroupSpec)
    status: MCPGroupStatus | None = None


class TokenExchangeConfig(WireModel):
    token_url: str = Field(min_length=1, alias="tokenUrl")
    client_id: str | None = None
    client_secret_ref: SecretKeyRef | None = None
    audience: str | None = None
    scopes: list[str] = Field(default_factory=list)
    subject_token_type: str | None = None


class HeaderInjectionConfig(WireModel):
    header_name: str = Field(min_length=1)
    value_secret_ref: SecretKeyRef


class MCPExternalAuthConfigSpec(WireModel):
    type: str = Field(min_length=1)
    token_exchange: TokenExchangeConfig | None = None
    header_injection: HeaderInjectionConfig | None = None


class MCPExternalAuthConfig(WireModel):
    metadata: ObjectMeta
    spec: MCPExternalAuthConfigSpec
    status: WorkloadStatus | None = None


Model = TypeVar("Model", bound=WireModel)


class ObjectError(VmcpError):
    """A Kubernetes object that does not match its schema; the message names object and field."""


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(object)"


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: `field.path: message (got value)`, in pydantic's order."""
    problems = []
    for item in error.errors(include_url=False):
        got = item.get("input")
        shown = "" if item["type"] == "missing" or isinstance(got, dict) else f" (got {got!r})"
        problems.append(f"{_field_path(item['loc'])}: {item['msg']}{shown}")
    return "; ".join(problems)


def parse_object(model: type[Model], raw: dict[str, Any]) -> Model:
    """Validate a raw object into `model`, or raise ObjectError naming the object and field."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        kind = raw.get("kind", model.__name__)
        name = (raw.get("metadata") or {}).get("name", "<unnamed>")
        raise ObjectError(f"{kind} {name!r}: {describe_validation_error(error)}") from None

"""Typed views of the ToolHive objects this product reads, with the CRDs' validation rules.

The models mirror `toolhive.stacklok.dev/v1beta1` on the wire: camelCase field names, unknown
fields ignored (the API server may add more), and the CRD schema's patterns, enums and required
lists enforced. `parse_object` turns a raw Kubernetes object into its model, or into a
`Malformed` value naming the object's kind/name and the offending field paths. Only the
inventory calls it: everything downstream works on the parsed objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from vmcp_components.errors import echo

StaticTransport = Literal["sse", "streamable-http"]
STATIC_TRANSPORTS: tuple[str, ...] = ("sse", "streamable-http")


class WireModel(BaseModel):
    """Base for Kubernetes wire objects: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class ObjectMeta(WireModel):
    """The metadata fields derivation looks at."""

    name: str = Field(min_length=1)
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class NamedRef(WireModel):
    """A same-namespace reference by name (MCPGroupRef, ExternalAuthConfigRef)."""

    name: str = Field(min_length=1)


class SecretKeyRef(WireModel):
    """One key of a Secret in the same namespace."""

    name: str = Field(min_length=1)
    key: str = Field(min_length=1)


class ConfigMapKeySelector(WireModel):
    """core/v1 ConfigMapKeySelector: the CRD requires `key`; an empty key means `ca.crt`."""

    name: str = ""
    key: str
    optional: StrictBool | None = None


class CABundleSource(WireModel):
    """Where an entry's CA bundle comes from (a ConfigMap key)."""

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
    """A header whose value comes from a Secret key."""

    header_name: str = Field(min_length=1, max_length=255)
    value_secret_ref: SecretKeyRef


class HeaderForwardConfig(WireModel):
    """An entry's headers: literal ones and ones from Secrets (unique names)."""

    add_plaintext_headers: dict[str, str] = Field(default_factory=dict)
    add_headers_from_secret: list[HeaderFromSecret] = Field(default_factory=list[HeaderFromSecret])

    @field_validator("add_headers_from_secret")
    @classmethod
    def _unique_header_names(cls, items: list[HeaderFromSecret]) -> list[HeaderFromSecret]:
        seen: set[str] = set()
        for item in items:
            if item.header_name in seen:
                raise ValueError(f"duplicate headerName {echo(item.header_name)} (list-map key)")
            seen.add(item.header_name)
        return items


class Condition(WireModel):
    """A metav1.Condition as the operator writes it."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


class WorkloadStatus(WireModel):
    """The operator's status of an MCPServer, MCPRemoteProxy or auth config."""

    phase: str | None = None
    url: str | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPServerEntrySpec(WireModel):
    """What an MCPServerEntry declares: the remote URL, transport, group and refs."""

    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    allow_private_endpoint: StrictBool = False  # "yes" or 1 is not `true`
    transport: StaticTransport
    group_ref: NamedRef
    external_auth_config_ref: NamedRef | None = None
    header_forward: HeaderForwardConfig | None = None
    ca_bundle_ref: CABundleSource | None = None


class MCPServerEntryStatus(WireModel):
    """The entry controller's verdict."""

    phase: Literal["Valid", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPServerEntry(WireModel):
    """A remote MCP server declared for a group."""

    metadata: ObjectMeta
    spec: MCPServerEntrySpec
    status: MCPServerEntryStatus | None = None


class MCPServerSpec(WireModel):
    """The fields of an MCPServer that decide its backend."""

    group_ref: NamedRef | None = None
    transport: Literal["stdio", "sse", "streamable-http"] = "stdio"
    proxy_mode: StaticTransport = "streamable-http"
    external_auth_config_ref: NamedRef | None = None


class MCPServer(WireModel):
    """An MCP server the operator runs in the cluster (reached through its proxy)."""

    metadata: ObjectMeta
    spec: MCPServerSpec
    status: WorkloadStatus | None = None


class MCPRemoteProxySpec(WireModel):
    """The fields of an MCPRemoteProxy that decide its backend."""

    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    transport: StaticTransport = "streamable-http"
    group_ref: NamedRef | None = None
    external_auth_config_ref: NamedRef | None = None


class MCPRemoteProxy(WireModel):
    """A proxy the operator runs in front of a remote MCP server."""

    metadata: ObjectMeta
    spec: MCPRemoteProxySpec
    status: WorkloadStatus | None = None


class MCPGroupStatus(WireModel):
    """The group controller's verdict."""

    phase: Literal["Ready", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPGroupSpec(WireModel):
    """What an MCPGroup declares."""

    description: str | None = None


class MCPGroup(WireModel):
    """The group whose members become the vMCP's backends."""

    metadata: ObjectMeta
    spec: MCPGroupSpec = Field(default_factory=MCPGroupSpec)
    status: MCPGroupStatus | None = None


class TokenExchangeConfig(WireModel):
    """RFC 8693 token exchange settings; the client secret by reference."""

    token_url: str = Field(min_length=1, alias="tokenUrl")
    client_id: str | None = None
    client_secret_ref: SecretKeyRef | None = None
    audience: str | None = None
    scopes: list[str] = Field(default_factory=list)
    subject_token_type: str | None = None


class HeaderInjectionConfig(WireModel):
    """A header injected with a value from a Secret key."""

    header_name: str = Field(min_length=1)
    value_secret_ref: SecretKeyRef


class MCPExternalAuthConfigSpec(WireModel):
    """The auth type and its settings."""

    type: str = Field(min_length=1)
    token_exchange: TokenExchangeConfig | None = None
    header_injection: HeaderInjectionConfig | None = None


class MCPExternalAuthConfig(WireModel):
    """How vMCP authenticates to a backend."""

    metadata: ObjectMeta
    spec: MCPExternalAuthConfigSpec
    status: WorkloadStatus | None = None


Member = MCPServerEntry | MCPServer | MCPRemoteProxy
"""An object that joins a group through `spec.groupRef` and may become a vMCP backend."""

Model = TypeVar("Model", bound=WireModel)


@dataclass(frozen=True)
class Malformed:
    """A ToolHive object that violates its CRD schema, kept with the precise problem."""

    kind: str
    name: str
    problem: str
    """`<Kind> '<name>': <field.path>: <message>`, one item per problem."""
    group: str | None = None
    """`spec.groupRef.name` as written (when a string), so membership still sees the object."""


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(object)"


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: `field.path: message (got value)`, in pydantic's order."""
    problems: list[str] = []
    for item in error.errors(include_url=False):
        got = item.get("input")
        shown = "" if item["type"] == "missing" or isinstance(got, dict) else f" (got {echo(got)})"
        problems.append(f"{_field_path(item['loc'])}: {item['msg']}{shown}")
    return "; ".join(problems)


def _string_at(raw: Mapping[str, Any], *path: str) -> str | None:
    value: object = raw
    for key in path:
        value = cast("Mapping[str, object]", value).get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def parse_object(model: type[Model], raw: Mapping[str, Any]) -> Model | Malformed:
    """`raw` as `model`, or a `Malformed` that names the object and every offending field."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        written = _string_at(raw, "metadata", "name")
        name = "<unnamed>" if written is None else written
        return Malformed(
            kind=model.__name__,
            name=name,
            problem=f"{model.__name__} {echo(name)}: {describe_validation_error(error)}",
            group=_string_at(raw, "spec", "groupRef", "name"),
        )

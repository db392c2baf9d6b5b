"""Typed views of the ToolHive objects this product reads, with the CRDs' validation rules.

The models mirror `toolhive.stacklok.dev/v1beta1` on the wire: camelCase field names, unknown
fields ignored (the API server may add more), and the CRD schema's patterns, enums and required
lists enforced. `parse_object` turns a raw Kubernetes object into its model, or into a
`Malformed` value naming the object's kind/name and the offending field paths. Only the
inventory calls it: everything downstream works on the parsed objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, cast, get_args

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
from pydantic_core import ErrorDetails

from vmcp_components.core.cluster.input_fixes import type_fix
from vmcp_components.errors import echo

StaticTransport = Literal["sse", "streamable-http"]
STATIC_TRANSPORTS: tuple[str, ...] = ("sse", "streamable-http")


class ClusterModel(BaseModel):
    """Base for Kubernetes wire objects: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class ObjectMeta(ClusterModel):
    """The metadata fields derivation looks at."""

    name: str = Field(min_length=1)
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class NamedRef(ClusterModel):
    """A same-namespace reference by name (MCPGroupRef, ExternalAuthConfigRef)."""

    name: str = Field(min_length=1)


class SecretKeyRef(ClusterModel):
    """One key of a Secret in the same namespace."""

    name: str = Field(min_length=1)
    key: str = Field(min_length=1)


class ConfigMapKeySelector(ClusterModel):
    """core/v1 ConfigMapKeySelector: the CRD requires `key`; an empty key means `ca.crt`."""

    name: str = ""
    key: str
    optional: StrictBool | None = None


class CABundleSource(ClusterModel):
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


class HeaderFromSecret(ClusterModel):
    """A header whose value comes from a Secret key."""

    header_name: str = Field(min_length=1, max_length=255)
    value_secret_ref: SecretKeyRef


class HeaderForwardConfig(ClusterModel):
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


class Condition(ClusterModel):
    """A metav1.Condition as the operator writes it."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


class WorkloadStatus(ClusterModel):
    """The operator's status of an MCPServer, MCPRemoteProxy or auth config."""

    phase: str | None = None
    url: str | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPServerEntrySpec(ClusterModel):
    """What an MCPServerEntry declares: the remote URL, transport, group and refs."""

    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    allow_private_endpoint: StrictBool = False  # "yes" or 1 is not `true`
    transport: StaticTransport
    group_ref: NamedRef
    external_auth_config_ref: NamedRef | None = None
    header_forward: HeaderForwardConfig | None = None
    ca_bundle_ref: CABundleSource | None = None


class MCPServerEntryStatus(ClusterModel):
    """The entry controller's verdict."""

    phase: Literal["Valid", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPServerEntry(ClusterModel):
    """A remote MCP server declared for a group."""

    metadata: ObjectMeta
    spec: MCPServerEntrySpec
    status: MCPServerEntryStatus | None = None


class MCPServerSpec(ClusterModel):
    """The fields of an MCPServer that decide its backend."""

    group_ref: NamedRef | None = None
    transport: Literal["stdio", "sse", "streamable-http"] = "stdio"
    proxy_mode: StaticTransport = "streamable-http"
    external_auth_config_ref: NamedRef | None = None


class MCPServer(ClusterModel):
    """An MCP server the operator runs in the cluster (reached through its proxy)."""

    metadata: ObjectMeta
    spec: MCPServerSpec
    status: WorkloadStatus | None = None


class MCPRemoteProxySpec(ClusterModel):
    """The fields of an MCPRemoteProxy that decide its backend."""

    remote_url: Annotated[str, Field(pattern=r"^https?://")] = Field(alias="remoteUrl")
    transport: StaticTransport = "streamable-http"
    group_ref: NamedRef | None = None
    external_auth_config_ref: NamedRef | None = None


class MCPRemoteProxy(ClusterModel):
    """A proxy the operator runs in front of a remote MCP server."""

    metadata: ObjectMeta
    spec: MCPRemoteProxySpec
    status: WorkloadStatus | None = None


class MCPGroupStatus(ClusterModel):
    """The group controller's verdict."""

    phase: Literal["Ready", "Pending", "Failed"] | None = None
    conditions: list[Condition] = Field(default_factory=list[Condition])


class MCPGroupSpec(ClusterModel):
    """What an MCPGroup declares."""

    description: str | None = None


class MCPGroup(ClusterModel):
    """The group whose members become the vMCP's backends."""

    metadata: ObjectMeta
    spec: MCPGroupSpec = Field(default_factory=MCPGroupSpec)
    status: MCPGroupStatus | None = None


class TokenExchangeConfig(ClusterModel):
    """RFC 8693 token exchange settings; the client secret by reference."""

    token_url: str = Field(min_length=1, alias="tokenUrl")
    client_id: str | None = None
    client_secret_ref: SecretKeyRef | None = None
    audience: str | None = None
    scopes: list[str] = Field(default_factory=list)
    subject_token_type: str | None = None


class HeaderInjectionConfig(ClusterModel):
    """A header injected with a value from a Secret key."""

    header_name: str = Field(min_length=1)
    value_secret_ref: SecretKeyRef


class MCPExternalAuthConfigSpec(ClusterModel):
    """The auth type and its settings."""

    type: str = Field(min_length=1)
    token_exchange: TokenExchangeConfig | None = None
    header_injection: HeaderInjectionConfig | None = None


class MCPExternalAuthConfig(ClusterModel):
    """How vMCP authenticates to a backend."""

    metadata: ObjectMeta
    spec: MCPExternalAuthConfigSpec
    status: WorkloadStatus | None = None


Member = MCPServerEntry | MCPServer | MCPRemoteProxy
"""An object that joins a group through `spec.groupRef` and may become a vMCP backend."""

Model = TypeVar("Model", bound=ClusterModel)


@dataclass(frozen=True)
class Malformed:
    """A ToolHive object that violates its CRD schema, kept with the precise problem."""

    kind: str
    name: str
    problem: str
    """`<Kind> '<name>': <field.path>: <message>`, one item per problem."""
    group: str | None = None
    """`spec.groupRef.name` as written (when a string), so membership still sees the object."""


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _field_path(loc: tuple[int | str, ...]) -> str:
    """`a.b[0].c`; a key that is not a plain word (a label key) as `a["x.io/y"]`."""
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker: the key itself has the wrong type
            path += " (the key)"
        elif isinstance(part, int):
            path += f"[{part}]"
        elif path and not _PLAIN_KEY.fullmatch(part):
            path += f"[{json.dumps(part)}]"
        else:
            path += f".{part}" if path else part
    return path or "(object)"


def _classes(annotation: object) -> Iterator[object]:
    """The types inside a field annotation (`X | None`, `list[X]`, `dict[str, X]`)."""
    args = get_args(annotation)
    if not args:
        yield annotation
    for arg in args:
        yield from _classes(arg)


def _secret_paths(models: Iterable[type[BaseModel]]) -> tuple[frozenset[str], frozenset[str]]:
    """(wire names of the secret-reference fields, wire names of the fields that contain one).

    Found by walking the models, so a secret reference added to a model is covered at once.
    """
    references: set[str] = set()
    containers: set[str] = set()
    holds: dict[type[BaseModel], bool] = {}

    def contains(model: type[BaseModel]) -> bool:
        if model not in holds:
            holds[model] = False  # a model that refers to itself holds nothing by that path
            for name, info in model.model_fields.items():
                wire = info.alias or name
                inner = [c for c in _classes(info.annotation) if isinstance(c, type)]
                if SecretKeyRef in inner:
                    references.add(wire)
                    holds[model] = True
                elif any(issubclass(c, BaseModel) and contains(c) for c in inner):
                    containers.add(wire)
                    holds[model] = True
        return holds[model]

    for model in models:
        contains(model)
    return frozenset(references), frozenset(containers)


SECRET_REFERENCE_FIELDS, SECRET_CONTAINER_FIELDS = _secret_paths(
    (MCPServerEntry, MCPServer, MCPRemoteProxy, MCPGroup, MCPExternalAuthConfig)
)
"""Where a value found may be a secret written in the wrong place: at or under a secret
reference (`valueSecretRef: "Bearer ..."`), or where a structure holding one is expected."""
CLEAR_TEXT_VALUE_FIELDS = frozenset({"addPlaintextHeaders"})
"""Fields whose values are often credentials though not references (plaintext headers)."""


def _withheld(loc: tuple[int | str, ...]) -> bool:
    """Whether the input at `loc` may be a secret value, so that no message may show it."""
    names = [part for part in loc if isinstance(part, str)]
    return bool(names) and (
        names[-1] in SECRET_CONTAINER_FIELDS
        or any(n in SECRET_REFERENCE_FIELDS or n in CLEAR_TEXT_VALUE_FIELDS for n in names)
    )


def _problem(item: ErrorDetails) -> str:
    loc, got = item["loc"], item.get("input")
    path = _field_path(loc)
    if _withheld(loc):
        if loc[-1] in SECRET_REFERENCE_FIELDS and item["type"] == "model_type":
            return (
                f"{path}: must be a Secret key reference {{name, key}}, not a value (what is "
                "written there is not shown: it may be a secret)"
            )
        return f"{path}: {item['msg']} (the value is not shown: it may be a secret)"
    quiet = item["type"] in ("missing", "vmcp_config") or isinstance(got, (dict, list))
    shown = "" if quiet else f" (got {echo(cast('object', got))})"
    fix = type_fix(item)
    return f"{path}: {item['msg']}{shown}" + (f"; {fix}" if fix else "")


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: `field.path: message (got value)`, in pydantic's order.

    The value is never shown where it may be a secret (`_withheld`).
    """
    return "; ".join(_problem(item) for item in error.errors(include_url=False))


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

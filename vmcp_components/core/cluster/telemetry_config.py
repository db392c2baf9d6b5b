"""Typed views of the objects `telemetryConfigRef` and `compositeToolRefs` name.

MCPTelemetryConfig (`mcptelemetryconfig_types.go` of ToolHive v0.63.0) with the CRD's schema,
its CEL rules and the Go `Validate` the operator runs before using one (`handleTelemetryConfig`),
in their words; sensitive headers are Secret key references, their values are never read.
VirtualMCPCompositeToolDefinition keeps its spec raw: the spec is a vmcp CompositeToolConfig,
typed and checked by the settings' composite-tool models when a render uses it.
Like MCPOIDCConfig, both serve the whole vMCP: a missing or broken one fails the run.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from vmcp_components.core.cluster.models import (
    CABundleSource,
    ClusterModel,
    Condition,
    ObjectMeta,
    WorkloadStatus,
)

TELEMETRY_CA_VOLUME_PREFIX = "otel-ca-bundle-"
_MAX_CA_CONFIG_MAP_NAME = 63 - len(TELEMETRY_CA_VOLUME_PREFIX)
_SAMPLING_RATE = re.compile(r"^(0(\.\d+)?|1(\.0+)?)$")


class SensitiveHeaderSecret(ClusterModel):
    """`secretKeyRef` of a sensitive header (the CRD requires both keys, empty strings pass)."""

    name: str
    key: str


class SensitiveHeader(ClusterModel):
    """An OTLP header whose value stays in a Secret; it reaches the pod as a secretKeyRef."""

    name: str = Field(min_length=1)
    secret_key_ref: SensitiveHeaderSecret


class Enabled(ClusterModel):
    """`metrics`: on or off (CRD default off)."""

    enabled: StrictBool = False


class Tracing(ClusterModel):
    """`tracing`: on or off, and the sampling rate (CRD default "0.05", 0 to 1)."""

    enabled: StrictBool = False
    sampling_rate: str = "0.05"

    @field_validator("sampling_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        if not _SAMPLING_RATE.match(value):
            raise ValueError(
                f"samplingRate {value!r} must match ^(0(\\.\\d+)?|1(\\.0+)?)$ (a rate from 0 to 1, "
                "CRD pattern)"
            )
        return value


class OpenTelemetry(ClusterModel):
    """`spec.openTelemetry`: the OTLP exporter (used only when `enabled`)."""

    enabled: StrictBool = False
    endpoint: str = ""
    insecure: StrictBool = False
    headers: dict[str, str] | None = None
    sensitive_headers: list[SensitiveHeader] | None = None
    resource_attributes: dict[str, str] | None = None
    metrics: Enabled | None = None
    tracing: Tracing | None = None
    use_legacy_attributes: StrictBool = True
    ca_bundle_ref: CABundleSource | None = None

    @model_validator(mode="after")
    def _crd_rules(self) -> OpenTelemetry:
        names = [header.name for header in self.sensitive_headers or []]
        if len(set(names)) != len(names):
            raise ValueError("sensitiveHeaders lists a name twice (list-map key: name)")
        # the CEL rule on spec.openTelemetry, in its words
        if any(name in (self.headers or {}) for name in names):
            raise ValueError("a header name cannot appear in both headers and sensitiveHeaders")
        return self


class Prometheus(ClusterModel):
    """`spec.prometheus`: the /metrics endpoint."""

    enabled: StrictBool = False
    metrics_on_transport_port: StrictBool | None = None


class MCPTelemetryConfigSpec(ClusterModel):
    """OpenTelemetry and Prometheus settings shared by the servers that reference them."""

    open_telemetry: OpenTelemetry | None = None
    prometheus: Prometheus | None = None

    @model_validator(mode="after")
    def _validate(self) -> MCPTelemetryConfigSpec:
        problem = go_validate(self.open_telemetry)
        if problem:
            raise ValueError(problem)
        return self


def go_validate(otel: OpenTelemetry | None) -> str | None:
    """`MCPTelemetryConfig.Validate` (endpoint, sensitive headers, CA bundle), in its order."""
    if otel is None:
        return None
    tracing = otel.tracing is not None and otel.tracing.enabled
    metrics = otel.metrics is not None and otel.metrics.enabled
    if otel.endpoint and not tracing and not metrics:
        return "endpoint requires at least one of tracing or metrics to be enabled"
    for index, header in enumerate(otel.sensitive_headers or []):
        where = f"openTelemetry.sensitiveHeaders[{index}].secretKeyRef"
        if not header.secret_key_ref.name:
            return f"{where}.name must not be empty"
        if not header.secret_key_ref.key:
            return f"{where}.key must not be empty"
    bundle = otel.ca_bundle_ref
    if bundle is None:
        return None
    if otel.insecure:
        return (
            "openTelemetry.caBundleRef cannot be specified when insecure is true; they are "
            "mutually exclusive"
        )
    name = bundle.config_map_ref.name if bundle.config_map_ref else ""
    if len(name) > _MAX_CA_CONFIG_MAP_NAME:
        return (
            f'openTelemetry.caBundleRef.configMapRef.name "{name}" is too long ({len(name)} '
            f"chars); maximum is {_MAX_CA_CONFIG_MAP_NAME}"
        )
    return None


class MCPTelemetryConfig(ClusterModel):
    """A shared telemetry configuration, referenced by `telemetryConfigRef`."""

    metadata: ObjectMeta
    spec: MCPTelemetryConfigSpec = Field(default_factory=MCPTelemetryConfigSpec)
    status: WorkloadStatus | None = None


class CompositeToolDefinitionStatus(ClusterModel):
    """What ToolHive's webhook found (`validationStatus` Invalid fails the references)."""

    validation_status: Literal["Valid", "Invalid", "Unknown"] | None = None
    validation_errors: list[str] = Field(default_factory=list[str])
    conditions: list[Condition] = Field(default_factory=list[Condition])


class VirtualMCPCompositeToolDefinition(ClusterModel):
    """A composite tool defined once, referenced by `compositeToolRefs`; spec kept raw."""

    metadata: ObjectMeta
    spec: dict[str, Any]
    status: CompositeToolDefinitionStatus | None = None

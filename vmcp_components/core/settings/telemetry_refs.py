"""The VirtualMCPServer CRD's telemetry and composite-tool references.

`spec.telemetryConfigRef`, `spec.config.telemetry` and `spec.config.compositeToolRefs`.

Each is typed after the v0.63.0 CRD (`MCPTelemetryConfigReference`, vmcp's `telemetry.Config`
and `CompositeToolRef`) with its rules. What the operator does with them, which this product
matches (`cmd/thv-operator/pkg/vmcpconfig/converter.go`):

- `telemetryConfigRef` is resolved into config.yaml's `telemetry` (`core.backends.telemetry`).
- `config.telemetry` (inline) is accepted by the CRD but **no longer read by the operator**
  (`normalizeTelemetry` returns only the reference's section): it is typed here, never
  written, and a render that has it warns, naming `telemetryConfigRef` as the fix.
- `compositeToolRefs` stay in config.yaml as written, and the referenced definitions are
  appended after the inline `compositeTools` (`core.backends.composite_refs`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field

from vmcp_components.core.settings.base import SettingsModel
from vmcp_components.core.settings.go_values import GoBool, GoInt, GoString
from vmcp_components.core.settings.vmcp_sections import VmcpSection, refuse


class TelemetryConfigRef(SettingsModel):
    """`telemetryConfigRef`: an MCPTelemetryConfig in the namespace, and this vMCP's name in it."""

    name: str = Field(min_length=1)
    service_name: str | None = Field(default=None, alias="serviceName")
    """`service.name` of this vMCP's telemetry; unset: the vMCP's name."""


class InlineTelemetry(VmcpSection):
    """`config.telemetry` (telemetry.Config), with the CRD's defaults; not used by the operator."""

    go_type: ClassVar[str] = "telemetry.Config"

    endpoint: GoString | None = None
    service_name: GoString | None = Field(default=None, alias="serviceName")
    service_version: GoString | None = Field(default=None, alias="serviceVersion")
    tracing_enabled: GoBool = Field(default=False, alias="tracingEnabled")
    metrics_enabled: GoBool = Field(default=False, alias="metricsEnabled")
    sampling_rate: GoString = Field(default="0.05", alias="samplingRate")
    headers: dict[str, GoString] | None = None
    insecure: GoBool = False
    enable_prometheus_metrics_path: GoBool = Field(
        default=False, alias="enablePrometheusMetricsPath"
    )
    prometheus_port: GoInt | None = Field(default=None, alias="prometheusPort")
    metrics_on_transport_port: GoBool | None = Field(default=None, alias="metricsOnTransportPort")
    environment_variables: list[GoString] | None = Field(default=None, alias="environmentVariables")
    custom_attributes: dict[str, GoString] | None = Field(default=None, alias="customAttributes")
    use_legacy_attributes: GoBool = Field(default=True, alias="useLegacyAttributes")
    ca_cert_path: GoString | None = Field(default=None, alias="caCertPath")


INLINE_TELEMETRY_IGNORED = (
    "telemetry (spec.config.telemetry) is not read by the ToolHive operator v0.63.0, so it is "
    "not written into config.yaml; reference an MCPTelemetryConfig with telemetryConfigRef "
    "instead"
)


class CompositeToolRef(VmcpSection):
    """One `compositeToolRefs` item: a VirtualMCPCompositeToolDefinition in the namespace."""

    go_type: ClassVar[str] = "config.CompositeToolRef"

    name: GoString


def _refs(refs: list[CompositeToolRef] | None) -> list[CompositeToolRef] | None:
    """Vmcp's `validateCompositeToolRefs`, in its order and words, then the fix."""
    seen: set[str] = set()
    for index, ref in enumerate(refs or []):
        if not ref.name:
            raise refuse(
                f"compositeToolRefs[{index}].name is required; name a "
                "VirtualMCPCompositeToolDefinition of the namespace"
            )
        if ref.name in seen:
            raise refuse(
                f"duplicate composite tool reference: {ref.name}; list each definition once"
            )
        seen.add(ref.name)
    return refs


CompositeToolRefs = Annotated[list[CompositeToolRef] | None, AfterValidator(_refs)]
"""The `compositeToolRefs` setting, checked as a whole as vmcp does."""

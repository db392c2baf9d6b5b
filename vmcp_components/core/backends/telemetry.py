"""`telemetryConfigRef` resolved from the cluster, as ToolHive v0.63.0's operator writes it.

The referenced MCPTelemetryConfig becomes config.yaml's `telemetry` exactly as
`spectoconfig.NormalizeMCPTelemetryConfig` fills it (OTLP only when `openTelemetry.enabled`,
the endpoint without its scheme, the sampling rate as Go formats a float, `serviceName` from the
reference or the vMCP's name). The pod gets what `GenerateOpenTelemetryEnvVarsFromRef` and
`AddTelemetryCABundleVolumes` add: `OTEL_RESOURCE_ATTRIBUTES`, one
`TOOLHIVE_OTEL_HEADER_<NAME>` per sensitive header as a `secretKeyRef` (the header's value is
never read, written or kept), and the CA bundle under `/config/certs/otel/<configmap>`.

Kept as upstream has it (the operator is the oracle): `caCertPath` is not written, so vmcp
does not use the mounted CA, and vmcp v0.63.0 reads no `TOOLHIVE_OTEL_HEADER_*` variable.
The object serves the whole vMCP, so a missing or broken one, or a missing Secret key or CA
ConfigMap key, is a `TelemetryError` naming the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import SecretEnv
from vmcp_components.core.backends.incoming_auth import (
    ConfigMapVolume,
    check_config_map_key,
    required_object,
)
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import MCP_TELEMETRY_CONFIG
from vmcp_components.core.cluster.references import SecretKeyUse, missing_secret_key
from vmcp_components.core.cluster.telemetry_config import (
    TELEMETRY_CA_VOLUME_PREFIX,
    MCPTelemetryConfig,
)
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError

TELEMETRY_CA_ROOT = "/config/certs/otel"
RESOURCE_ATTRIBUTES_ENV = "OTEL_RESOURCE_ATTRIBUTES"
SENSITIVE_HEADER_ENV_PREFIX = "TOOLHIVE_OTEL_HEADER_"
SETTING = "telemetryConfigRef"


class TelemetryError(VmcpError):
    """The referenced MCPTelemetryConfig is missing or unusable: the vMCP cannot be configured."""


@dataclass(frozen=True)
class Telemetry:
    """config.yaml's `telemetry` (None: not written), and what the pod needs for it."""

    document: dict[str, Any] | None = None
    literal_env: tuple[tuple[str, str], ...] = ()
    secret_env: tuple[SecretEnv, ...] = ()
    volumes: tuple[ConfigMapVolume, ...] = ()


def header_env_name(header: str) -> str:
    """`normalizeHeaderEnvVarName`: dashes to underscores, upper case, after the prefix."""
    return SENSITIVE_HEADER_ENV_PREFIX + header.replace("-", "_").upper()


def telemetry_uses(
    config: MCPTelemetryConfig,
) -> tuple[tuple[SecretKeyUse, ...], ConfigMapVolume | None]:
    """(the sensitive headers' Secret keys, the CA bundle ConfigMap) an MCPTelemetryConfig uses."""
    otel = config.spec.open_telemetry
    if otel is None:
        return (), None
    name = config.metadata.name
    secrets = tuple(
        SecretKeyUse(
            header.secret_key_ref.name,
            header.secret_key_ref.key,
            f'MCPTelemetryConfig "{name}" sensitiveHeaders[{header.name}]',
        )
        for header in otel.sensitive_headers or ()
    )
    bundle = otel.ca_bundle_ref.config_map_ref if otel.ca_bundle_ref else None
    if bundle is None:
        return secrets, None
    key = naming.ca_bundle_key(bundle.key)
    volume = ConfigMapVolume(
        f"{TELEMETRY_CA_VOLUME_PREFIX}{bundle.name}",
        bundle.name,
        key,
        f"{TELEMETRY_CA_ROOT}/{bundle.name}",
    )
    return secrets, volume


def go_float(text: str) -> str:
    """Go's `FormatFloat(clamp(ParseFloat(text)), 'f', -1, 64)`: "1.0" -> "1", "0.50" -> "0.5"."""
    rate = min(max(float(text), 0.0), 1.0)
    shown = format(Decimal(repr(rate)), "f")
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def telemetry_document(config: MCPTelemetryConfig, service_name: str) -> dict[str, Any]:
    """`NormalizeMCPTelemetryConfig`'s telemetry.Config, in its YAML order and omitempty."""
    otel = config.spec.open_telemetry
    prometheus = config.spec.prometheus
    on = otel if otel is not None and otel.enabled else None
    tracing = on.tracing if on else None
    document: dict[str, Any] = {
        "endpoint": on.endpoint.removeprefix("https://").removeprefix("http://") if on else "",
        "serviceName": service_name,
        "tracingEnabled": bool(tracing and tracing.enabled),
        "metricsEnabled": bool(on and on.metrics and on.metrics.enabled),
        "samplingRate": go_float(tracing.sampling_rate) if tracing else "",
        "headers": dict(sorted((on.headers or {}).items())) if on else {},
        "insecure": bool(on and on.insecure),
        "enablePrometheusMetricsPath": bool(prometheus and prometheus.enabled),
        "metricsOnTransportPort": prometheus.metrics_on_transport_port if prometheus else None,
        "customAttributes": dict(sorted((on.resource_attributes or {}).items())) if on else {},
        "useLegacyAttributes": bool(on and on.use_legacy_attributes),
    }
    always = ("tracingEnabled", "metricsEnabled", "useLegacyAttributes")  # no omitempty
    written = {
        key: value
        for key, value in document.items()
        if key in always or value not in (None, "", {}, False)
    }
    if document["metricsOnTransportPort"] is False:  # a *bool: only nil is omitted
        written["metricsOnTransportPort"] = False
    return {key: written[key] for key in document if key in written}


def resolve_telemetry(inventory: Inventory, name: str, args: VirtualMCPServerArgs) -> Telemetry:
    """config.yaml's `telemetry` for vMCP `name` and the pod's env and volumes for it."""
    ref = args.telemetry_config_ref
    if ref is None:
        return Telemetry()
    config = required_object(inventory, MCP_TELEMETRY_CONFIG, ref.name, SETTING, TelemetryError)
    secrets, volume = telemetry_uses(config)
    for use in secrets:
        missing = missing_secret_key(inventory, use)
        if missing is not None:
            raise TelemetryError(f"{SETTING}: {missing.reason}; create it or fix the reference")
    if volume is not None:
        check_config_map_key(
            inventory, volume, f'MCPTelemetryConfig "{ref.name}" caBundleRef', TelemetryError
        )
    env_names: dict[str, str] = {}
    headers = config.spec.open_telemetry.sensitive_headers if config.spec.open_telemetry else None
    for header in headers or ():
        env_name = header_env_name(header.name)
        if env_name in env_names:
            raise TelemetryError(
                f'{SETTING}: MCPTelemetryConfig "{ref.name}" sensitive headers '
                f'"{env_names[env_name]}" and "{header.name}" both become the env var '
                f"{env_name}; rename one of them"
            )
        env_names[env_name] = header.name
    service_name = ref.service_name or name
    return Telemetry(
        document=telemetry_document(config, service_name),
        literal_env=(
            (
                RESOURCE_ATTRIBUTES_ENV,
                f"service.name={service_name},service.namespace={args.namespace}",
            ),
        ),
        secret_env=tuple(
            SecretEnv(header_env_name(use_name), use.secret, use.key)
            for use_name, use in zip(env_names.values(), secrets, strict=True)
        ),
        volumes=(volume,) if volume else (),
    )

"""What a user configures: the component's arguments, also the shape of the stack config.

One pydantic model serves the component, the `render` CLI and `__main__.py`, so a wrong key or
type is rejected the same way everywhere, with the key's path in the message: `parse_args`
and `vmcp_name` raise `ArgsError`. (The validators raise `ValueError`, pydantic's convention;
it never leaves this module.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from vmcp_components.core import naming
from vmcp_components.core.cluster.models import describe_validation_error
from vmcp_components.core.settings.base import SettingsModel
from vmcp_components.core.settings.composite_checks import CompositeTools
from vmcp_components.core.settings.operator_spec import (
    Audit,
    CodeMode,
    PassthroughHeaders,
    PodTemplateSpec,
)
from vmcp_components.core.settings.optimizer import EmbeddingServerRef, Optimizer, spec_rules
from vmcp_components.core.settings.session_storage import RateLimiting, SessionStorage
from vmcp_components.core.settings.telemetry_refs import (
    CompositeToolRefs,
    InlineTelemetry,
    TelemetryConfigRef,
)
from vmcp_components.core.settings.vmcp_aggregation import Aggregation
from vmcp_components.core.settings.vmcp_operational import Operational
from vmcp_components.core.settings.vmcp_sections import IncomingAuth
from vmcp_components.core.settings.workload import (
    Affinity,
    Annotations,
    Labels,
    PodDisruptionBudget,
    Resources,
    Toleration,
    TopologySpreadConstraint,
    check_reserved,
)
from vmcp_components.errors import VmcpError, echo

DEFAULT_IMAGE = "ghcr.io/stacklok/toolhive/vmcp:v0.63.0"

MAX_NAME_LENGTH = 58
"""The Service is `vmcp-<name>` and must be a DNS-1035 label (<= 63): so name <= 58."""


class ArgsError(VmcpError):
    """The arguments (component, stack config or CLI options) are invalid; names the key."""


def _check_vmcp_name(name: str) -> str:
    if len(name) > MAX_NAME_LENGTH or not naming.is_dns_label(name):
        raise ValueError(
            f"{echo(name)} is not a valid vMCP name: use at most {MAX_NAME_LENGTH} lowercase "
            "letters, "
            "digits and '-', starting and ending with a letter or digit "
            "(the Service 'vmcp-<name>' must be a DNS-1035 label)"
        )
    return name


def _check_dns_label(value: str, what: str) -> str:
    if not naming.is_dns_label(value):
        raise ValueError(
            f"{echo(value)} is not a valid {what}: use at most 63 lowercase letters, digits "
            "and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _check_object_name(value: str, what: str) -> str:
    if not naming.is_dns_subdomain(value):
        raise ValueError(
            f"{echo(value)} is not a valid {what}: use a Kubernetes object name (lowercase "
            "letters, "
            "digits, '-' and '.', at most 253 characters)"
        )
    return value


def _names(values: list[str], what: str, key: str) -> list[str]:
    """Object names, each valid and none twice (in the given order)."""
    for value in values:
        _check_object_name(value, what)
    if len(set(values)) != len(values):
        raise ValueError(f"{key} lists a name twice")
    return values


class ExternalAuthConfigName(SettingsModel):
    """A reference to an MCPExternalAuthConfig in the group's namespace."""

    name: str

    @field_validator("name")
    @classmethod
    def _valid(cls, value: str) -> str:
        return _check_object_name(value, "MCPExternalAuthConfig name")


class BackendAuth(SettingsModel):
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


class OutgoingAuth(SettingsModel):
    """vMCP's `outgoingAuth`: a default strategy and per-backend overrides."""

    default: BackendAuth | None = None
    backends: dict[str, BackendAuth] = Field(default_factory=dict)


class VirtualMCPServerArgs(SettingsModel):
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
    """Kubernetes Service type of `vmcp-<name>`: ClusterIP, NodePort or LoadBalancer."""
    incoming_auth: IncomingAuth = Field(default_factory=IncomingAuth, alias="incomingAuth")
    """vMCP `incomingAuth` (anonymous, oidc, local; authz), typed and checked as vMCP does."""
    outgoing_auth: OutgoingAuth = Field(default_factory=OutgoingAuth, alias="outgoingAuth")
    aggregation: Aggregation | None = None
    """vMCP `aggregation`, typed and checked as vMCP does; unset or empty: prefix resolution."""
    operational: Operational | None = None
    """vMCP `operational`, typed and checked as vMCP does; unset fields get vMCP's defaults."""
    composite_tools: CompositeTools = Field(default=None, alias="compositeTools")
    """vMCP `compositeTools`: workflows over the backends' tools, checked as vMCP does."""
    composite_tool_refs: CompositeToolRefs = Field(default=None, alias="compositeToolRefs")
    """VirtualMCPCompositeToolDefinitions of the namespace, appended to `compositeTools`."""
    telemetry_config_ref: TelemetryConfigRef | None = Field(
        default=None, alias="telemetryConfigRef"
    )
    """An MCPTelemetryConfig of the namespace: config.yaml's `telemetry` (OTLP, Prometheus)."""
    telemetry: InlineTelemetry | None = None
    """`config.telemetry`: accepted as the CRD does, not used (the operator ignores it too)."""
    audit: Audit | None = None
    """vMCP `audit` (written when `enabled`; `component` defaults to the vMCP's name)."""
    code_mode: CodeMode | None = Field(default=None, alias="codeMode")
    """vMCP `codeMode` (CRD defaults: stepLimit 100000, parallelMaxConcurrency 10, 30s)."""
    metadata: dict[str, str] | None = None
    """vMCP `metadata`: free key/value pairs in config.yaml."""
    passthrough_headers: PassthroughHeaders = Field(default=None, alias="passthroughHeaders")
    """Caller headers vMCP forwards to every backend (never Authorization, Cookie, hop-by-hop)."""
    session_affinity: Literal["ClientIP", "None"] = Field(
        default="ClientIP", alias="sessionAffinity"
    )
    """The Service's `sessionAffinity`."""
    pod_template_spec: PodTemplateSpec | None = Field(default=None, alias="podTemplateSpec")
    """A pod template patch, strategic-merged onto the generated one (the container is `vmcp`)."""
    session_storage: SessionStorage | None = Field(default=None, alias="sessionStorage")
    """Session storage (`redis` for several replicas); the password only as a Secret key."""
    rate_limiting: RateLimiting | None = Field(default=None, alias="rateLimiting")
    """vMCP `rateLimiting` (token buckets: shared, perUser, per tool); needs Redis storage."""
    optimizer: Optimizer | None = None
    """vMCP `optimizer` (find_tool/call_tool over embeddings); needs an embedding service."""
    embedding_server_ref: EmbeddingServerRef | None = Field(
        default=None, alias="embeddingServerRef"
    )
    """The EmbeddingServer whose URL becomes `optimizer.embeddingService`."""
    strict: bool = False
    """Fail the deployment when any group member is skipped (for production stacks)."""
    preflight: Literal["off", "warn", "strict"] = "off"
    """Probe every backend before any change (`vmcp-components[preflight]`): `warn` makes each
    failure a warning, `strict` fails the run. YAML 1.1's `off` (false) means `off`."""
    entries: list[str] | None = None
    """Explicit MCPServerEntry names to use instead of discovering the group's members."""

    # ─── workload settings: unset means exactly the operator-shaped default ───
    resources: Resources | None = None
    """Container requests/limits; replaces the default (requests 100m/128Mi, limits 500m/512Mi)."""
    node_selector: Labels | None = Field(default=None, alias="nodeSelector")
    """Pod `nodeSelector`."""
    tolerations: list[Toleration] | None = None
    """Pod `tolerations`."""
    affinity: Affinity | None = None
    """Pod `affinity` (nodeAffinity, podAffinity, podAntiAffinity)."""
    topology_spread_constraints: list[TopologySpreadConstraint] | None = Field(
        default=None, alias="topologySpreadConstraints"
    )
    """Pod `topologySpreadConstraints`; one without `labelSelector` selects the vMCP's pods."""
    priority_class_name: str | None = Field(default=None, alias="priorityClassName")
    """Pod `priorityClassName`."""
    image_pull_secrets: list[str] | None = Field(default=None, alias="imagePullSecrets")
    """Secret names for pulling the image, on the pod (the only pod that runs as its account)."""
    pod_annotations: Annotations | None = Field(default=None, alias="podAnnotations")
    """Extra pod-template annotations (not the config checksum)."""
    pod_labels: Labels | None = Field(default=None, alias="podLabels")
    """Extra pod-template labels (not the selector labels)."""
    service_account_annotations: Annotations | None = Field(
        default=None, alias="serviceAccountAnnotations"
    )
    """Annotations of the ServiceAccount made here (cloud workload identity)."""
    service_annotations: Annotations | None = Field(default=None, alias="serviceAnnotations")
    """Annotations of the Service (load balancers)."""
    labels: Labels | None = None
    """Extra labels on every object and pod; setting it (even `{}`) also adds the standard
    `app.kubernetes.io/*` labels (name, instance, component, part-of, managed-by)."""
    pod_disruption_budget: PodDisruptionBudget | None = Field(
        default=None, alias="podDisruptionBudget"
    )
    """Unset: a PodDisruptionBudget (maxUnavailable 1) when replicas > 1; `{enabled: false}`
    turns it off; `{minAvailable: ...}` or `{maxUnavailable: ...}` sets the bound (and makes one
    for any replica count, e.g. under an HPA)."""
    security_context_mode: Literal["kubernetes", "openshift"] = Field(
        default="kubernetes", alias="securityContextMode"
    )
    """`kubernetes`: fixed UID/GID 1000 (the operator's default); `openshift`: no fixed
    runAsUser/runAsGroup/fsGroup, so the restricted SCC assigns them (as the operator does)."""

    @field_validator("preflight", mode="before")
    @classmethod
    def _preflight(cls, value: object) -> object:
        return "off" if value is False or value == "false" else value

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
        return None if value is None else sorted(_names(value, "MCPServerEntry name", "entries"))

    @field_validator("priority_class_name")
    @classmethod
    def _priority_class_name(cls, value: str | None) -> str | None:
        return None if value is None else _check_object_name(value, "PriorityClass name")

    @field_validator("image_pull_secrets")
    @classmethod
    def _image_pull_secrets(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return _names(value, "image pull Secret name", "imagePullSecrets")

    @model_validator(mode="after")
    def _workload_settings_fit(self) -> VirtualMCPServerArgs:
        if self.service_account is not None and self.service_account_annotations:
            raise ValueError(
                "serviceAccountAnnotations annotate the ServiceAccount this component makes; with "
                "serviceAccount set, none is made: annotate that ServiceAccount instead"
            )
        selector = naming.workload_labels("x")
        standard = naming.standard_labels("x")
        standard.pop("app.kubernetes.io/part-of")  # yours to set
        check_reserved(
            self.labels or {}, {**selector, **naming.config_labels("x"), **standard}, "labels"
        )
        check_reserved(self.pod_labels or {}, selector, "podLabels")
        check_reserved(
            self.pod_annotations or {},
            {naming.RUNCONFIG_CHECKSUM_ANNOTATION: ""},
            "podAnnotations",
        )
        spec_rules(
            session_storage=self.session_storage,
            rate_limiting=self.rate_limiting,
            incoming_type=self.incoming_auth.type,
            optimizer=self.optimizer,
            embedding_server_ref=self.embedding_server_ref,
        )
        return self

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(ch.isspace() for ch in value):
            raise ValueError(f"{echo(value)} is not a container image reference")
        return value

    def named_auth_configs(self) -> list[str]:
        """The auth configs `outgoingAuth` names, sorted: read next to the members' own."""
        auths = [self.outgoing_auth.default, *self.outgoing_auth.backends.values()]
        return sorted(
            auth.external_auth_config_ref.name
            for auth in auths
            if auth is not None and auth.external_auth_config_ref is not None
        )


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

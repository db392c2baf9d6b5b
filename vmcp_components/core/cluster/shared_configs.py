"""Typed views of the vMCP-wide objects a VirtualMCPServer names: OIDC, authz, embedding server.

Unlike a member's MCPExternalAuthConfig, these serve the whole vMCP (incoming authentication and
authorization), so a missing or broken one fails the run instead of skipping a member. The models
mirror `toolhive.stacklok.dev/v1beta1` v0.63.0 (`mcpoidcconfig_types.go`,
`mcpauthzconfig_types.go`, `embeddingserver_types.go`): camelCase on the wire, unknown fields
ignored, the CRD's required fields and the Go `Validate` rule (the section set if and only if
its type) enforced.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, model_validator

from vmcp_components.core.cluster.models import (
    CABundleSource,
    ClusterModel,
    ObjectMeta,
    SecretKeyRef,
    WorkloadStatus,
)


class KubernetesServiceAccountOIDC(ClusterModel):
    """`spec.kubernetesServiceAccount`: tokens of the cluster's own issuer."""

    service_account: str = ""
    namespace: str = ""
    issuer: str = ""
    jwks_url: str = Field(default="", alias="jwksUrl")
    introspection_url: str = ""
    use_cluster_auth: StrictBool | None = None


class InlineOIDC(ClusterModel):
    """`spec.inline`: an external OIDC provider; the client secret by reference only."""

    issuer: str = Field(min_length=1)
    jwks_url: str = Field(default="", alias="jwksUrl")
    introspection_url: str = ""
    client_id: str = ""
    client_secret_ref: SecretKeyRef | None = None
    ca_bundle_ref: CABundleSource | None = None
    jwks_auth_token_path: str = ""
    jwks_allow_private_ip: StrictBool = Field(default=False, alias="jwksAllowPrivateIP")
    protected_resource_allow_private_ip: StrictBool = Field(
        default=False, alias="protectedResourceAllowPrivateIP"
    )
    insecure_allow_http: StrictBool = Field(default=False, alias="insecureAllowHTTP")


class MCPOIDCConfigSpec(ClusterModel):
    """Where the OIDC settings come from: `kubernetesServiceAccount` or `inline`."""

    type: Literal["kubernetesServiceAccount", "inline"]
    kubernetes_service_account: KubernetesServiceAccountOIDC | None = None
    inline: InlineOIDC | None = None

    @model_validator(mode="after")
    def _section_matches_type(self) -> MCPOIDCConfigSpec:
        # MCPOIDCConfig.Validate (validateTypeConfigConsistency), in its words and order
        if (self.kubernetes_service_account is None) == (self.type == "kubernetesServiceAccount"):
            raise ValueError(
                "kubernetesServiceAccount configuration must be set if and only if type is "
                "'kubernetesServiceAccount'"
            )
        if (self.inline is None) == (self.type == "inline"):
            raise ValueError("inline configuration must be set if and only if type is 'inline'")
        return self


class MCPOIDCConfig(ClusterModel):
    """A shared OIDC configuration, referenced by `incomingAuth.oidcConfigRef`."""

    metadata: ObjectMeta
    spec: MCPOIDCConfigSpec
    status: WorkloadStatus | None = None


class MCPAuthzConfigSpec(ClusterModel):
    """An authorizer type (`cedarv1` for vMCP) and its raw options (`policies`, ...)."""

    type: str = Field(min_length=1)
    config: dict[str, Any]


class MCPAuthzConfig(ClusterModel):
    """A shared authorization configuration, referenced by `incomingAuth.authzConfigRef`."""

    metadata: ObjectMeta
    spec: MCPAuthzConfigSpec
    status: WorkloadStatus | None = None


class EmbeddingServerSpec(ClusterModel):
    """What the URL depends on: the port (the CRD's default 8080)."""

    port: int = 0


class EmbeddingServerStatus(ClusterModel):
    """The operator's view: `phase` (Pending, Downloading, Ready, Failed), `url`, replicas."""

    phase: str = ""
    message: str = ""
    url: str = ""
    ready_replicas: int = 0


class EmbeddingServer(ClusterModel):
    """A managed TEI embedding server, referenced by `embeddingServerRef`."""

    metadata: ObjectMeta
    spec: EmbeddingServerSpec = Field(default_factory=EmbeddingServerSpec)
    status: EmbeddingServerStatus | None = None

    def url(self, namespace: str) -> str:
        """`status.url`, else the operator's `http://<name>.<ns>.svc.cluster.local:<port>`."""
        if self.status is not None and self.status.url:
            return self.status.url
        port = self.spec.port if self.spec.port > 0 else 8080
        return f"http://{self.metadata.name}.{namespace}.svc.cluster.local:{port}"

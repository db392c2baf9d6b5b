"""The VirtualMCPServer CRD's references under `incomingAuth`: OIDC and authz from the cluster.

`oidcConfigRef` names an MCPOIDCConfig, `authzConfig` gives Cedar policies inline or from a
ConfigMap, `authzConfigRef` names an MCPAuthzConfig; each is typed after the v0.63.0 CRD
(`MCPOIDCConfigReference`, `AuthzConfigRef`, `MCPAuthzConfigReference`) with its CEL rules.
`core.backends.incoming_auth` reads the referenced objects and writes what the operator's
converter writes into config.yaml.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from vmcp_components.core.settings.base import SettingsModel

_CEDAR_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class OIDCConfigRef(SettingsModel):
    """`incomingAuth.oidcConfigRef`: an MCPOIDCConfig and this vMCP's own audience."""

    name: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    """The audience tokens must carry; unique per server (token replay)."""
    scopes: list[str] | None = None
    resource_url: str | None = Field(default=None, alias="resourceUrl")
    """RFC 9728 resource URL; unset: `http://<name>.<namespace>.svc.cluster.local:4483`."""


class AuthzConfigMapRef(SettingsModel):
    """`authzConfig.configMap`: the ConfigMap key holding a ToolHive authz config (JSON or YAML)."""

    name: str = Field(min_length=1)
    key: str = ""
    """Unset or empty: `authz.json` (the operator's default)."""


class InlineAuthz(SettingsModel):
    """`authzConfig.inline`: Cedar policies and entities."""

    policies: list[str] = Field(min_length=1)
    entities_json: str = Field(default="[]", alias="entitiesJson")


class AuthzConfigSource(SettingsModel):
    """`incomingAuth.authzConfig`: Cedar policies `inline` or from a `configMap`."""

    type: Literal["configMap", "inline"]
    config_map: AuthzConfigMapRef | None = Field(default=None, alias="configMap")
    inline: InlineAuthz | None = None
    group_claim_name: str | None = Field(default=None, alias="groupClaimName", max_length=253)
    role_claim_name: str | None = Field(default=None, alias="roleClaimName", max_length=253)
    group_entity_type: str | None = Field(default=None, alias="groupEntityType", max_length=63)

    @field_validator("group_entity_type")
    @classmethod
    def _cedar_identifier(cls, value: str | None) -> str | None:
        if value is not None and not _CEDAR_IDENTIFIER.match(value):
            raise ValueError(
                f"groupEntityType {value!r} must match ^[A-Za-z_][A-Za-z0-9_]*$ (a Cedar "
                "identifier, CRD pattern)"
            )
        return value

    @model_validator(mode="after")
    def _section_matches_type(self) -> AuthzConfigSource:
        # the CRD's two CEL rules on spec.incomingAuth.authzConfig, in its words
        if (self.type == "configMap") != (self.config_map is not None):
            raise ValueError(
                "configMap must be set when type is 'configMap', and must not be set otherwise"
            )
        if (self.type == "inline") != (self.inline is not None):
            raise ValueError(
                "inline must be set when type is 'inline', and must not be set otherwise"
            )
        return self


class AuthzConfigRef(SettingsModel):
    """`incomingAuth.authzConfigRef`: an MCPAuthzConfig of type `cedarv1`."""

    name: str = Field(min_length=1)

"""The config.yaml sections a user writes, typed after vmcp v0.63.0: the base, and `incomingAuth`.

Each model mirrors one Go struct of `pkg/vmcp/config/config.go` (its YAML names, its Go type in
`go_type`), and checks what `validator.go` checks, in the same order and in vmcp's words, so a
section render accepts is one vmcp accepts (`tests/e2e/test_vmcp_config_agreement.py` runs both on
generated sections). Like vmcp's strict YAML, an unknown field is refused, with the closest
known one named. A message reads `<section>: <vmcp's reason>` and then the fix; where vmcp's
reason starts with the section (`incomingAuth.type must be ...`), the section is not repeated
(`incomingAuth: type must be ...`).

A model keeps the keys in the order they were given and writes back exactly what was given
(`document`): config.yaml holds the user's text, so a config valid before is byte-identical.
`aggregation` lives in `vmcp_aggregation`, `operational` in `vmcp_operational`.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Mapping
from typing import Any, ClassVar, LiteralString, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from vmcp_components.core.settings.go_values import GoBool, GoString
from vmcp_components.core.settings.incoming_refs import (
    AuthzConfigRef,
    AuthzConfigSource,
    OIDCConfigRef,
)
from vmcp_components.errors import echo


def refuse(reason: str) -> PydanticCustomError:
    """A vmcp rule broken: `reason` is vmcp's text plus the fix (never a template)."""
    return PydanticCustomError("vmcp_config", "{reason}", {"reason": reason})


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """` (did you mean "x"?)` for a near miss among `choices`, else nothing."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {echo(match[0])}?)" if match else ""


def one_of(key: str, value: str, choices: tuple[str, ...]) -> str:
    """The `<key> must be one of: a, b` of vmcp, with what was written and the closest choice."""
    return f"{key} must be one of: {', '.join(choices)}; got {echo(value)}{closest(value, choices)}"


def _again(item: ErrorDetails) -> InitErrorDetails:
    """A nested error as it was (its type, location and message), to be raised again."""
    return InitErrorDetails(
        type=PydanticCustomError(
            cast("LiteralString", item["type"]), "{reason}", {"reason": item["msg"]}
        ),
        loc=item["loc"],
        input=item.get("input"),
    )


def _plain(value: object) -> object:
    """A validated value back as plain data, in the order it was given."""
    if isinstance(value, VmcpSection):
        return value.document()
    if isinstance(value, list):
        return [_plain(item) for item in cast("list[object]", value)]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in cast("dict[str, object]", value).items()}
    return value


class VmcpSection(BaseModel):
    """A struct of vmcp's config: its YAML field names only, unknown fields refused."""

    model_config = ConfigDict(frozen=True, populate_by_name=False, extra="ignore")
    go_type: ClassVar[str]
    """The Go type, as yaml.v3 names it when it refuses an unknown field."""
    _given: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _known_fields_in_order(
        cls, data: object, handler: ModelWrapValidatorHandler[VmcpSection]
    ) -> VmcpSection:
        if not isinstance(data, Mapping):
            return handler(data)
        given = cast("Mapping[object, object]", data)
        known = [info.alias or name for name, info in cls.model_fields.items()]
        unknown = [key for key in given if key not in known]
        if not unknown:
            model = handler(data)
            model._given = tuple(cast("list[str]", list(given)))
            return model
        # vmcp's YAML decoder reports every unknown field and every bad value it meets: so do
        # we, the known fields validated without the unknown ones.
        problems: list[InitErrorDetails] = []
        try:
            handler({key: value for key, value in given.items() if key in known})
        except ValidationError as error:
            problems = [_again(item) for item in error.errors(include_url=False)]
        problems += [
            InitErrorDetails(
                type=PydanticCustomError(
                    "unknown_field",
                    "unknown field {field}{hint}: vmcp refuses unknown fields "
                    "(field {bare} not found in type {go_type}); known fields: {known}",
                    {
                        "field": echo(key),
                        "bare": str(key),
                        "hint": closest(str(key), known),
                        "go_type": cls.go_type,
                        "known": ", ".join(known),
                    },
                ),
                loc=(),
                input=given,
            )
            for key in unknown
        ]
        raise ValidationError.from_exception_data(cls.__name__, problems)

    def given(self, key: str) -> bool:
        """Whether `key` (its YAML name) was written, even as null."""
        return key in self._given

    def document(self) -> dict[str, Any]:
        """What was given, as plain data, in the given order (null stays null)."""
        by_alias = {info.alias or name: name for name, info in type(self).model_fields.items()}
        return {key: _plain(getattr(self, by_alias[key])) for key in self._given}


def check_path(where: str, path: str | None) -> str | None:
    """The rule vmcp has for a CA bundle path, as `<where> ...` (or None when it holds)."""
    if not path:
        return None
    if "\x00" in path or ".." in path:
        return f"{where} contains invalid path characters; write an absolute path without '..'"
    if not posixpath.isabs(path):
        return f"{where} must be an absolute path (got {echo(path)})"
    return None


# ─── incomingAuth ───

INCOMING_AUTH_TYPES = ("oidc", "local", "anonymous")
AUTHZ_TYPES = ("cedar", "none")


class OIDCConfig(VmcpSection):
    """OIDC settings of `incomingAuth.oidc`; issuer and audience are required for `type: oidc`."""

    go_type: ClassVar[str] = "config.OIDCConfig"

    issuer: GoString | None = None
    client_id: GoString | None = Field(default=None, alias="clientId")
    client_secret_env: GoString | None = Field(default=None, alias="clientSecretEnv")
    audience: GoString | None = None
    resource: GoString | None = None
    jwks_url: GoString | None = Field(default=None, alias="jwksUrl")
    introspection_url: GoString | None = Field(default=None, alias="introspectionUrl")
    scopes: list[GoString] | None = None
    protected_resource_allow_private_ip: GoBool | None = Field(
        default=None, alias="protectedResourceAllowPrivateIp"
    )
    jwks_allow_private_ip: GoBool | None = Field(default=None, alias="jwksAllowPrivateIp")
    insecure_allow_http: GoBool | None = Field(default=None, alias="insecureAllowHttp")
    ca_bundle_path: GoString | None = Field(default=None, alias="caBundlePath")


class AuthzConfig(VmcpSection):
    """Authorization of `incomingAuth.authz`: `cedar` (with policies) or `none`."""

    go_type: ClassVar[str] = "config.AuthzConfig"

    type: GoString | None = None
    policies: list[GoString] | None = None
    entities_json: GoString | None = Field(default=None, alias="entitiesJson")
    primary_upstream_provider: GoString | None = Field(
        default=None, alias="primaryUpstreamProvider"
    )
    group_claim_name: GoString | None = Field(default=None, alias="groupClaimName")
    role_claim_name: GoString | None = Field(default=None, alias="roleClaimName")
    group_entity_type: GoString | None = Field(default=None, alias="groupEntityType")


CRD_REFERENCES = ("oidcConfigRef", "authzConfig", "authzConfigRef")
"""The VirtualMCPServer CRD's fields of `incomingAuth` that name cluster objects: resolved by
`core.backends.incoming_auth` into `oidc`/`authz`, never written into config.yaml as such."""


class IncomingAuth(VmcpSection):
    """vmcp's `incomingAuth` (IncomingAuthConfig); `type` defaults to anonymous.

    Also takes the CRD's references (`CRD_REFERENCES`) in place of `oidc` or `authz`.
    """

    go_type: ClassVar[str] = "config.IncomingAuthConfig"

    type: GoString = "anonymous"
    oidc: OIDCConfig | None = None
    authz: AuthzConfig | None = None
    oidc_config_ref: OIDCConfigRef | None = Field(default=None, alias="oidcConfigRef")
    authz_config: AuthzConfigSource | None = Field(default=None, alias="authzConfig")
    authz_config_ref: AuthzConfigRef | None = Field(default=None, alias="authzConfigRef")

    @model_validator(mode="after")
    def _vmcp_rules(self) -> IncomingAuth:
        problem = self._problem()
        if problem:
            raise refuse(problem)
        return self

    def _reference_problem(self) -> str | None:
        """The CRD's CEL rules on the references, and their clash with vmcp's own sections."""
        if self.oidc_config_ref is not None and self.oidc is not None:
            return "set either oidc or oidcConfigRef, not both (oidcConfigRef fills oidc)"
        given = [key for key in ("authz", "authzConfig", "authzConfigRef") if self.given(key)]
        if "authzConfig" in given and "authzConfigRef" in given:
            return "authzConfig and authzConfigRef are mutually exclusive; set only one"
        if "authz" in given and len(given) > 1:
            return f"set either authz or {given[1]}, not both ({given[1]} fills authz)"
        return None

    def _problem(self) -> str | None:  # validator.go validateIncomingAuth, in its order
        if self.type not in INCOMING_AUTH_TYPES:
            return one_of("type", self.type, INCOMING_AUTH_TYPES)
        reference_problem = self._reference_problem()
        if reference_problem:
            return reference_problem
        oidc = self.oidc
        if self.type == "oidc" and self.oidc_config_ref is None:
            if oidc is None:
                return (
                    "oidc is required when type is 'oidc'; add incomingAuth.oidcConfigRef (an "
                    "MCPOIDCConfig and the audience) or incomingAuth.oidc with at least issuer "
                    "and audience"
                )
            if not oidc.issuer:
                return "oidc.issuer is required; set it to the OIDC issuer URL"
            if not oidc.audience:
                return "oidc.audience is required; set it to the audience tokens must carry"
            problem = check_path("oidc.caBundlePath", oidc.ca_bundle_path)
            if problem:
                return problem
        authz = self.authz
        if authz is not None:  # validateAuthz
            kind = authz.type or ""
            if kind not in AUTHZ_TYPES:
                return "authz: " + one_of("type", kind, AUTHZ_TYPES)
            if kind == "cedar" and not authz.policies:
                return (
                    "authz: policies are required when type is 'cedar'; add the Cedar policies "
                    "as a list of strings, or use type: none"
                )
        return None

    def references_objects(self) -> bool:
        """Whether a CRD reference is set (config.yaml then needs the referenced objects)."""
        return any(self.given(key) for key in CRD_REFERENCES)

    def document(self) -> dict[str, Any]:
        """`type` always first (vmcp requires it), then oidc and authz when set (not the refs)."""
        document: dict[str, Any] = {"type": self.type}
        for key, value in (("oidc", self.oidc), ("authz", self.authz)):
            if value is not None:
                document[key] = value.document()
        return document

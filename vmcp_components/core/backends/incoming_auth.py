"""`incomingAuth` with its CRD references resolved from the cluster, as the operator writes it.

`oidcConfigRef` (an MCPOIDCConfig), `authzConfig` (Cedar policies inline or from a ConfigMap)
and `authzConfigRef` (an MCPAuthzConfig) become config.yaml's `incomingAuth.oidc` and
`incomingAuth.authz` exactly as ToolHive v0.63.0's converter fills them
(`cmd/thv-operator/pkg/vmcpconfig/converter.go`, `pkg/oidc/resolver.go`): the OIDC client
secret as the env var `VMCP_OIDC_CLIENT_SECRET` (a `secretKeyRef` on the pod, never a value),
the OIDC CA bundle as a ConfigMap volume under `/config/certs/<configmap>`. These objects serve
the whole vMCP, so anything missing or broken is an `IncomingAuthError` naming the fix, not a
skipped member. `incoming_references` names what the references need, for the read plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import yaml

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import SecretEnv
from vmcp_components.core.backends.vmcp_wide import session_secret_uses
from vmcp_components.core.cluster.inventory import Inventory, mapping_or_empty
from vmcp_components.core.cluster.kinds import (
    MCP_AUTHZ_CONFIG,
    MCP_OIDC_CONFIG,
    VALID_CONDITION,
    ToolHiveKind,
)
from vmcp_components.core.cluster.models import ClusterModel, Malformed, WorkloadStatus
from vmcp_components.core.cluster.references import SecretKeyUse, missing_secret_key
from vmcp_components.core.cluster.shared_configs import InlineOIDC, MCPAuthzConfig, MCPOIDCConfig
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.incoming_refs import AuthzConfigSource, OIDCConfigRef
from vmcp_components.errors import VmcpError

OIDC_CLIENT_SECRET_ENV = "VMCP_OIDC_CLIENT_SECRET"  # noqa: S105 (an env var name)
OIDC_CA_ROOT = "/config/certs"
OIDC_CA_VOLUME_PREFIX = "oidc-ca-bundle-"
DEFAULT_AUTHZ_KEY = "authz.json"
CEDAR = "cedarv1"
_K8S_ISSUER = "https://kubernetes.default.svc"
_K8S_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"


class IncomingAuthError(VmcpError):
    """A referenced OIDC or authz object is missing or unusable: the vMCP cannot be configured."""


@dataclass(frozen=True)
class ConfigMapVolume:
    """One ConfigMap key mounted as a file: `<mount_dir>/<key>`."""

    volume_name: str
    config_map: str
    key: str
    mount_dir: str


@dataclass(frozen=True)
class IncomingAuth:
    """config.yaml's `incomingAuth`, and what the pod needs for it."""

    document: dict[str, Any]
    secret_env: tuple[SecretEnv, ...] = ()
    volumes: tuple[ConfigMapVolume, ...] = ()


@dataclass(frozen=True)
class IncomingReferences:
    """The vMCP-wide objects the spec names, for the read plan (existing ones are read).

    `incomingAuth`'s OIDC and authz configs, and also `telemetryConfigRef`'s MCPTelemetryConfig
    and the `compositeToolRefs` definitions (resolved by `core.backends.telemetry` and
    `core.backends.composite_refs`).
    """

    oidc_configs: tuple[str, ...] = ()
    authz_configs: tuple[str, ...] = ()
    config_maps: tuple[str, ...] = ()
    """The authz ConfigMap (named by the setting)."""
    telemetry_configs: tuple[str, ...] = ()
    composite_tools: tuple[str, ...] = ()
    """VirtualMCPCompositeToolDefinition names, in the setting's order."""
    embedding_servers: tuple[str, ...] = ()
    """`embeddingServerRef` (read like the configs above; see `core.backends.vmcp_wide`)."""
    secrets: tuple[str, ...] = ()
    """Secrets the settings name directly (`sessionStorage`'s password and CA): key names only."""


NO_REFERENCES = IncomingReferences()


def incoming_references(args: VirtualMCPServerArgs) -> IncomingReferences:
    """What the arguments reference by name, before any object is read.

    `incomingAuth`'s objects, `telemetryConfigRef`, `compositeToolRefs`, `embeddingServerRef`
    and `sessionStorage`'s Secrets.
    """
    incoming = args.incoming_auth
    source = incoming.authz_config
    telemetry = args.telemetry_config_ref
    embedding = args.embedding_server_ref
    return IncomingReferences(
        oidc_configs=(incoming.oidc_config_ref.name,) if incoming.oidc_config_ref else (),
        authz_configs=(incoming.authz_config_ref.name,) if incoming.authz_config_ref else (),
        config_maps=(source.config_map.name,) if source and source.config_map else (),
        telemetry_configs=(telemetry.name,) if telemetry else (),
        composite_tools=tuple(ref.name for ref in args.composite_tool_refs or ()),
        embedding_servers=(embedding.name,) if embedding else (),
        secrets=tuple(sorted({use.secret for use in session_secret_uses(args)})),
    )


def oidc_uses(config: MCPOIDCConfig) -> tuple[tuple[SecretKeyUse, ...], ConfigMapVolume | None]:
    """(the Secret key, the CA bundle ConfigMap) an MCPOIDCConfig uses (inline type only)."""
    inline = config.spec.inline if config.spec.type == "inline" else None
    if inline is None:
        return (), None
    name = config.metadata.name
    ref = inline.client_secret_ref
    used_for = f'MCPOIDCConfig "{name}" clientSecretRef'
    secrets = (SecretKeyUse(ref.name, ref.key, used_for),) if ref else ()
    bundle = inline.ca_bundle_ref.config_map_ref if inline.ca_bundle_ref else None
    if bundle is None:
        return secrets, None
    key = naming.ca_bundle_key(bundle.key)
    volume = ConfigMapVolume(
        f"{OIDC_CA_VOLUME_PREFIX}{bundle.name}",
        bundle.name,
        key,
        f"{OIDC_CA_ROOT}/{bundle.name}",
    )
    return secrets, volume


def _invalid(status: WorkloadStatus | None) -> str | None:
    for condition in status.conditions if status else ():
        if condition.type == VALID_CONDITION and condition.status == "False":
            return condition.message or condition.reason or "Valid=False"
    return None


M = TypeVar("M", bound=ClusterModel)


def required_object(
    inventory: Inventory,
    kind: ToolHiveKind[M],
    name: str,
    setting: str,
    error: type[VmcpError] | None = None,
) -> M:
    """The `kind` object `setting` names: found, well formed and not marked invalid.

    Else `error` (IncomingAuthError by default), naming the setting and the fix.
    """
    error = error or IncomingAuthError
    found = inventory.get(kind, name)
    if found is None:
        raise error(
            f'{setting}: {kind.kind} "{name}" not found in namespace "{inventory.namespace}"; '
            f"create it there or change {setting}.name"
        )
    if isinstance(found, Malformed):
        raise error(f"{setting}: {found.problem}; fix the {kind.kind}")
    invalid = _invalid(cast("Any", found).status)
    if invalid is not None:
        raise error(f'{setting}: {kind.kind} "{name}" is marked invalid by the operator: {invalid}')
    return found


def check_config_map_key(
    inventory: Inventory,
    volume: ConfigMapVolume,
    used_for: str,
    error: type[VmcpError] | None = None,
) -> str:
    """The text at `volume`'s ConfigMap key; else `error` (IncomingAuthError) naming the fix."""
    error = error or IncomingAuthError
    data = inventory.config_maps.get(volume.config_map)
    if data is None:
        raise error(
            f'ConfigMap "{volume.config_map}" referenced by {used_for} not found in namespace '
            f'"{inventory.namespace}"; create it or fix the reference'
        )
    if volume.key not in data:
        raise error(
            f'ConfigMap "{volume.config_map}" has no key "{volume.key}" referenced by {used_for}; '
            f"keys: {', '.join(sorted(data)) or '(none)'}"
        )
    return data[volume.key]


def _inline_oidc(inline: InlineOIDC) -> dict[str, Any]:
    return {
        "issuer": inline.issuer,
        "clientId": inline.client_id,
        "jwksUrl": inline.jwks_url,
        "introspectionUrl": inline.introspection_url,
        "protectedResourceAllowPrivateIp": inline.protected_resource_allow_private_ip,
        "jwksAllowPrivateIp": inline.jwks_allow_private_ip,
        "insecureAllowHttp": inline.insecure_allow_http,
    }


def _oidc(
    inventory: Inventory, ref: OIDCConfigRef, name: str, namespace: str
) -> tuple[dict[str, Any], tuple[SecretEnv, ...], tuple[ConfigMapVolume, ...]]:
    """`incomingAuth.oidc` as `mapResolvedOIDCToVmcpConfigFromRef` writes it (Go field order)."""
    setting = "incomingAuth.oidcConfigRef"
    config = required_object(inventory, MCP_OIDC_CONFIG, ref.name, setting)
    secrets, volume = oidc_uses(config)
    for use in secrets:
        missing = missing_secret_key(inventory, use)
        if missing is not None:
            raise IncomingAuthError(f"{setting}: {missing.reason}; create it or fix the reference")
    if volume is not None:
        check_config_map_key(inventory, volume, f'MCPOIDCConfig "{ref.name}" caBundleRef')
    account = config.spec.kubernetes_service_account
    if config.spec.inline is not None:
        found = _inline_oidc(config.spec.inline)
    else:
        assert account is not None  # the model's type rule
        cluster_auth = account.use_cluster_auth is not False
        found = {
            "issuer": account.issuer or _K8S_ISSUER,
            "clientId": "",
            "jwksUrl": account.jwks_url,
            "introspectionUrl": account.introspection_url,
            "jwksAllowPrivateIp": cluster_auth,
        }
    resource = (
        ref.resource_url or f"http://{name}.{namespace}.svc.cluster.local:{naming.PROXY_PORT}"
    )
    ca_path = f"{volume.mount_dir}/{volume.key}" if volume else ""
    if account is not None and account.use_cluster_auth is not False:
        ca_path = _K8S_CA
    env = tuple(SecretEnv(OIDC_CLIENT_SECRET_ENV, u.secret, u.key) for u in secrets)
    document = {
        "issuer": found["issuer"],
        "clientId": found["clientId"],
        "clientSecretEnv": OIDC_CLIENT_SECRET_ENV if env else "",
        "audience": ref.audience,
        "resource": resource,
        "jwksUrl": found["jwksUrl"],
        "introspectionUrl": found["introspectionUrl"],
        "scopes": list(ref.scopes or []),
        "protectedResourceAllowPrivateIp": found.get("protectedResourceAllowPrivateIp", False),
        "jwksAllowPrivateIp": found["jwksAllowPrivateIp"],
        "insecureAllowHttp": found.get("insecureAllowHttp", False),
        "caBundlePath": ca_path,
    }
    always = ("issuer", "clientId", "audience")  # yaml.v3: no omitempty on these
    oidc = {k: v for k, v in document.items() if k in always or v not in ("", [], False)}
    return oidc, env, (volume,) if volume else ()


def _cedar_options(raw: object, where: str) -> dict[str, Any]:
    """The `cedar` options of a ToolHive authz config ({version, type: cedarv1, cedar: {...}})."""
    config = mapping_or_empty(raw)
    if config.get("type") != CEDAR:
        raise IncomingAuthError(
            f"{where} is not a Cedar config: type must be {CEDAR!r}, got "
            f"{config.get('type')!r} (vMCP's incoming authz is Cedar only)"
        )
    return _cedar_section(config.get("cedar"), where)


def _cedar_section(raw: object, where: str) -> dict[str, Any]:
    options = mapping_or_empty(raw)
    policies = options.get("policies")
    if not isinstance(policies, list) or not policies:
        raise IncomingAuthError(f"{where}: cedar policies are required (a non-empty list)")
    authz: dict[str, Any] = {
        "type": "cedar",
        "policies": [str(p) for p in cast("list[object]", policies)],
    }
    for wire, key in (
        ("entities_json", "entitiesJson"),
        ("group_claim_name", "groupClaimName"),
        ("role_claim_name", "roleClaimName"),
        ("group_entity_type", "groupEntityType"),
    ):
        value = options.get(wire)
        if isinstance(value, str) and value:
            authz[key] = value
    return authz


def _authz_from_config_map(inventory: Inventory, source: AuthzConfigSource) -> dict[str, Any]:
    ref = source.config_map
    assert ref is not None  # the setting's type rule
    key = ref.key or DEFAULT_AUTHZ_KEY
    volume = ConfigMapVolume("", ref.name, key, "")
    raw = check_config_map_key(inventory, volume, "incomingAuth.authzConfig.configMap")
    where = f'authz ConfigMap "{ref.name}" key "{key}"'
    if not raw.strip():
        raise IncomingAuthError(f"{where} is empty; put a ToolHive authz config (cedarv1) there")
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError:
        try:
            parsed = json.loads(raw)
        except ValueError as error:
            raise IncomingAuthError(f"{where} is neither YAML nor JSON: {error}") from None
    return _cedar_options(parsed, where)


def _authz(inventory: Inventory, args: VirtualMCPServerArgs) -> dict[str, Any] | None:
    incoming = args.incoming_auth
    source = incoming.authz_config
    if incoming.authz_config_ref is not None:
        name = incoming.authz_config_ref.name
        config = required_object(inventory, MCP_AUTHZ_CONFIG, name, "incomingAuth.authzConfigRef")
        return _authz_from_ref(config)
    if source is None:
        return None
    if source.inline is not None:
        authz: dict[str, Any] = {"type": "cedar", "policies": list(source.inline.policies)}
        if source.inline.entities_json:
            authz["entitiesJson"] = source.inline.entities_json
    else:
        authz = _authz_from_config_map(inventory, source)
    for key, value in (
        ("groupClaimName", source.group_claim_name),
        ("roleClaimName", source.role_claim_name),
        ("groupEntityType", source.group_entity_type),
    ):
        if value:
            authz[key] = value
    return authz


def _authz_from_ref(config: MCPAuthzConfig) -> dict[str, Any]:
    where = f'MCPAuthzConfig "{config.metadata.name}"'
    if config.spec.type != CEDAR:
        raise IncomingAuthError(
            f"incomingAuth.authzConfigRef: MCPAuthzConfig type {config.spec.type!r} is not yet "
            f"supported for VirtualMCPServer; only {CEDAR} is supported"
        )
    return _cedar_section(config.spec.config, where)


def resolve_incoming_auth(
    inventory: Inventory, name: str, args: VirtualMCPServerArgs
) -> IncomingAuth:
    """config.yaml's `incomingAuth` for vMCP `name`, its CRD references read from `inventory`."""
    incoming = args.incoming_auth
    document = incoming.document()
    if not incoming.references_objects():
        return IncomingAuth(document)
    env: tuple[SecretEnv, ...] = ()
    volumes: tuple[ConfigMapVolume, ...] = ()
    if incoming.oidc_config_ref is not None:
        document["oidc"], env, volumes = _oidc(
            inventory, incoming.oidc_config_ref, name, args.namespace
        )
    authz = _authz(inventory, args)
    if authz is not None:
        document["authz"] = authz
    return IncomingAuth(document, env, volumes)

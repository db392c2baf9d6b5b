"""Outgoing-auth strategies for vMCP from MCPExternalAuthConfig objects, secrets by env-var name.

A strategy goes into `config.yaml` with the *name* of an env var (`clientSecretEnv`,
`headerValueEnv`); the Deployment gets that env var as a `secretKeyRef`. No secret value is
ever read: a Secret is only checked for holding the referenced key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vmcp_components import naming
from vmcp_components.inventory import Inventory
from vmcp_components.models import MCPExternalAuthConfig, ObjectError, parse_object

_TOKEN_TYPE_URNS = {
    "access_token": "urn:ietf:params:oauth:token-type:access_token",
    "id_token": "urn:ietf:params:oauth:token-type:id_token",
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
}
SUPPORTED_AUTH_TYPES = ("tokenExchange", "headerInjection", "unauthenticated")


class AuthConfigError(ValueError):
    """An auth config is missing, invalid, unsupported, or references an absent secret key."""


@dataclass(frozen=True, order=True)
class SecretEnv:
    """An env var filled from a Secret key by the kubelet (`valueFrom.secretKeyRef`)."""

    name: str
    secret: str
    key: str


@dataclass(frozen=True)
class AuthStrategy:
    """One vMCP backend auth strategy, its config name, and the secret env vars it needs."""

    type: str
    body: Mapping[str, Any]
    config_name: str | None
    secret_env: tuple[SecretEnv, ...] = ()

    def document(self) -> dict[str, Any]:
        return {"type": self.type, **self.body}


# `{type: discovered}` in outgoingAuth: vmcp has no such strategy; the operator's converter
# writes `unauthenticated` for it (pkg/vmcpconfig/converter.go), and vmcp refuses anything else.
DISCOVERED = AuthStrategy(type="unauthenticated", body={}, config_name=None)


def check_secret_key(inventory: Inventory, secret: str, key: str, used_for: str) -> None:
    """Raise unless Secret `secret` exists in the inventory and holds `key` (keys only)."""
    keys = inventory.secret_keys.get(secret)
    if keys is None:
        raise AuthConfigError(f'Secret "{secret}" referenced for {used_for} not found')
    if key not in keys:
        raise AuthConfigError(f'Secret "{secret}" has no key "{key}" referenced for {used_for}')


def _token_exchange(config: MCPExternalAuthConfig, inventory: Inventory) -> AuthStrategy:
    spec = config.spec.token_exchange
    name = config.metadata.name
    if spec is None:
        raise AuthConfigError(
            f'MCPExternalAuthConfig "{name}" has type tokenExchange but no spec.tokenExchange'
        )
    body: dict[str, Any] = {"tokenUrl": spec.token_url}
    if spec.client_id:
        body["clientId"] = spec.client_id
    secret_env: tuple[SecretEnv, ...] = ()
    if spec.client_secret_ref is not None:
        ref = spec.client_secret_ref
        check_secret_key(
            inventory, ref.name, ref.key, f'MCPExternalAuthConfig "{name}" clientSecretRef'
        )
        env = naming.token_exchange_secret_env(name)
        body["clientSecretEnv"] = env
        secret_env = (SecretEnv(env, ref.name, ref.key),)
    if spec.audience:
        body["audience"] = spec.audience
    if spec.scopes:
        body["scopes"] = list(spec.scopes)
    if spec.subject_token_type:
        body["subjectTokenType"] = _TOKEN_TYPE_URNS.get(
            spec.subject_token_type, spec.subject_token_type
        )
    return AuthStrategy("token_exchange", {"tokenExchange": body}, name, secret_env)


def _header_injection(config: MCPExternalAuthConfig, inventory: Inventory) -> AuthStrategy:
    spec = config.spec.header_injection
    name = config.metadata.name
    if spec is None:
        raise AuthConfigError(
            f'MCPExternalAuthConfig "{name}" has type headerInjection but no spec.headerInjection'
        )
    ref = spec.value_secret_ref
    check_secret_key(inventory, ref.name, ref.key, f'MCPExternalAuthConfig "{name}" valueSecretRef')
    env = naming.header_injection_secret_env(name)
    body = {"headerInjection": {"headerName": spec.header_name, "headerValueEnv": env}}
    return AuthStrategy("header_injection", body, name, (SecretEnv(env, ref.name, ref.key),))


def _invalid_condition(config: MCPExternalAuthConfig) -> str | None:
    for condition in config.status.conditions if config.status else ():
        if condition.type == "Valid" and condition.status == "False":
            return condition.message or condition.reason or "Valid=False"
    return None


def resolve_auth_config(inventory: Inventory, name: str) -> AuthStrategy:
    """The strategy for MCPExternalAuthConfig `name`, or AuthConfigError saying why not."""
    raw = inventory.get("MCPExternalAuthConfig", name)
    if raw is None:
        raise AuthConfigError(
            f'MCPExternalAuthConfig "{name}" not found in namespace "{inventory.namespace}"'
        )
    try:
        config = parse_object(MCPExternalAuthConfig, raw)
    except ObjectError as error:
        raise AuthConfigError(str(error)) from None
    invalid = _invalid_condition(config)
    if invalid is not None:
        raise AuthConfigError(f'MCPExternalAuthConfig "{name}" is marked invalid: {invalid}')
    if config.spec.type == "tokenExchange":
        return _token_exchange(config, inventory)
    if config.spec.type == "headerInjection":
        return _header_injection(config, inventory)
    if config.spec.type == "unauthenticated":
        return AuthStrategy("unauthenticated", {}, name)
    raise AuthConfigError(
        f'MCPExternalAuthConfig "{name}" has type "{config.spec.type}", which vmcp-components '
        f"does not support in static mode (supported: {', '.join(SUPPORTED_AUTH_TYPES)})"
    )

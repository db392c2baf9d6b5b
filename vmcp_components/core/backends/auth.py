"""Outgoing-auth strategies for vMCP from MCPExternalAuthConfig objects, secrets by env-var name.

A strategy goes into `config.yaml` with the *name* of an env var (`clientSecretEnv`,
`headerValueEnv`); the Deployment gets that env var as a `secretKeyRef`. No secret value is
ever read: a Secret is only checked for holding the referenced key (the Secret keys an auth
config uses come from the reference walk). A config that cannot be used is a `Problem` value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vmcp_components.core import naming
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import MCP_EXTERNAL_AUTH_CONFIG
from vmcp_components.core.cluster.models import Malformed, MCPExternalAuthConfig
from vmcp_components.core.cluster.references import missing_secret_key, references
from vmcp_components.errors import Problem

_TOKEN_TYPE_URNS = {
    "access_token": "urn:ietf:params:oauth:token-type:access_token",
    "id_token": "urn:ietf:params:oauth:token-type:id_token",
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
}
SUPPORTED_AUTH_TYPES = ("tokenExchange", "headerInjection", "unauthenticated")


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
        """The strategy as `config.yaml` writes it: `type` first, then its own section."""
        return {"type": self.type, **self.body}


# `{type: discovered}` in outgoingAuth: vmcp has no such strategy; the operator's converter
# writes `unauthenticated` for it (pkg/vmcpconfig/converter.go), and vmcp refuses anything else.
DISCOVERED = AuthStrategy(type="unauthenticated", body={}, config_name=None)


def _token_exchange(config: MCPExternalAuthConfig) -> AuthStrategy | Problem:
    spec = config.spec.token_exchange
    name = config.metadata.name
    if spec is None:
        return Problem(
            f'MCPExternalAuthConfig "{name}" has type tokenExchange but no spec.tokenExchange'
        )
    body: dict[str, Any] = {"tokenUrl": spec.token_url}
    if spec.client_id:
        body["clientId"] = spec.client_id
    secret_env: tuple[SecretEnv, ...] = ()
    if spec.client_secret_ref is not None:
        ref = spec.client_secret_ref
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


def _header_injection(config: MCPExternalAuthConfig) -> AuthStrategy | Problem:
    spec = config.spec.header_injection
    name = config.metadata.name
    if spec is None:
        return Problem(
            f'MCPExternalAuthConfig "{name}" has type headerInjection but no spec.headerInjection'
        )
    ref = spec.value_secret_ref
    env = naming.header_injection_secret_env(name)
    body = {"headerInjection": {"headerName": spec.header_name, "headerValueEnv": env}}
    return AuthStrategy("header_injection", body, name, (SecretEnv(env, ref.name, ref.key),))


def _invalid_condition(config: MCPExternalAuthConfig) -> str | None:
    for condition in config.status.conditions if config.status else ():
        if condition.type == "Valid" and condition.status == "False":
            return condition.message or condition.reason or "Valid=False"
    return None


def _strategy(config: MCPExternalAuthConfig) -> AuthStrategy | Problem:
    name = config.metadata.name
    if config.spec.type == "tokenExchange":
        return _token_exchange(config)
    if config.spec.type == "headerInjection":
        return _header_injection(config)
    if config.spec.type == "unauthenticated":
        return AuthStrategy("unauthenticated", {}, name)
    return Problem(
        f'MCPExternalAuthConfig "{name}" has type "{config.spec.type}", which vmcp-components '
        f"does not support in static mode (supported: {', '.join(SUPPORTED_AUTH_TYPES)})"
    )


def resolve_auth_config(inventory: Inventory, name: str) -> AuthStrategy | Problem:
    """The strategy for MCPExternalAuthConfig `name`, or the Problem that prevents it."""
    config = inventory.get(MCP_EXTERNAL_AUTH_CONFIG, name)
    if config is None:
        return Problem(
            f'MCPExternalAuthConfig "{name}" not found in namespace "{inventory.namespace}"; '
            "create it there, or fix externalAuthConfigRef.name"
        )
    if isinstance(config, Malformed):
        return Problem(config.problem)
    invalid = _invalid_condition(config)
    if invalid is not None:
        return Problem(f'MCPExternalAuthConfig "{name}" is marked invalid: {invalid}')
    strategy = _strategy(config)
    for use in references(config).secret_keys if isinstance(strategy, AuthStrategy) else ():
        missing = missing_secret_key(inventory, use)
        if missing is not None:
            return missing
    return strategy

"""The one reference walk: which auth config, CA ConfigMap and Secret keys an object uses.

Discovery uses it to know what to read, derivation to know what to check, so the two never
disagree. It walks parsed objects only: a member whose references are malformed (a string
where an object belongs) is a `Malformed` and uses nothing; derivation skips it with the
schema problem. An auth config uses only the Secret of the section its `type` selects.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmcp_components.core import naming
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.models import (
    Malformed,
    MCPExternalAuthConfig,
    MCPServerEntry,
    Member,
    SecretKeyRef,
)
from vmcp_components.errors import Problem, listing


@dataclass(frozen=True, order=True)
class SecretKeyUse:
    """One key of one Secret that the vMCP pod gets as an env var, and what it is for."""

    secret: str
    key: str
    used_for: str
    """How the message names the use: `header "Authorization"`, `MCPExternalAuthConfig ...`."""


@dataclass(frozen=True)
class ConfigMapKeyUse:
    """One key of one ConfigMap mounted into the pod (an entry's CA bundle)."""

    config_map: str
    key: str
    """The key as mounted: `ca.crt` when the reference leaves it empty."""


@dataclass(frozen=True)
class References:
    """Everything one object uses by name in its namespace."""

    auth_config: str | None = None
    ca_bundle: ConfigMapKeyUse | None = None
    secret_keys: tuple[SecretKeyUse, ...] = ()


def _secret_use(ref: SecretKeyRef | None, used_for: str) -> tuple[SecretKeyUse, ...]:
    return () if ref is None else (SecretKeyUse(ref.name, ref.key, used_for),)


def _auth_config_references(config: MCPExternalAuthConfig) -> References:
    name = config.metadata.name
    spec = config.spec
    if spec.type == "tokenExchange" and spec.token_exchange is not None:
        used_for = f'MCPExternalAuthConfig "{name}" clientSecretRef'
        return References(secret_keys=_secret_use(spec.token_exchange.client_secret_ref, used_for))
    if spec.type == "headerInjection" and spec.header_injection is not None:
        used_for = f'MCPExternalAuthConfig "{name}" valueSecretRef'
        return References(secret_keys=_secret_use(spec.header_injection.value_secret_ref, used_for))
    return References()


def _entry_references(entry: MCPServerEntry) -> References:
    spec = entry.spec
    ca_bundle = None
    if spec.ca_bundle_ref is not None and spec.ca_bundle_ref.config_map_ref is not None:
        ref = spec.ca_bundle_ref.config_map_ref
        ca_bundle = ConfigMapKeyUse(ref.name, naming.ca_bundle_key(ref.key))
    headers = spec.header_forward.add_headers_from_secret if spec.header_forward else []
    return References(
        auth_config=spec.external_auth_config_ref.name if spec.external_auth_config_ref else None,
        ca_bundle=ca_bundle,
        secret_keys=tuple(
            SecretKeyUse(
                h.value_secret_ref.name, h.value_secret_ref.key, f'header "{h.header_name}"'
            )
            for h in headers
        ),
    )


def references(obj: Member | MCPExternalAuthConfig | Malformed) -> References:
    """What `obj` uses; a `Malformed` object uses nothing."""
    if isinstance(obj, Malformed):
        return References()
    if isinstance(obj, MCPExternalAuthConfig):
        return _auth_config_references(obj)
    if isinstance(obj, MCPServerEntry):
        return _entry_references(obj)
    ref = obj.spec.external_auth_config_ref
    return References(auth_config=ref.name if ref else None)


def missing_secret_key(inventory: Inventory, use: SecretKeyUse) -> Problem | None:
    """A Problem unless the Secret exists in the inventory and holds the key (names only)."""
    keys = inventory.secret_keys.get(use.secret)
    if keys is None:
        return Problem(
            f'Secret "{use.secret}" referenced for {use.used_for} not found in namespace '
            f'"{inventory.namespace}"; create it there, or reference an existing Secret'
        )
    if use.key not in keys:
        return Problem(
            f'Secret "{use.secret}" has no key "{use.key}" referenced for {use.used_for}; its '
            f"keys are {listing(keys)}: add the key, or reference one of them"
        )
    return None

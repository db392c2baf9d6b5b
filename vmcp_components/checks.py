"""Whether a parsed member can be used, checked the way the ToolHive controllers check it.

An entry the operator marked `Failed` is refused with the operator's message; otherwise an
entry's remote URL (SSRF rules), CA bundle (ConfigMap, key, PEM that parses), auth config and
header Secrets are all checked and every problem is reported at once. An MCPServer or
MCPRemoteProxy needs the `status.url` the operator reports, held to the remoteUrl rules with
in-cluster names allowed, and a usable auth config. Whatever vMCP's own config validator would
refuse for one backend (a `caBundlePath` with `..`, a non-http URL) is caught here, so it skips
that member instead of failing the whole group. What the
checks look at comes from the reference walk; a refusal is a `Problem` value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509

from vmcp_components import naming
from vmcp_components.auth import AuthStrategy, resolve_auth_config
from vmcp_components.errors import Problem, echo
from vmcp_components.inventory import Inventory
from vmcp_components.models import Condition, MCPServerEntry, Member
from vmcp_components.references import (
    ConfigMapKeyUse,
    References,
    missing_secret_key,
    references,
)
from vmcp_components.remote_url import check_remote_url


@dataclass(frozen=True)
class Checked:
    """A member that passed its checks: where vMCP reaches it and how it authenticates."""

    url: str
    auth: AuthStrategy | None
    uses: References


def _operator_failure(conditions: Sequence[Condition]) -> Problem:
    failed = [
        c.message or c.reason for c in conditions if c.status == "False" and c.type != "Valid"
    ]
    overall = [
        c.message or c.reason for c in conditions if c.status == "False" and c.type == "Valid"
    ]
    detail = "; ".join(failed or overall) or "no condition message"
    return Problem(f"the ToolHive operator marked it Failed: {detail}")


def _ca_path_problem(entry: str, use: ConfigMapKeyUse) -> Problem | None:
    """A `caBundlePath` with `..` or NUL anywhere, which vMCP refuses (config/validator.go)."""
    path = naming.ca_bundle_path(entry, use.key)
    if "\x00" in path or ".." in path:
        return Problem(
            f'CA bundle ConfigMap "{use.config_map}" key "{use.key}" gives caBundlePath '
            f"{echo(path)}, which vMCP refuses (it contains '..' or NUL); rename the key and set "
            "caBundleRef.configMapRef.key to the new name"
        )
    return None


def _ca_bundle_problem(
    inventory: Inventory, entry: str, use: ConfigMapKeyUse | None
) -> Problem | None:
    if use is None:
        return None
    if problem := _ca_path_problem(entry, use):
        return problem
    data = inventory.config_maps.get(use.config_map)
    if data is None:
        return Problem(
            f'CA bundle ConfigMap "{use.config_map}" not found in namespace "{inventory.namespace}"'
        )
    pem = data.get(use.key)
    if pem is None:
        return Problem(
            f'CA bundle ConfigMap "{use.config_map}" has no key "{use.key}"; '
            "add the key or set caBundleRef.configMapRef.key"
        )
    try:
        x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return Problem(
            f'CA bundle ConfigMap "{use.config_map}" key "{use.key}" holds no PEM certificate '
            "that parses"
        )
    return None


def _auth(
    inventory: Inventory, name: str, uses: References, overrides: Mapping[str, AuthStrategy]
) -> AuthStrategy | Problem | None:
    if name in overrides:
        return overrides[name]
    if uses.auth_config is None:
        return None
    return resolve_auth_config(inventory, uses.auth_config)


def _joined(problems: Sequence[Problem | None]) -> Problem | None:
    reasons = [problem.reason for problem in problems if problem is not None]
    return Problem("; ".join(reasons)) if reasons else None


def _check_entry(
    inventory: Inventory, entry: MCPServerEntry, overrides: Mapping[str, AuthStrategy]
) -> Checked | Problem:
    if entry.status is not None and entry.status.phase == "Failed":
        return _operator_failure(entry.status.conditions)
    uses = references(entry)
    auth = _auth(inventory, entry.metadata.name, uses, overrides)
    auth_problem = auth if isinstance(auth, Problem) else None
    problem = _joined(
        [
            check_remote_url(entry.spec.remote_url, entry.spec.allow_private_endpoint),
            _ca_bundle_problem(inventory, entry.metadata.name, uses.ca_bundle),
            auth_problem,
            *(missing_secret_key(inventory, use) for use in uses.secret_keys),
        ]
    )
    if problem is not None:
        return problem
    return Checked(entry.spec.remote_url, None if isinstance(auth, Problem) else auth, uses)


def check_member(
    inventory: Inventory, member: Member, overrides: Mapping[str, AuthStrategy]
) -> Checked | Problem:
    """The member's usable URL, auth and references, or the Problem(s) that keep it out."""
    if isinstance(member, MCPServerEntry):
        return _check_entry(inventory, member, overrides)
    kind = type(member).__name__
    if member.status is None or not member.status.url:
        return Problem(
            f"{kind} has no status.url yet; the ToolHive operator sets it once the workload runs"
        )
    # The operator writes status.url, but it lands verbatim in config.yaml: the same form and
    # SSRF rules as a remoteUrl, with in-cluster names allowed (that is where the workload runs).
    if url_problem := check_remote_url(member.status.url, allow_private_endpoint=True):
        return Problem(
            f"status.url (set by the ToolHive operator) is not usable: {url_problem.reason}"
        )
    uses = references(member)
    auth = _auth(inventory, member.metadata.name, uses, overrides)
    if isinstance(auth, Problem):
        return auth
    return Checked(member.status.url, auth, uses)

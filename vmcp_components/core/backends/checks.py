"""Whether a parsed member can be used, checked the way the ToolHive controllers check it.

An entry the operator marked `Failed` is refused with the operator's message; otherwise an
entry's remote URL (SSRF rules), CA bundle (`ca_bundles`), auth config and header Secrets are
all checked and every problem is reported at once. A plaintext header named like a credential
(`CREDENTIAL_HEADERS`) gives a warning, or under `strict` keeps the entry out. An MCPServer or
MCPRemoteProxy needs the `status.url` the operator reports, held to the remoteUrl rules with
in-cluster names allowed, and a usable auth config. Whatever vMCP's own config validator would
refuse for one backend (a `caBundlePath` with `..`, a non-http URL) is caught here, so it skips
that member instead of failing the whole group. What the
checks look at comes from the reference walk; a refusal is a `Problem` value.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import AuthStrategy, resolve_auth_config
from vmcp_components.core.backends.ca_bundles import CABundles
from vmcp_components.core.backends.remote_url import check_remote_url
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import FAILED_PHASE, VALID_CONDITION
from vmcp_components.core.cluster.models import Condition, MCPServerEntry, Member
from vmcp_components.core.cluster.references import References, missing_secret_key, references
from vmcp_components.errors import Problem, echo

CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "*-token",
    "*-key",
    "*-secret",
    "*api-key*",
    "*-password",
)
"""Header names (lower-case `fnmatch` patterns) whose plaintext value is likely a credential."""


@dataclass(frozen=True)
class Checked:
    """A member that passed its checks: where vMCP reaches it, how, and what to warn about."""

    url: str
    auth: AuthStrategy | None
    uses: References
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckContext:
    """What the checks of one render share: the inventory, auth overrides, strictness, CAs."""

    inventory: Inventory
    overrides: Mapping[str, AuthStrategy]
    strict: bool
    """A plaintext credential header keeps the member out instead of giving a warning."""
    ca_bundles: CABundles

    @classmethod
    def at(
        cls,
        inventory: Inventory,
        overrides: Mapping[str, AuthStrategy],
        *,
        strict: bool,
        now: datetime,
    ) -> CheckContext:
        """The context of one render, its CA bundles checked at `now` (timezone-aware)."""
        return cls(inventory, overrides, strict, CABundles(inventory, now))


def _operator_failure(conditions: Sequence[Condition]) -> Problem:
    failed = [
        c.message or c.reason
        for c in conditions
        if c.status == "False" and c.type != VALID_CONDITION
    ]
    overall = [
        c.message or c.reason
        for c in conditions
        if c.status == "False" and c.type == VALID_CONDITION
    ]
    detail = "; ".join(failed or overall) or "no condition message"
    return Problem(f"the ToolHive operator marked it Failed: {detail}")


def _credential_headers(entry: MCPServerEntry) -> list[str]:
    """Plaintext header names of `entry` that look like credentials (`CREDENTIAL_HEADERS`)."""
    forward = entry.spec.header_forward
    names = forward.add_plaintext_headers if forward else {}
    return sorted(
        header
        for header in names
        if any(fnmatch.fnmatchcase(header.lower(), pattern) for pattern in CREDENTIAL_HEADERS)
    )


def _credential_header_warning(entry: str, header: str) -> str:
    return (
        f"plaintext header {echo(header)} looks like a credential: its value is written in clear "
        f"text into the Deployment (env var {naming.header_forward_manifest_env(entry)}), "
        "readable by anyone who can read the Deployment; move it to "
        "headerForward.addHeadersFromSecret with a valueSecretRef"
    )


def _auth(context: CheckContext, name: str, uses: References) -> AuthStrategy | Problem | None:
    if name in context.overrides:
        return context.overrides[name]
    if uses.auth_config is None:
        return None
    return resolve_auth_config(context.inventory, uses.auth_config)


def _joined(problems: Sequence[Problem | None]) -> Problem | None:
    reasons = [problem.reason for problem in problems if problem is not None]
    return Problem("; ".join(reasons)) if reasons else None


def _check_entry(context: CheckContext, entry: MCPServerEntry) -> Checked | Problem:
    if entry.status is not None and entry.status.phase == FAILED_PHASE:
        return _operator_failure(entry.status.conditions)
    name = entry.metadata.name
    uses = references(entry)
    auth = _auth(context, name, uses)
    bundle = context.ca_bundles.check(name, uses.ca_bundle) if uses.ca_bundle else None
    credentials = [_credential_header_warning(name, h) for h in _credential_headers(entry)]
    problem = _joined(
        [
            check_remote_url(entry.spec.remote_url, entry.spec.allow_private_endpoint),
            bundle.problem if bundle else None,
            auth if isinstance(auth, Problem) else None,
            *(missing_secret_key(context.inventory, use) for use in uses.secret_keys),
            *(Problem(reason) for reason in credentials if context.strict),
        ]
    )
    if problem is not None:
        return problem
    warnings = (*(bundle.warnings if bundle else ()), *credentials)
    return Checked(
        entry.spec.remote_url, None if isinstance(auth, Problem) else auth, uses, warnings
    )


def check_member(context: CheckContext, member: Member) -> Checked | Problem:
    """The member's URL, auth, references and warnings, or the Problem(s) that keep it out."""
    if isinstance(member, MCPServerEntry):
        return _check_entry(context, member)
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
    auth = _auth(context, member.metadata.name, uses)
    if isinstance(auth, Problem):
        return auth
    return Checked(member.status.url, auth, uses)

"""Which group members become vMCP backends, and why the others are skipped.

The pipeline over a typed `Inventory`: the group and its members (`membership`), a skip for
each malformed member and each name collision, the checks (`checks`), the conversion
(`conversion`), and last the env-name clashes between backends whose names normalise alike.
A bad member never takes the others down: it becomes a `Skipped` with its reason; a kept
member may carry a `MemberWarning`. Everything returned is sorted by name, so the output is
deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import AuthStrategy
from vmcp_components.core.backends.backend import Backend, GroupBackends
from vmcp_components.core.backends.checks import CheckContext, check_member
from vmcp_components.core.backends.conversion import to_backend
from vmcp_components.core.backends.membership import (
    GroupMember,
    check_group,
    collisions,
    select_members,
)
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.models import Malformed
from vmcp_components.errors import MemberWarning, Problem, Skipped


def _env_conflicts(backends: Sequence[Backend]) -> dict[str, str]:
    """Backends whose env vars would overwrite another backend's (names that normalise alike).

    vMCP looks up every backend's header forwarding in `TOOLHIVE_HEADER_FORWARD_<N(name)>`,
    so a backend without header forwarding also "reads" that variable (expecting none).
    """
    owners: dict[str, dict[object, list[str]]] = {}
    for backend in backends:
        manifest_env = naming.header_forward_manifest_env(backend.name)
        literal = dict(backend.literal_env())
        definitions: list[tuple[str, object]] = [(manifest_env, literal.get(manifest_env))]
        definitions += [(env.name, env) for env in backend.secret_env()]
        for name, definition in definitions:
            owners.setdefault(name, {}).setdefault(definition, []).append(backend.name)
    reasons: dict[str, str] = {}
    for env_name, by_definition in sorted(owners.items()):
        if len(by_definition) < 2:
            continue
        clashing = sorted({b for names in by_definition.values() for b in names})
        for backend in clashing:
            others = ", ".join(f'"{b}"' for b in clashing if b != backend)
            reasons[backend] = (
                f"env var {env_name} would clash with backend {others} (their names normalise to "
                "the same env var); rename one of them"
            )
    return reasons


MAX_ENV_STRING_BYTES = 131072
"""Linux's limit on one `NAME=value` environment string with its NUL (MAX_ARG_STRLEN, 32
pages): a container given a longer one fails to start with "argument list too long"."""


def _env_too_long(backend: Backend) -> str | None:
    """Why one of `backend`'s literal env vars could not reach the container, if it could not."""
    for name, value in backend.literal_env():
        size = len(f"{name}={value}".encode()) + 1
        if size > MAX_ENV_STRING_BYTES:
            return (
                f"env var {name} would be {size} bytes, over the {MAX_ENV_STRING_BYTES} bytes "
                "Linux accepts for one environment string, so the vMCP container could not "
                "start; shorten the plaintext headers or move them to "
                "headerForward.addHeadersFromSecret"
            )
    return None


def _backend(
    context: CheckContext, member: GroupMember, group: str
) -> tuple[Backend, tuple[MemberWarning, ...]] | Skipped:
    if isinstance(member.obj, Malformed):
        return Skipped(member.name, member.kind, f"invalid {member.obj.problem}")
    checked = check_member(context, member.obj)
    if isinstance(checked, Problem):
        return Skipped(member.name, member.kind, checked.reason)
    warnings = tuple(MemberWarning(member.name, member.kind, w) for w in checked.warnings)
    backend = to_backend(member.obj, checked, context.inventory.namespace, group)
    if reason := _env_too_long(backend):
        return Skipped(member.name, member.kind, reason)
    return backend, warnings


def derive_backends(
    inventory: Inventory,
    group: str,
    entry_names: Sequence[str] | None = None,
    auth_overrides: Mapping[str, AuthStrategy] | None = None,
    *,
    strict: bool = False,
    now: datetime | None = None,
) -> GroupBackends:
    """The group's backends, skipped members and warnings, sorted by name (then kind).

    `strict` skips a member for what is otherwise a warning (a plaintext credential header);
    `now` (timezone-aware, default the current time) is when CA certificates must be valid.
    """
    check_group(inventory, group)
    context = CheckContext.at(
        inventory, auth_overrides or {}, strict=strict, now=now or datetime.now(UTC)
    )
    members, skipped = select_members(inventory, group, entry_names)
    colliding = collisions(members)
    backends: list[Backend] = []
    warnings: list[MemberWarning] = []
    for member in members:
        if (member.kind, member.name) in colliding:
            skipped.append(Skipped(member.name, member.kind, colliding[member.kind, member.name]))
            continue
        outcome = _backend(context, member, group)
        if isinstance(outcome, Skipped):
            skipped.append(outcome)
        else:
            backends.append(outcome[0])
            warnings += outcome[1]
    conflicts = _env_conflicts(backends)
    skipped += [Skipped(b.name, b.kind, conflicts[b.name]) for b in backends if b.name in conflicts]
    kept = sorted((b for b in backends if b.name not in conflicts), key=lambda b: b.name)
    return GroupBackends(
        group=group,
        backends=tuple(kept),
        skipped=tuple(sorted(skipped)),
        warnings=tuple(sorted(w for w in warnings if w.name not in conflicts)),
    )

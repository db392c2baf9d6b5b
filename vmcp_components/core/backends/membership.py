"""Group membership: the group itself, which objects are its members, and name collisions.

The MCPGroup must exist and must not be `Failed` (else `GroupError`: nothing can be derived).
Members are the MCPServerEntry, MCPServer and MCPRemoteProxy objects whose `spec.groupRef`
names the group (a `Malformed` one included, by the group it names), or an explicit list of
entries. A name shared by two kinds makes every object with that name a collision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import (
    FAILED_PHASE,
    MCP_GROUP,
    MCP_SERVER_ENTRY,
    MEMBER_KINDS,
)
from vmcp_components.core.cluster.models import Malformed, MCPGroup, Member
from vmcp_components.errors import Skipped, VmcpError, listing


class GroupError(VmcpError):
    """The group itself is missing or unusable: nothing can be derived."""


class GroupMember(NamedTuple):
    """One member of the group, parsed or `Malformed`."""

    kind: str
    name: str
    obj: Member | Malformed


def check_group(inventory: Inventory, group: str) -> MCPGroup:
    """The MCPGroup, or GroupError: it must exist, parse and must not be `Failed`."""
    model = inventory.get(MCP_GROUP, group)
    if model is None:
        raise GroupError(_group_not_found(inventory, group))
    if isinstance(model, Malformed):
        raise GroupError(model.problem)
    if model.status is not None and model.status.phase == FAILED_PHASE:
        detail = "; ".join(
            c.message for c in model.status.conditions if c.status == "False" and c.message
        )
        raise GroupError(
            f'MCPGroup "{group}" in namespace "{inventory.namespace}" is {FAILED_PHASE}'
            + (f": {detail}" if detail else "")
            + "; fix what its status conditions say (kubectl describe mcpgroup), then run again"
        )
    return model


def _group_not_found(inventory: Inventory, group: str) -> str:
    """Where the group is not, which groups there are, and how to fix it."""
    namespace = inventory.namespace
    here = listing(inventory.of_kind(MCP_GROUP))
    elsewhere = [(ns, names) for ns, names in inventory.groups_elsewhere.items() if group in names]
    hint = (
        f'; the snapshot has MCPGroup "{group}" in namespace {listing(ns for ns, _ in elsewhere)}'
        if elsewhere
        else ""
    )
    others = sorted(inventory.groups_elsewhere)
    seen = f"; other namespaces in the snapshot: {listing(others)}" if others and not hint else ""
    return (
        f'MCPGroup "{group}" not found in namespace "{namespace}" (MCPGroups there: {here})'
        f"{hint}{seen}; create the group, or set the group (and namespace) to an existing one"
    )


def group_of(obj: Member | Malformed) -> str | None:
    """The group `obj` names in `spec.groupRef`, None when it names none."""
    if isinstance(obj, Malformed):
        return obj.group
    return obj.spec.group_ref.name if obj.spec.group_ref is not None else None


def select_members(
    inventory: Inventory, group: str, entry_names: Sequence[str] | None
) -> tuple[list[GroupMember], list[Skipped]]:
    """The group's members; explicit entry names replace discovery (a stray one is skipped)."""
    if entry_names is None:
        members = [
            GroupMember(kind.kind, name, obj)
            for kind in MEMBER_KINDS
            for name, obj in inventory.of_kind(kind).items()
            if group_of(obj) == group
        ]
        return members, []
    members: list[GroupMember] = []
    skipped: list[Skipped] = []
    for name in entry_names:
        entry = inventory.get(MCP_SERVER_ENTRY, name)
        current = None if entry is None else group_of(entry)
        if entry is None:
            reason = (
                f'MCPServerEntry "{name}" not found in namespace "{inventory.namespace}"; '
                "create it there, or remove it from the entries list"
            )
            skipped.append(Skipped(name, MCP_SERVER_ENTRY.kind, reason))
        elif current != group:
            where = f'belongs to group "{current}"' if current else "has no spec.groupRef.name"
            reason = f'{where}, not "{group}"; fix spec.groupRef or the entries list'
            skipped.append(Skipped(name, MCP_SERVER_ENTRY.kind, reason))
        else:
            members.append(GroupMember(MCP_SERVER_ENTRY.kind, name, entry))
    return members, skipped


def collisions(members: Sequence[GroupMember]) -> dict[tuple[str, str], str]:
    """(kind, name) -> reason, for every member whose name another kind also uses."""
    kinds_by_name: dict[str, list[str]] = {}
    for member in members:
        kinds_by_name.setdefault(member.name, []).append(member.kind)
    reasons: dict[tuple[str, str], str] = {}
    for name, kinds in kinds_by_name.items():
        for kind in kinds if len(kinds) > 1 else ():
            others = ", ".join(k for k in kinds if k != kind)
            reasons[(kind, name)] = (
                f'name collides with {others} "{name}" in the same group; vMCP routes backends by '
                "name, so rename one of them"
            )
    return reasons

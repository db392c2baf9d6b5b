"""A checked member as a `Backend`: type, URL, transport, metadata and status as upstream.

Metadata follows the operator's converter (an entry's own annotations, minus the Kubernetes
ones, then `tool_type`, `workload_type`, `namespace`, `group`, the phase and the remote URL,
sorted); the status is read from the operator's phase. An MCPServer's transport is its
`proxyMode` when it runs over stdio.
"""

from __future__ import annotations

from vmcp_components.core.backends.backend import Backend, CABundle, HeaderForward
from vmcp_components.core.backends.checks import Checked
from vmcp_components.core.cluster.kinds import (
    BY_KIND,
    FAILED_PHASE,
    MCP_SERVER_ENTRY,
    ToolHiveKind,
)
from vmcp_components.core.cluster.models import MCPServer, MCPServerEntry, Member, ObjectMeta

_HIDDEN_ANNOTATION_PREFIXES = (
    "kubectl.kubernetes.io/",
    "kubernetes.io/",
    "deployment.kubernetes.io/",
    "k8s.io/",
)


def _metadata(
    meta: ObjectMeta,
    namespace: str,
    group: str,
    kind: ToolHiveKind[Member],
    *,
    remote_url: str | None,
) -> dict[str, str]:
    values = {
        key: value
        for key, value in meta.annotations.items()
        if kind is MCP_SERVER_ENTRY and not key.startswith(_HIDDEN_ANNOTATION_PREFIXES)
    }
    values.update(
        {
            "tool_type": "mcp",
            "workload_type": kind.workload_type,
            "namespace": namespace,
            "group": group,
        }
    )
    # never runtime state: a phase change must not change the checksum and roll the pods
    values.pop("workload_status", None)
    if remote_url is not None:
        values["remote_url"] = remote_url
    return dict(sorted(values.items()))


def _health(kind: ToolHiveKind[Member], phase: str | None) -> tuple[str, str]:
    if phase is None:
        return "unknown", "no status from the ToolHive operator; checked by vmcp-components"
    if phase in kind.ready_phases:
        return "ready", f"operator phase {phase}"
    if phase == FAILED_PHASE:
        return "unavailable", f"operator phase {phase}"
    return "unknown", f"operator phase {phase}"


def _entry_backend(entry: MCPServerEntry, checked: Checked, namespace: str, group: str) -> Backend:
    phase = entry.status.phase if entry.status else None
    status, message = _health(MCP_SERVER_ENTRY, phase)
    name = entry.metadata.name
    ca = checked.uses.ca_bundle
    forward = entry.spec.header_forward
    header_forward = None
    if forward is not None and (forward.add_plaintext_headers or forward.add_headers_from_secret):
        from_secret = sorted(
            (item.header_name, item.value_secret_ref.name, item.value_secret_ref.key)
            for item in forward.add_headers_from_secret
        )
        header_forward = HeaderForward(
            name, dict(forward.add_plaintext_headers), tuple(from_secret)
        )
    return Backend(
        name=name,
        kind=MCP_SERVER_ENTRY.kind,
        type=MCP_SERVER_ENTRY.backend_type,
        url=checked.url,
        transport=entry.spec.transport,
        metadata=_metadata(
            entry.metadata,
            namespace,
            group,
            MCP_SERVER_ENTRY,
            remote_url=entry.spec.remote_url,
        ),
        status=status,
        message=message,
        ca_bundle=CABundle(name, ca.config_map, ca.key) if ca else None,
        auth=checked.auth,
        header_forward=header_forward,
    )


def to_backend(member: Member, checked: Checked, namespace: str, group: str) -> Backend:
    """The backend for a member that passed its checks."""
    if isinstance(member, MCPServerEntry):
        return _entry_backend(member, checked, namespace, group)
    kind: ToolHiveKind[Member] = BY_KIND[type(member).__name__]
    phase = member.status.phase if member.status else None
    status, message = _health(kind, phase)
    if isinstance(member, MCPServer):
        spec = member.spec
        transport = spec.proxy_mode if spec.transport == "stdio" else spec.transport
        remote_url = None
    else:
        transport = member.spec.transport
        remote_url = member.spec.remote_url
    return Backend(
        name=member.metadata.name,
        kind=kind.kind,
        type=kind.backend_type,
        url=checked.url,
        transport=transport,
        metadata=_metadata(member.metadata, namespace, group, kind, remote_url=remote_url),
        status=status,
        message=message,
        auth=checked.auth,
    )

"""Which group members become vMCP backends, and why the others are skipped.

Pure derivation over an `Inventory`: select the group's MCPServerEntry, MCPServer and
MCPRemoteProxy objects, validate each as the ToolHive controllers would (schema, operator
phase, SSRF, CA bundle, auth config, header secrets), and convert the good ones into
`Backend`s. A bad member never takes the others down: it becomes a `Skipped` with a reason.
Everything returned is sorted by name, so the output is deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from cryptography import x509

from vmcp_components import naming
from vmcp_components.auth import (
    AuthConfigError,
    AuthStrategy,
    SecretEnv,
    check_secret_key,
    resolve_auth_config,
)
from vmcp_components.errors import VmcpError
from vmcp_components.inventory import Inventory
from vmcp_components.models import (
    MCPGroup,
    MCPRemoteProxy,
    MCPServer,
    MCPServerEntry,
    NamedRef,
    ObjectError,
    ObjectMeta,
    WorkloadStatus,
    parse_object,
)
from vmcp_components.remote_url import RemoteURLError, check_remote_url

MEMBER_KINDS = ("MCPServerEntry", "MCPServer", "MCPRemoteProxy")
BackendType = Literal["entry", "container", "proxy"]
_HIDDEN_ANNOTATION_PREFIXES = (
    "kubectl.kubernetes.io/",
    "kubernetes.io/",
    "deployment.kubernetes.io/",
    "k8s.io/",
)
_READY_PHASES = {
    "MCPServerEntry": ("Valid",),
    "MCPServer": ("Running", "Ready"),
    "MCPRemoteProxy": ("Running", "Ready"),
}


# Go's json.Marshal (which the operator uses) writes UTF-8 as is and escapes these.
_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


Member = TypeVar("Member", MCPServerEntry, MCPServer, MCPRemoteProxy)


class GroupError(VmcpError):
    """The group itself is missing or unusable: nothing can be derived."""


@dataclass(frozen=True)
class CABundle:
    """A CA ConfigMap key mounted for one entry; the file lands exactly at `path`."""

    entry: str
    config_map: str
    key: str

    @property
    def path(self) -> str:
        return naming.ca_bundle_path(self.entry, self.key)

    @property
    def mount_dir(self) -> str:
        return naming.ca_bundle_dir(self.entry)

    @property
    def volume_name(self) -> str:
        return naming.ca_bundle_volume_name(self.entry)


@dataclass(frozen=True)
class HeaderForward:
    """An entry's header injection: literal headers, and headers whose values come from Secrets."""

    entry: str
    plaintext: Mapping[str, str]
    from_secret: tuple[tuple[str, str, str], ...]  # (header, secret, key), sorted by header

    def manifest_env(self) -> tuple[str, str] | None:
        """(name, JSON) of the literal env var telling vMCP which headers to add, or None."""
        manifest: dict[str, dict[str, str]] = {}
        if self.plaintext:
            manifest["addPlaintextHeaders"] = dict(sorted(self.plaintext.items()))
        if self.from_secret:
            manifest["addHeadersFromSecret"] = {
                header: naming.header_forward_identifier(header, self.entry)
                for header, _, _ in self.from_secret
            }
        if not manifest:
            return None
        text = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False)
        return naming.header_forward_manifest_env(self.entry), text.translate(_GO_JSON_ESCAPES)

    def secret_env(self) -> tuple[SecretEnv, ...]:
        return tuple(
            SecretEnv(naming.header_forward_secret_env(header, self.entry), secret, key)
            for header, secret, key in self.from_secret
        )


@dataclass(frozen=True)
class Backend:
    """One backend written to `config.yaml`, with what the Deployment needs to reach it."""

    name: str
    kind: str
    type: BackendType
    url: str
    transport: str
    metadata: Mapping[str, str]
    status: str
    message: str
    ca_bundle: CABundle | None = None
    auth: AuthStrategy | None = None
    header_forward: HeaderForward | None = None

    def static_config(self) -> dict[str, Any]:
        """The `backends[]` item, keys in vMCP's declaration order; `type: entry` for entries."""
        item: dict[str, Any] = {"name": self.name, "url": self.url, "transport": self.transport}
        if self.type == "entry":
            item["type"] = "entry"
        if self.ca_bundle is not None:
            item["caBundlePath"] = self.ca_bundle.path
        item["metadata"] = dict(self.metadata)
        return item

    def literal_env(self) -> tuple[tuple[str, str], ...]:
        manifest = self.header_forward.manifest_env() if self.header_forward else None
        return (manifest,) if manifest else ()

    def secret_env(self) -> tuple[SecretEnv, ...]:
        auth_env = self.auth.secret_env if self.auth else ()
        header_env = self.header_forward.secret_env() if self.header_forward else ()
        return auth_env + header_env


@dataclass(frozen=True, order=True)
class Skipped:
    name: str
    kind: str
    reason: str


@dataclass(frozen=True)
class GroupBackends:
    group: str
    backends: tuple[Backend, ...]
    skipped: tuple[Skipped, ...] = field(default=())


class _Skip(Exception):
    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))


def check_group(inventory: Inventory, group: str) -> MCPGroup:
    """The MCPGroup, or GroupError: it must exist and must not be `Failed`."""
    raw = inventory.get("MCPGroup", group)
    if raw is None:
        raise GroupError(
            f'MCPGroup "{group}" not found in namespace "{inventory.namespace}": create the group '
            "or point the group setting at an existing one"
        )
    try:
        model = parse_object(MCPGroup, raw)
    except ObjectError as error:
        raise GroupError(str(error)) from None
    if model.status is not None and model.status.phase == "Failed":
        detail = "; ".join(
            c.message for c in model.status.conditions if c.status == "False" and c.message
        )
        raise GroupError(
            f'MCPGroup "{group}" in namespace "{inventory.namespace}" is Failed'
            + (f": {detail}" if detail else "")
        )
    return model


def _group_of(raw: Mapping[str, Any]) -> str | None:
    spec = raw.get("spec")
    ref = spec.get("groupRef") if isinstance(spec, Mapping) else None
    name = ref.get("name") if isinstance(ref, Mapping) else None
    return name if isinstance(name, str) else None


def select_members(
    inventory: Inventory, group: str, entry_names: Sequence[str] | None
) -> tuple[list[tuple[str, str, dict[str, Any]]], list[Skipped]]:
    """(kind, name, raw) of the group's members; explicit entry names replace discovery."""
    if entry_names is None:
        members = [
            (kind, name, raw)
            for kind in MEMBER_KINDS
            for name, raw in inventory.of_kind(kind).items()
            if _group_of(raw) == group
        ]
        return members, []
    members, skipped = [], []
    for name in entry_names:
        raw = inventory.get("MCPServerEntry", name)
        if raw is None:
            reason = f'MCPServerEntry "{name}" not found in namespace "{inventory.namespace}"'
            skipped.append(Skipped(name, "MCPServerEntry", reason))
        elif _group_of(raw) != group:
            current = _group_of(raw)
            where = f'belongs to group "{current}"' if current else "has no spec.groupRef.name"
            reason = f'{where}, not "{group}"; fix spec.groupRef or the entries list'

            skipped.append(Skipped(name, "MCPServerEntry", reason))
        else:
            members.append(("MCPServerEntry", name, raw))
    return members, skipped


def _metadata(
    meta: ObjectMeta,
    namespace: str,
    group: str,
    workload_type: str,
    *,
    remote_url: str | None,
) -> dict[str, str]:
    values = {
        key: value
        for key, value in meta.annotations.items()
        if workload_type == "server_entry" and not key.startswith(_HIDDEN_ANNOTATION_PREFIXES)
    }
    values.update(
        {"tool_type": "mcp", "workload_type": workload_type, "namespace": namespace, "group": group}
    )
    # never runtime state: a phase change must not change the checksum and roll the pods
    values.pop("workload_status", None)
    if remote_url is not None:
        values["remote_url"] = remote_url
    return dict(sorted(values.items()))


def _health(kind: str, phase: str | None) -> tuple[str, str]:
    if phase is None:
        return "unknown", "no status from the ToolHive operator; checked by vmcp-components"
    if phase in _READY_PHASES[kind]:
        return "ready", f"operator phase {phase}"
    if phase == "Failed":
        return "unavailable", f"operator phase {phase}"
    return "unknown", f"operator phase {phase}"


def _operator_failure(conditions: Sequence[Any]) -> str:
    failed = [
        c.message or c.reason for c in conditions if c.status == "False" and c.type != "Valid"
    ]
    overall = [
        c.message or c.reason for c in conditions if c.status == "False" and c.type == "Valid"
    ]
    detail = "; ".join(failed or overall) or "no condition message"
    return f"the ToolHive operator marked it Failed: {detail}"


def _check_ca_bundle(inventory: Inventory, entry: MCPServerEntry) -> CABundle | None:
    source = entry.spec.ca_bundle_ref
    if source is None or source.config_map_ref is None:
        return None
    ref = source.config_map_ref
    key = naming.ca_bundle_key(ref.key)
    config_map = inventory.get("ConfigMap", ref.name)
    if config_map is None:
        raise _Skip(
            f'CA bundle ConfigMap "{ref.name}" not found in namespace "{inventory.namespace}"'
        )
    pem = (config_map.get("data") or {}).get(key)
    if pem is None:
        raise _Skip(
            f'CA bundle ConfigMap "{ref.name}" has no key "{key}"; '
            "add the key or set caBundleRef.configMapRef.key"
        )
    try:
        x509.load_pem_x509_certificates(str(pem).encode())
    except ValueError:
        raise _Skip(
            f'CA bundle ConfigMap "{ref.name}" key "{key}" holds no PEM certificate that parses'
        ) from None
    return CABundle(entry=entry.metadata.name, config_map=ref.name, key=key)


def _check_header_forward(inventory: Inventory, entry: MCPServerEntry) -> HeaderForward | None:
    config = entry.spec.header_forward
    if config is None or not (config.add_plaintext_headers or config.add_headers_from_secret):
        return None
    problems = []
    for item in config.add_headers_from_secret:
        ref = item.value_secret_ref
        try:
            check_secret_key(inventory, ref.name, ref.key, f'header "{item.header_name}"')
        except AuthConfigError as error:
            problems.append(str(error))
    if problems:
        raise _Skip(*problems)
    from_secret = sorted(
        (item.header_name, item.value_secret_ref.name, item.value_secret_ref.key)
        for item in config.add_headers_from_secret
    )
    return HeaderForward(
        entry.metadata.name, dict(config.add_plaintext_headers), tuple(from_secret)
    )


def _resolve_auth(
    inventory: Inventory, name: str, ref: NamedRef | None, overrides: Mapping[str, AuthStrategy]
) -> AuthStrategy | None:
    if name in overrides:
        return overrides[name]
    if ref is None:
        return None
    try:
        return resolve_auth_config(inventory, ref.name)
    except AuthConfigError as error:
        raise _Skip(str(error)) from None


def _entry_backend(
    inventory: Inventory, raw: dict[str, Any], group: str, overrides: Mapping[str, AuthStrategy]
) -> Backend:
    entry = _parse_member(MCPServerEntry, raw)
    phase = entry.status.phase if entry.status else None
    if phase == "Failed":
        raise _Skip(_operator_failure(entry.status.conditions if entry.status else []))
    problems: list[str] = []
    results: dict[str, Any] = {}
    checks = {
        "url": lambda: check_remote_url(entry.spec.remote_url, entry.spec.allow_private_endpoint),
        "ca": lambda: _check_ca_bundle(inventory, entry),
        "auth": lambda: _resolve_auth(
            inventory, entry.metadata.name, entry.spec.external_auth_config_ref, overrides
        ),
        "headers": lambda: _check_header_forward(inventory, entry),
    }
    for label, check in checks.items():
        try:
            results[label] = check()
        except (RemoteURLError, _Skip) as error:
            problems.append(str(error))
    if problems:
        raise _Skip(*problems)
    status, message = _health("MCPServerEntry", phase)
    return Backend(
        name=entry.metadata.name,
        kind="MCPServerEntry",
        type="entry",
        url=entry.spec.remote_url,
        transport=entry.spec.transport,
        metadata=_metadata(
            entry.metadata,
            inventory.namespace,
            group,
            "server_entry",
            remote_url=entry.spec.remote_url,
        ),
        status=status,
        message=message,
        ca_bundle=results["ca"],
        auth=results["auth"],
        header_forward=results["headers"],
    )


def _parse_member(model: type[Member], raw: dict[str, Any]) -> Member:
    """The member as its model; a schema violation skips it with the precise field error."""
    try:
        return parse_object(model, raw)
    except ObjectError as error:
        raise _Skip(f"invalid {error}") from None


def _status_url(kind: str, status: WorkloadStatus | None) -> str:
    if status is None or not status.url:
        raise _Skip(
            f"{kind} has no status.url yet; the ToolHive operator sets it once the workload runs"
        )
    return status.url


def _running_workload_backend(
    inventory: Inventory,
    workload: MCPServer | MCPRemoteProxy,
    group: str,
    overrides: Mapping[str, AuthStrategy],
    *,
    transport: str,
    remote_url: str | None,
) -> Backend:
    """An MCPServer or MCPRemoteProxy: routed to the proxy URL the operator reports."""
    kind = type(workload).__name__
    url = _status_url(kind, workload.status)
    phase = workload.status.phase if workload.status else None
    status, message = _health(kind, phase)
    is_server = isinstance(workload, MCPServer)
    return Backend(
        name=workload.metadata.name,
        kind=kind,
        type="container" if is_server else "proxy",
        url=url,
        transport=transport,
        metadata=_metadata(
            workload.metadata,
            inventory.namespace,
            group,
            "mcp_server" if is_server else "remote_proxy",
            remote_url=remote_url,
        ),
        status=status,
        message=message,
        auth=_resolve_auth(
            inventory, workload.metadata.name, workload.spec.external_auth_config_ref, overrides
        ),
    )


def _server_backend(
    inventory: Inventory, raw: dict[str, Any], group: str, overrides: Mapping[str, AuthStrategy]
) -> Backend:
    server = _parse_member(MCPServer, raw)
    spec = server.spec
    transport = spec.proxy_mode if spec.transport == "stdio" else spec.transport
    return _running_workload_backend(
        inventory, server, group, overrides, transport=transport, remote_url=None
    )


def _proxy_backend(
    inventory: Inventory, raw: dict[str, Any], group: str, overrides: Mapping[str, AuthStrategy]
) -> Backend:
    proxy = _parse_member(MCPRemoteProxy, raw)
    return _running_workload_backend(
        inventory,
        proxy,
        group,
        overrides,
        transport=proxy.spec.transport,
        remote_url=proxy.spec.remote_url,
    )


_CONVERTERS = {
    "MCPServerEntry": _entry_backend,
    "MCPServer": _server_backend,
    "MCPRemoteProxy": _proxy_backend,
}


def _collisions(members: Sequence[tuple[str, str, dict[str, Any]]]) -> dict[tuple[str, str], str]:
    kinds_by_name: dict[str, list[str]] = {}
    for kind, name, _ in members:
        kinds_by_name.setdefault(name, []).append(kind)
    reasons = {}
    for name, kinds in kinds_by_name.items():
        for kind in kinds if len(kinds) > 1 else ():
            others = ", ".join(k for k in kinds if k != kind)
            reasons[(kind, name)] = (
                f'name collides with {others} "{name}" in the same group; vMCP routes backends by '
                "name, so rename one of them"
            )
    return reasons


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


def derive_backends(
    inventory: Inventory,
    group: str,
    entry_names: Sequence[str] | None = None,
    auth_overrides: Mapping[str, AuthStrategy] | None = None,
) -> GroupBackends:
    """The group's backends and skipped members, both sorted by name (then kind)."""
    check_group(inventory, group)
    overrides = auth_overrides or {}
    members, skipped = select_members(inventory, group, entry_names)
    collisions = _collisions(members)
    backends: list[Backend] = []
    for kind, name, raw in members:
        if (kind, name) in collisions:
            skipped.append(Skipped(name, kind, collisions[(kind, name)]))
            continue
        try:
            backends.append(_CONVERTERS[kind](inventory, raw, group, overrides))
        except _Skip as skip:
            skipped.append(Skipped(name, kind, str(skip)))
    conflicts = _env_conflicts(backends)
    skipped += [Skipped(b.name, b.kind, conflicts[b.name]) for b in backends if b.name in conflicts]
    kept = sorted((b for b in backends if b.name not in conflicts), key=lambda b: b.name)
    return GroupBackends(group=group, backends=tuple(kept), skipped=tuple(sorted(skipped)))

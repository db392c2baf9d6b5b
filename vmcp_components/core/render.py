"""The main job as one pure function: inventory + arguments -> declared objects + status.

`render` is what both the `render` CLI and the Pulumi component run, so the objects the
component declares are exactly the ones the CLI prints. It refuses (RenderError) rather than
produce something the cluster or vMCP would reject: zero usable backends, a skip under
`strict`, a group too large for one ConfigMap or an object too large for etcd once stored, or
a generated name (object, volume, container) that the API server would refuse. What can be
deployed but should be fixed (an object too large for client-side `kubectl apply`, a member's
warning) comes back as `Rendering.warnings`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import DISCOVERED, AuthStrategy, resolve_auth_config
from vmcp_components.core.backends.backend import Backend, GroupBackends
from vmcp_components.core.backends.composite_refs import resolve_composite_tools
from vmcp_components.core.backends.derivation import derive_backends
from vmcp_components.core.backends.incoming_auth import resolve_incoming_auth
from vmcp_components.core.backends.telemetry import resolve_telemetry
from vmcp_components.core.backends.vmcp_wide import resolve_vmcp_wide
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.models import STATIC_TRANSPORTS
from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.output import manifests
from vmcp_components.core.output.container_env import collect_env
from vmcp_components.core.output.vmcp_config import (
    build_config,
    config_warnings,
    dump_config,
    validate_config,
)
from vmcp_components.core.settings.args import (
    ArgsError,
    BackendAuth,
    VirtualMCPServerArgs,
    vmcp_name,
)
from vmcp_components.core.settings.args_files import offline_args
from vmcp_components.errors import Problem, Skipped, VmcpError

CONFIGMAP_LIMIT_BYTES = 1024 * 1024
"""Kubernetes refuses a ConfigMap whose data exceeds 1 MiB."""
OBJECT_LIMIT_BYTES = 1536 * 1024
"""etcd's default request limit (`--max-request-bytes` 1572864): a larger object is not stored."""
MANAGED_FIELDS_OVERHEAD = 0.5
"""An estimate, not a measurement: server-side apply stores `metadata.managedFields` (the field
set of each manager) with the object, so an object is counted as its JSON plus 50%."""
CLIENT_SIDE_APPLY_LIMIT_BYTES = 256 * 1024
"""Client-side `kubectl apply` keeps the object's JSON in the last-applied-configuration
annotation, and annotations are limited to 256 KiB in total."""


class RenderError(VmcpError):
    """The group cannot be deployed as configured; nothing should be changed."""


@dataclass(frozen=True)
class Rendering:
    """Objects to declare (in apply order) and the status that becomes stack outputs."""

    objects: tuple[dict[str, Any], ...]
    status: dict[str, Any]
    derivation: GroupBackends
    warnings: tuple[str, ...] = ()
    """One line each: members kept with something to fix. The CLI prints them on stderr (with
    `kubectl_apply_warnings`), the component logs them as warnings."""

    def object(self, kind: str) -> dict[str, Any]:
        """The one declared object of `kind`."""
        return next(obj for obj in self.objects if obj["kind"] == kind)


def _resolve_backend_auth(inventory: Inventory, auth: BackendAuth, where: str) -> AuthStrategy:
    if auth.external_auth_config_ref is None:
        return DISCOVERED
    strategy = resolve_auth_config(inventory, auth.external_auth_config_ref.name)
    if isinstance(strategy, Problem):
        raise RenderError(f"{where}: {strategy.reason}")
    return strategy


def _skip_lines(skipped: Sequence[Skipped]) -> str:
    return "; ".join(f'{s.kind} "{s.name}": {s.reason}' for s in skipped)


def _check_deployable(args: VirtualMCPServerArgs, result: GroupBackends) -> None:
    if not result.backends:
        message = (
            f"static mode requires at least one backend with valid transport "
            f"([{' '.join(STATIC_TRANSPORTS)}]), but none were discovered in group {args.group} "
            f"(namespace {args.namespace})"
        )
        raise RenderError(
            message + (f"; skipped: {_skip_lines(result.skipped)}" if result.skipped else "")
        )
    if args.strict and result.skipped:
        raise RenderError(
            f"strict mode: {len(result.skipped)} member(s) of group {args.group} would be skipped: "
            f"{_skip_lines(result.skipped)}"
        )


def _check_size(obj: dict[str, Any], what: str, size: int, limit: int, backends: int) -> None:
    if size > limit:
        raise RenderError(
            f"group too large: the {what} of {obj['kind']} {obj['metadata']['name']} would be "
            f"{size} bytes for {backends} backends, over the {limit}-byte limit; split the group "
            "into several groups, each with its own vMCP"
        )


def _json_size(obj: dict[str, Any]) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def _check_stored_sizes(objects: Sequence[dict[str, Any]], backends: int) -> None:
    """RenderError if an object would not fit in etcd."""
    for obj in objects:
        size = _json_size(obj)
        stored = int(size * (1 + MANAGED_FIELDS_OVERHEAD))
        where = f"{obj['kind']} {obj['metadata']['name']}"
        if stored > OBJECT_LIMIT_BYTES:
            raise RenderError(
                f"group too large: {where} would be stored as about {stored} bytes ({size} bytes "
                f"of JSON plus an estimated {MANAGED_FIELDS_OVERHEAD:.0%} for server-side apply's "
                f"managedFields) for {backends} backends, over etcd's default request limit of "
                f"{OBJECT_LIMIT_BYTES} bytes; split the group into several groups, each with "
                "its own vMCP, or give it fewer entries or fewer CA bundles"
            )


def kubectl_apply_warnings(rendering: Rendering) -> list[str]:
    """One line per object too large for client-side `kubectl apply`.

    For the printed manifests only: Pulumi applies server-side, so the component has no use for
    these.
    """
    warnings: list[str] = []
    for obj in rendering.objects:
        size = _json_size(obj)
        if size > CLIENT_SIDE_APPLY_LIMIT_BYTES:
            warnings.append(
                f"{obj['kind']} {obj['metadata']['name']} is {size} bytes of JSON, over the "
                f"{CLIENT_SIDE_APPLY_LIMIT_BYTES} bytes client-side `kubectl apply` can keep in "
                "its last-applied-configuration annotation; apply the rendered objects with "
                "`kubectl apply --server-side`"
            )
    return warnings


def _invalid_names(obj: dict[str, Any]) -> list[str]:
    """What is wrong with the names `obj` gives to the API server (object, volumes, containers)."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    problems: list[str] = []
    if kind == "Service":  # a DNS-1035 label: also starts with a letter
        if not (naming.is_dns_label(name) and name[:1].isalpha()):
            problems.append(f"name {name!r} is not a DNS-1035 label")
    elif not naming.is_dns_subdomain(name):
        problems.append(f"name {name!r} is not a DNS subdomain")
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    for volume in pod.get("volumes", []):
        if not naming.is_dns_label(volume["name"]):
            problems.append(f"volume name {volume['name']!r} is not a DNS label")
    for container in pod.get("containers", []):
        if not naming.is_dns_label(container["name"]):
            problems.append(f"container name {container['name']!r} is not a DNS label")
    return problems


def _check_names(objects: Sequence[dict[str, Any]]) -> None:
    """RenderError naming the object if any generated name would be refused by the API server."""
    for obj in objects:
        problems = _invalid_names(obj)
        if problems:
            raise RenderError(
                f"{obj['kind']} {obj['metadata']['name']}: {'; '.join(problems)} (Kubernetes "
                "would refuse it); this is a bug in vmcp-components, please report it"
            )


def status_record(backend: Backend) -> dict[str, Any]:
    """A backend as one `discoveredBackends` item."""
    return {
        "name": backend.name,
        "kind": backend.kind,
        "type": backend.type,
        "url": backend.url,
        "transport": backend.transport,
        "status": backend.status,
        "authType": backend.auth.type if backend.auth else None,
        "caBundlePath": backend.ca_bundle.path if backend.ca_bundle else None,
        "message": backend.message,
    }


def render(
    inventory: Inventory, name: str, args: VirtualMCPServerArgs, *, now: datetime | None = None
) -> Rendering:
    """Derive backends and every object to declare; raise RenderError when undeployable.

    `now` (timezone-aware; default the current time) is when CA certificates must be valid.
    """
    overrides = {
        backend: _resolve_backend_auth(inventory, auth, f"outgoingAuth.backends.{backend}")
        for backend, auth in sorted(args.outgoing_auth.backends.items())
    }
    default_auth = None
    if args.outgoing_auth.default is not None:
        default_auth = _resolve_backend_auth(
            inventory, args.outgoing_auth.default, "outgoingAuth.default"
        )
    incoming = resolve_incoming_auth(inventory, name, args)
    telemetry = resolve_telemetry(inventory, name, args)
    tools = resolve_composite_tools(inventory, args)
    wide = resolve_vmcp_wide(inventory, args)
    result = derive_backends(
        inventory, args.group, args.entries, overrides, strict=args.strict, now=now
    )
    _check_deployable(args, result)

    document = build_config(
        name,
        args,
        result.backends,
        default_auth,
        incoming.document,
        composite_tools=tools,
        telemetry=telemetry.document,
        vmcp_wide=wide.sections,
    )
    validate_config(document)
    config_map = manifests.config_map(
        name, args.namespace, dump_config(document), manifests.common_labels(name, args)
    )
    config_bytes = sum(len(k.encode()) + len(v.encode()) for k, v in config_map["data"].items())
    _check_size(config_map, "data", config_bytes, CONFIGMAP_LIMIT_BYTES, len(result.backends))
    checksum = config_map["metadata"]["annotations"][naming.CHECKSUM_ANNOTATION]

    extra_env = (
        *(default_auth.secret_env if default_auth else ()),
        *incoming.secret_env,
        *telemetry.secret_env,
        *wide.secret_env,
    )
    env = collect_env(name, args.namespace, result.backends, extra_env, telemetry.literal_env)
    deployment = manifests.deployment(
        name,
        args,
        result.backends,
        checksum,
        env,
        incoming_volumes=incoming.volumes,
        telemetry_volumes=telemetry.volumes,
        secret_files=wide.secret_files,
    )

    objects = [] if args.service_account else manifests.rbac(name, args)
    objects += [config_map, deployment, manifests.service(name, args)]
    if manifests.wants_pod_disruption_budget(args):
        objects.append(manifests.pod_disruption_budget(name, args))
    _check_names(objects)
    _check_stored_sizes(objects, len(result.backends))
    status = {
        "discoveredBackends": [status_record(b) for b in result.backends],
        "backendCount": len(result.backends),
        "skippedBackends": [
            {"name": s.name, "kind": s.kind, "reason": s.reason} for s in result.skipped
        ],
        "configChecksum": checksum,
        "url": naming.service_url(name, args.namespace),
    }
    warnings = tuple(w.line() for w in result.warnings) + config_warnings(args, result.backends)
    warnings += wide.warnings
    return Rendering(objects=tuple(objects), status=status, derivation=result, warnings=warnings)


def render_snapshot(
    snapshot: str | Inventory,
    args: VirtualMCPServerArgs | Mapping[str, Any],
    *,
    name: str | None = None,
    now: datetime | None = None,
) -> Rendering:
    """What `VirtualMCPServer(name, args)` declares for the namespace in `snapshot`, offline.

    `snapshot` is the text `vmcp-components snapshot` (or `kubectl get -o yaml`) writes, or an
    Inventory of the arguments' namespace. `args` is the mapping the component takes (or the
    model); `kubeconfig` and `context` are ignored. The vMCP's name is `args["name"]`, else
    `name` (the component's resource name). Raises a VmcpError (ArgsError, SnapshotError,
    RenderError, ...) with a message that says what to fix.
    """
    settings = offline_args(args)
    chosen = settings.name or name
    if not chosen:
        raise ArgsError(
            "no vMCP name: set `name` in the arguments, or pass name= (the component's name)"
        )
    inventory = (
        load_snapshot(snapshot, settings.namespace) if isinstance(snapshot, str) else snapshot
    )
    if inventory.namespace != settings.namespace:
        raise ArgsError(
            f"the inventory is of namespace {inventory.namespace!r}, the arguments name "
            f"{settings.namespace!r}; read the snapshot for the arguments' namespace"
        )
    return render(inventory, vmcp_name(chosen), settings, now=now)

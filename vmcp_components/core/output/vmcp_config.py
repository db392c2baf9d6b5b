"""The vMCP `config.yaml` for static mode: build it, check it as the vMCP binary would, dump it.

Keys, order and defaults follow the operator's converter (top-level order of vMCP's Config
struct, backends sorted by name, map keys sorted); entry backends carry `type: entry`, which
the operator forgets but the binary's validator requires next to `caBundlePath`.
"""

from __future__ import annotations

import copy
import functools
import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any, cast

from vmcp_components.core.backends.auth import AuthStrategy
from vmcp_components.core.backends.backend import Backend
from vmcp_components.core.cluster.models import STATIC_TRANSPORTS
from vmcp_components.core.output import yaml_text
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.composite_tools import CompositeTool
from vmcp_components.core.settings.telemetry_refs import INLINE_TELEMETRY_IGNORED
from vmcp_components.core.settings.vmcp_aggregation import DEFAULT_PREFIX_FORMAT
from vmcp_components.core.settings.vmcp_operational import DEFAULT_OPERATIONAL
from vmcp_components.core.settings.vmcp_sections import closest
from vmcp_components.errors import VmcpError, echo

DEFAULT_AGGREGATION: dict[str, Any] = {
    "conflictResolution": "prefix",
    "conflictResolutionConfig": {"prefixFormat": DEFAULT_PREFIX_FORMAT},
}


# vmcp v0.63.0's outgoing auth strategy types (pkg/vmcp/config/validator.go)
VMCP_AUTH_TYPES = (
    "unauthenticated",
    "header_injection",
    "token_exchange",
    "upstream_inject",
    "aws_sts",
    "obo",
    "xaa",
)


class ConfigValidationError(VmcpError):
    """The generated config would be refused by the vMCP binary at start-up."""


def _fill_defaults(given: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """User values kept; only absent (or empty) fields take vMCP's defaults, recursively."""
    merged = copy.deepcopy(dict(given))
    for key, default in defaults.items():
        value = merged.get(key)
        if isinstance(default, Mapping) and isinstance(value, Mapping):
            merged[key] = _fill_defaults(
                cast("Mapping[str, Any]", value), cast("Mapping[str, Any]", default)
            )
        elif value in (None, "", 0, {}):
            merged[key] = copy.deepcopy(cast("object", default))
    return merged


def _outgoing_auth(default: AuthStrategy | None, backends: Sequence[Backend]) -> dict[str, Any]:
    section: dict[str, Any] = {"source": "inline"}
    if default is not None:
        section["default"] = default.document()
    per_backend = {b.name: b.auth.document() for b in backends if b.auth is not None}
    if per_backend:
        section["backends"] = dict(sorted(per_backend.items()))
    return section


def build_config(
    name: str,
    args: VirtualMCPServerArgs,
    backends: Sequence[Backend],
    default_auth: AuthStrategy | None = None,
    incoming_auth: Mapping[str, Any] | None = None,
    *,
    composite_tools: Sequence[CompositeTool] | None = None,
    telemetry: Mapping[str, Any] | None = None,
    vmcp_wide: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The config document, as plain data in vMCP's key order.

    `incoming_auth` is the section with its CRD references resolved (`core.backends.
    incoming_auth`); unset, the setting is written as given. `composite_tools` are the inline
    and referenced tools (`core.backends.composite_refs`; unset: the inline ones), `telemetry`
    the section `telemetryConfigRef` resolves to (`core.backends.telemetry`), `vmcp_wide` holds
    `optimizer`, `sessionStorage` and `rateLimiting` as `core.backends.vmcp_wide` resolves them.
    """
    wide = vmcp_wide or {}
    aggregation = args.aggregation
    document: dict[str, Any] = {
        "name": name,
        "groupRef": args.group,
        "backends": [backend.static_config() for backend in sorted(backends, key=lambda b: b.name)],
        "incomingAuth": dict(incoming_auth)
        if incoming_auth is not None
        else args.incoming_auth.document(),
        "outgoingAuth": _outgoing_auth(default_auth, backends),
        "aggregation": copy.deepcopy(DEFAULT_AGGREGATION)
        if aggregation is None or aggregation.is_empty()
        else aggregation.document(),
    }
    tools = args.composite_tools if composite_tools is None else composite_tools
    if tools:
        document["compositeTools"] = [tool.document() for tool in tools]
    if args.composite_tool_refs:
        document["compositeToolRefs"] = [ref.document() for ref in args.composite_tool_refs]
    document["operational"] = _fill_defaults(
        args.operational.document() if args.operational else {}, DEFAULT_OPERATIONAL
    )
    if args.metadata:
        document["metadata"] = dict(sorted(args.metadata.items()))
    if telemetry is not None:
        document["telemetry"] = dict(telemetry)
    audit = args.audit.for_config(name) if args.audit else None
    if audit:
        document["audit"] = audit
    if "optimizer" in wide:
        document["optimizer"] = wide["optimizer"]
    if args.code_mode is not None:
        document["codeMode"] = args.code_mode.for_config()
    document.update({k: wide[k] for k in ("sessionStorage", "rateLimiting") if k in wide})
    if args.passthrough_headers:
        document["passthroughHeaders"] = list(args.passthrough_headers)
    return document


def config_warnings(args: VirtualMCPServerArgs, backends: Sequence[Backend]) -> tuple[str, ...]:
    """What vmcp logs as a warning at start-up: a tools entry naming no backend of the group.

    Also: an inline `telemetry`, which the operator (and so this product) does not use.
    """
    ignored = (INLINE_TELEMETRY_IGNORED,) if args.telemetry is not None else ()
    if args.aggregation is None:
        return ignored
    names = sorted(backend.name for backend in backends)
    deny = args.aggregation.default_tool_visibility == "deny"
    effect = (
        "under defaultToolVisibility deny the backend it was meant to name contributes no tools"
        if deny
        else "its filter and overrides are not applied"
    )
    return ignored + tuple(
        f"{where} {echo(workload)} matches no backend in the group; {effect} (vmcp logs the same)"
        f"{closest(workload, names)}; backends: {', '.join(names)}"
        for where, workload in args.aggregation.workloads()
        if workload not in names
    )


def validate_config(document: Mapping[str, Any]) -> None:
    """Apply the vMCP binary's own checks on a static config; raise ConfigValidationError."""
    problems: list[str] = []
    for key in ("name", "groupRef", "incomingAuth"):
        if not document.get(key):
            problems.append(f"{key} is required")
    outgoing: Mapping[str, Any] = document.get("outgoingAuth") or {}
    source = outgoing.get("source")
    if source not in ("inline", "discovered"):
        problems.append(f"outgoingAuth.source must be inline or discovered, got {source!r}")
    default: Mapping[str, Any] | None = outgoing.get("default")
    overrides: Mapping[str, Mapping[str, Any]] = outgoing.get("backends") or {}
    strategies = [("outgoingAuth.default", default)] + [
        (f"outgoingAuth.backends.{name}", strategy) for name, strategy in overrides.items()
    ]
    for where, strategy in strategies:
        if strategy is not None and strategy.get("type") not in VMCP_AUTH_TYPES:
            problems.append(f"{where}: type must be one of: {', '.join(VMCP_AUTH_TYPES)}")
    backends: list[Mapping[str, Any]] = document.get("backends") or []
    for index, backend in enumerate(backends):
        where = f"backends[{index}]"
        for key in ("name", "url", "transport"):
            if not backend.get(key):
                problems.append(f"{where}.{key} is required")
        if not str(backend.get("url", "")).startswith(("http://", "https://")):
            problems.append(f"{where}.url must start with http:// or https://")
        if backend.get("transport") not in STATIC_TRANSPORTS:
            problems.append(f"{where}.transport must be one of {list(STATIC_TRANSPORTS)}")
        backend_type = backend.get("type", "")
        if backend_type not in ("", "entry"):
            problems.append(f'{where}.type must be empty or "entry", got "{backend_type}"')
        path = backend.get("caBundlePath")
        if path:
            if backend_type != "entry":
                problems.append(f'{where}.caBundlePath is only valid when type is "entry"')
            if "\x00" in path or ".." in path:
                problems.append(f"{where}.caBundlePath contains invalid path characters")
            elif not posixpath.isabs(path):
                problems.append(f"{where}.caBundlePath must be an absolute path")
    if problems:
        raise ConfigValidationError("generated vMCP config is invalid: " + "; ".join(problems))


def dump_config(document: Mapping[str, Any]) -> str:
    """The config document as deterministic YAML text.

    The component renders twice with known inputs (from discovery, to refuse before it
    registers, then from its get-calls), almost always to the same document. A config the block
    writer does not take (a multi-line string, say) goes through PyYAML's emitter, about 0.3 s
    for 1,000 backends, so the last two texts are kept, keyed by the document's JSON (order,
    types and values: equal JSON, equal YAML; the key costs about 10 ms there).
    """
    return _dump_json(json.dumps(document, ensure_ascii=False))


@functools.lru_cache(maxsize=2)
def _dump_json(document_json: str) -> str:
    return yaml_text.dump(json.loads(document_json))

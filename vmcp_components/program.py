"""The Pulumi program's wiring: stack config -> provider + discovery -> VirtualMCPServer -> outputs.

Stack config keys are the component's arguments in camelCase under the project namespace
(`vmcp-components:group`, ...), plus `kubeconfig` and `context`, which feed both the explicit
kubernetes provider and discovery so the two always talk to the same cluster. A key that is not
known, or a value of the wrong type, fails the run with the key named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.args import ArgsError, VirtualMCPServerArgs, parse_args
from vmcp_components.component import VirtualMCPServer
from vmcp_components.discovery import ClusterDiscovery
from vmcp_components.naming import snake_case

CLUSTER_KEYS = ("kubeconfig", "context")
ARG_KEYS = tuple((field.alias or key) for key, field in VirtualMCPServerArgs.model_fields.items())
STACK_OUTPUTS = (
    "discoveredBackends",
    "backendCount",
    "skippedBackends",
    "configChecksum",
    "url",
    "configMapName",
    "deploymentName",
)


@dataclass(frozen=True)
class StackSettings:
    """The validated stack config: the vMCP's name, its arguments and the cluster."""

    name: str
    args: VirtualMCPServerArgs
    kubeconfig: str | None
    context: str | None


def _all_config() -> dict[str, Any]:
    merged = dict(pulumi.runtime.config.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        return json.loads(value)
    return value


def load_stack_settings(project: str) -> StackSettings:
    """Validated settings from the stack config of `project`; RunError names a bad key."""
    prefix = f"{project}:"
    values: dict[str, Any] = {}
    for full_key, raw in sorted(_all_config().items()):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if key not in ARG_KEYS + CLUSTER_KEYS:
            known = ", ".join(sorted(ARG_KEYS + CLUSTER_KEYS))
            raise pulumi.RunError(f"unknown stack config key {full_key!r}; known keys: {known}")
        try:
            values[key] = _decode(raw)
        except json.JSONDecodeError as error:
            raise pulumi.RunError(
                f"stack config key {full_key!r} is not valid JSON: {error}"
            ) from None
    cluster = {key: values.pop(key, None) for key in CLUSTER_KEYS}
    try:
        args = parse_args(values)
    except ArgsError as error:
        raise pulumi.RunError(f"stack config {prefix}{error}") from None
    if args.name is None:
        raise pulumi.RunError(f"stack config key '{prefix}name' is required (the vMCP's name)")
    return StackSettings(args.name, args, cluster["kubeconfig"], cluster["context"])


def main() -> VirtualMCPServer:
    """The program: provider and discovery for one cluster, the component, the outputs."""
    settings = load_stack_settings(pulumi.get_project())
    provider = k8s.Provider(
        "kubernetes",
        kubeconfig=settings.kubeconfig,
        context=settings.context,
        enable_config_map_mutable=True,
    )
    vmcp = VirtualMCPServer(
        settings.name,
        settings.args,
        pulumi.ResourceOptions(provider=provider),
        discovery=ClusterDiscovery(settings.kubeconfig, settings.context),
    )
    for output in STACK_OUTPUTS:
        pulumi.export(output, getattr(vmcp, snake_case(output)))
    return vmcp

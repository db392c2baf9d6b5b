"""The Pulumi program's wiring: stack config -> provider + VirtualMCPServer -> outputs.

Stack config keys are the component's arguments in camelCase under the project namespace
(`vmcp-components:group`, ...), plus `kubeconfig` and `context`, which feed both the explicit
kubernetes provider and the component's discovery, so the two always talk to the same cluster.
Values are read with `pulumi.Config`, so a `--secret` kubeconfig stays secret. A key that is not
known, or a value of the wrong type, fails the run with the key named.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.args import ArgsError, VirtualMCPServerArgs, parse_args
from vmcp_components.component import VirtualMCPServer
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
    kubeconfig: pulumi.Input[str]
    context: str | None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        return json.loads(value)
    return value


def _check_keys(prefix: str) -> None:
    """Refuse keys of this project that are not arguments (the config the language host set)."""
    known = ARG_KEYS + CLUSTER_KEYS
    for full_key in sorted(pulumi.runtime.get_config_env()):
        if full_key.startswith(prefix) and full_key[len(prefix) :] not in known:
            names = ", ".join(sorted(known))
            raise pulumi.RunError(f"unknown stack config key {full_key!r}; known keys: {names}")


def load_stack_settings(project: str) -> StackSettings:
    """Validated settings from the stack config of `project`; RunError names a bad key."""
    prefix = f"{project}:"
    _check_keys(prefix)
    config = pulumi.Config(project)
    values: dict[str, Any] = {}
    for key in ARG_KEYS:
        raw = config.get(key)
        if raw is None:
            continue
        try:
            values[key] = _decode(raw)
        except json.JSONDecodeError as error:
            raise pulumi.RunError(
                f"stack config key '{prefix}{key}' is not valid JSON: {error}"
            ) from None
    try:
        args = parse_args(values)
    except ArgsError as error:
        raise pulumi.RunError(f"stack config {prefix}{error}") from None
    if args.name is None:
        raise pulumi.RunError(f"stack config key '{prefix}name' is required (the vMCP's name)")
    secret = pulumi.runtime.is_config_secret(f"{prefix}kubeconfig")
    kubeconfig = config.get_secret("kubeconfig") if secret else config.get("kubeconfig")
    return StackSettings(
        args.name, args, kubeconfig or _default_kubeconfig(), config.get("context")
    )


def _default_kubeconfig() -> str:
    """The kubeconfig the provider would use by default.

    Named explicitly, so that the provider and discovery are given the same one.
    """
    return os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


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
        {
            **settings.args.model_dump(by_alias=True, exclude_unset=True),
            "kubeconfig": settings.kubeconfig,
            "context": settings.context,
        },
        pulumi.ResourceOptions(provider=provider),
    )
    for output in STACK_OUTPUTS:
        pulumi.export(output, getattr(vmcp, snake_case(output)))
    return vmcp

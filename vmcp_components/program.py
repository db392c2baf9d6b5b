"""The Pulumi program's wiring: stack config -> provider + discovery -> VirtualMCPServer -> outputs.

Stack config keys are the component's arguments in camelCase under the project namespace
(`vmcp-components:group`, ...), plus `kubeconfig` and `context`, which feed both the explicit
kubernetes provider and discovery so the two always talk to the same cluster. A key that is not
known, or a value of the wrong type, fails the run with the key named (vmcp_components.stack_config,
shared with `render --stack`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.args import VirtualMCPServerArgs
from vmcp_components.component import VirtualMCPServer
from vmcp_components.discovery import ClusterDiscovery
from vmcp_components.naming import snake_case
from vmcp_components.stack_config import (
    ARG_KEYS,
    CLUSTER_KEYS,
    StackConfigError,
    StackSettings,
    settings_from_config,
)

__all__ = ["ARG_KEYS", "CLUSTER_KEYS", "STACK_OUTPUTS", "VirtualMCPServerArgs", "main"]

STACK_OUTPUTS = (
    "discoveredBackends",
    "backendCount",
    "skippedBackends",
    "configChecksum",
    "url",
    "configMapName",
    "deploymentName",
)


def _all_config() -> dict[str, Any]:
    merged = dict(pulumi.runtime.config.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def load_stack_settings(project: str) -> StackSettings:
    """Validated settings from the stack config of `project`; RunError names a bad key."""
    try:
        return settings_from_config(project, _all_config())
    except StackConfigError as error:
        raise pulumi.RunError(str(error)) from None


def main() -> VirtualMCPServer:
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

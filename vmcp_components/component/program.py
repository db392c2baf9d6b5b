"""The Pulumi program's wiring: stack config -> provider + VirtualMCPServer -> outputs.

Stack config keys are the component's arguments in camelCase under the project namespace
(`vmcp-components:group`, ...), plus `kubeconfig` and `context`, which feed both the explicit
kubernetes provider and the component's discovery, so the two always talk to the same cluster.
Values are read with `pulumi.Config` and validated by `core.settings.stack_files` (shared
with `render --stack` and `watch`), which also checks the stack file, when it finds it, for the
mistakes the CLI lets through; a `--secret` kubeconfig reaches the provider as a secret. A key
that is not known, or a value of the wrong type, fails the run with the key named.
"""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
from vmcp_components.core.naming import snake_case
from vmcp_components.core.settings.stack_files import (
    ARG_KEYS,
    CLUSTER_KEYS,
    StackConfigError,
    StackSettings,
    program_settings,
)

STACK_OUTPUTS = (
    "discoveredBackends",
    "backendCount",
    "skippedBackends",
    "configChecksum",
    "url",
    "configMapName",
    "deploymentName",
)


def _config_map(project: str) -> dict[str, str]:
    """The stack config as the language host hands it over.

    The values come from `pulumi.Config`; the keys it cannot enumerate (a misspelt one, or one
    under a misspelt namespace) from the host's `PULUMI_CONFIG`, so that they are refused instead
    of silently ignored.
    """
    config = pulumi.Config(project)
    values = dict(pulumi.runtime.get_config_env())
    for key in ARG_KEYS + CLUSTER_KEYS:
        value = config.get(key)
        if value is not None:
            values[f"{project}:{key}"] = value
    return values


def load_stack_settings(project: str) -> StackSettings:
    """Validated settings from the stack config of `project`; RunError names a bad key."""
    try:
        return program_settings(project, _config_map(project), pulumi.get_stack(), Path.cwd())
    except StackConfigError as error:
        raise pulumi.RunError(str(error)) from None


def _kubeconfig(project: str, settings: StackSettings) -> pulumi.Input[str]:
    """The stack's kubeconfig (kept secret when set with --secret), else the provider's default.

    The default is named explicitly, so that the provider and discovery are given the same one.
    """
    if settings.kubeconfig is None:
        return _default_kubeconfig()
    if pulumi.runtime.is_config_secret(f"{project}:kubeconfig"):
        return pulumi.Output.secret(settings.kubeconfig)
    return settings.kubeconfig


def _default_kubeconfig() -> str:
    return os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def main(*, typed_children: bool = False) -> VirtualMCPServer:
    """The program: one provider and the component on the same cluster, and the outputs.

    No child is exposed here, so they are plain resources (see `component.children`) unless
    `typed_children` asks for pulumi_kubernetes' classes, which declare the same resources.
    """
    project = pulumi.get_project()
    settings = load_stack_settings(project)
    kubeconfig = _kubeconfig(project, settings)
    provider = k8s.Provider(
        "kubernetes",
        kubeconfig=kubeconfig,
        context=settings.context,
        enable_config_map_mutable=True,
    )
    vmcp = VirtualMCPServer(
        settings.name,
        {
            **settings.args.model_dump(by_alias=True, exclude_unset=True),
            # The plain value, even when secret: the component only lists the cluster with it,
            # in memory, and with every input known it refuses before it registers.
            "kubeconfig": settings.kubeconfig or _default_kubeconfig(),
            "context": settings.context,
        },
        pulumi.ResourceOptions(provider=provider),
        typed_children=typed_children,
    )
    for output in STACK_OUTPUTS:
        pulumi.export(output, getattr(vmcp, snake_case(output)))
    return vmcp

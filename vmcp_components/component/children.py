"""The component's children as Pulumi resources: typed pulumi_kubernetes classes, or plain ones.

In a platform stack each child is the typed class of its kind (`vmcp.deployment` is a
`k8s.apps.v1.Deployment`, whose outputs are typed), so the default is typed. The program and the
provider other languages use expose no child, only outputs, so they declare each one as a plain
`pulumi.CustomResource` with the same type token, name, inputs and provider version: the
engine, the provider and the state see the same resource, and the run does not import
pulumi_kubernetes' typed core, apps, rbac and policy modules, about 0.7 s of Python in every
run (most of a small group's own time; figures in the README's "Small groups").
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any, Protocol

import pulumi

from vmcp_components.component.reads import PROVIDER_VERSION, type_module
from vmcp_components.core.naming import snake_case
from vmcp_components.core.output.manifests import API_VERSIONS

_TYPED_MODULES = {
    "ServiceAccount": "core.v1",
    "Role": "rbac.v1",
    "RoleBinding": "rbac.v1",
    "ConfigMap": "core.v1",
    "Deployment": "apps.v1",
    "Service": "core.v1",
    "PodDisruptionBudget": "policy.v1",
}


class Declare(Protocol):
    """`typed_child` or `plain_child`."""

    def __call__(
        self, kind: str, name: str, inputs: Mapping[str, Any], opts: pulumi.ResourceOptions
    ) -> Any:
        """Declare the child `name` of `kind` with `inputs` (camelCase keys, rendered Outputs)."""
        ...


def typed_child(
    kind: str, name: str, inputs: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> Any:
    """The pulumi_kubernetes class of `kind` (imported on first use)."""
    cls = getattr(import_module(f"pulumi_kubernetes.{_TYPED_MODULES[kind]}"), kind)
    return cls(name, opts=opts, **{snake_case(key): value for key, value in inputs.items()})


def plain_child(
    kind: str, name: str, inputs: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """A `pulumi.CustomResource` with the type token and inputs the typed class would send."""
    api_version = API_VERSIONS[kind]
    properties = {"apiVersion": api_version, "kind": kind, **inputs}
    return pulumi.CustomResource(
        f"kubernetes:{type_module(api_version)}:{kind}",
        name,
        properties,
        pulumi.ResourceOptions.merge(pulumi.ResourceOptions(version=PROVIDER_VERSION), opts),
    )

"""Policies on the whole stack (the engine's `AnalyzeStack` call): each VirtualMCPServer with
its children, as the resources stand once every one is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError
from vmcp_components.core import naming

from vmcp_policy import stack_view as view
from vmcp_policy.resource_policies import PRODUCTION_SCHEMA

ALWAYS = ("config", "deployment", "service")
RBAC = ("service-account", "role", "role-binding")


def _children(args: StackValidationArgs) -> dict[str, dict[str, PolicyResource]]:
    """Each VirtualMCPServer's URN with its children by role (components without any too)."""
    found: dict[str, dict[str, PolicyResource]] = {
        resource.urn: {}
        for resource in args.resources
        if resource.resource_type == view.COMPONENT_TYPE
    }
    for resource in args.resources:
        parent = resource.parent.urn if resource.parent else None
        role = view.child_role(resource.resource_type, resource.name, parent)
        if role and parent in found:
            found[parent][role] = resource
    return found


def _metadata_name(props: Mapping[str, Any]) -> str:
    name = view.mapping(props.get("metadata")).get("name")
    return name if isinstance(name, str) else ""


def _expected(children: Mapping[str, PolicyResource]) -> list[str]:
    """The roles a component must have: RBAC too unless its pod runs as another account."""
    deployment = children.get("deployment")
    if deployment is None:
        return [*ALWAYS, *RBAC]
    try:
        account = view.pod_spec(deployment.props).get("serviceAccountName")
        own = naming.rbac_name(_metadata_name(deployment.props))
    except UnknownValueError:  # preview: which account is not known yet, check what is sure
        return list(ALWAYS)
    return [*ALWAYS, *RBAC] if account == own else list(ALWAYS)


def _children_complete(args: StackValidationArgs, report: ReportViolation) -> None:
    for urn, children in _children(args).items():
        missing = [f"{view.urn_name(urn)}-{r}" for r in _expected(children) if r not in children]
        if missing:
            report(
                f"VirtualMCPServer {view.urn_name(urn)} lacks {', '.join(missing)}: do not drop "
                "or re-parent the component's children (a transform returning None for them, "
                "an alias, a state edit); run `pulumi up` to declare them again",
                urn,
            )


def _replicas(props: Mapping[str, Any]) -> int | None:
    value = view.mapping(props.get("spec")).get("replicas")
    return int(value) if isinstance(value, int | float) else None


def _production_replicas(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    if not view.in_production(config, args.stack_tags):
        return
    least = config.get("minReplicas", 2)
    least = int(least) if isinstance(least, int | float) else 2
    for urn, children in _children(args).items():
        name = view.urn_name(urn)
        deployment = children.get("deployment")
        replicas = _replicas(deployment.props) if deployment is not None else None
        if replicas is None or replicas < least:
            runs = (
                "sets no replica count"
                if replicas is None
                else f"runs {replicas} replica{'' if replicas == 1 else 's'}"
            )
            report(
                f"VirtualMCPServer {name} {runs} in production: set the stack's replicas to at "
                f"least {least} (or lower this policy's minReplicas)",
                urn,
            )
        if "pdb" not in children:
            report(
                f"VirtualMCPServer {name} has no PodDisruptionBudget in production: leave the "
                "stack's podDisruptionBudget unset (one is made with more than one replica) or "
                "set its minAvailable or maxUnavailable; never {enabled: false}",
                urn,
            )


STACK_POLICIES = [
    StackValidationPolicy(
        name="vmcp-children-complete",
        description="Every VirtualMCPServer has all the children the component declares.",
        validate=_children_complete,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="vmcp-production-replicas",
        description="In production a VirtualMCPServer runs at least two replicas and has a "
        "PodDisruptionBudget.",
        validate=_production_replicas,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                **PRODUCTION_SCHEMA,
                "minReplicas": {"type": "integer", "minimum": 1, "default": 2},
            }
        ),
    ),
]

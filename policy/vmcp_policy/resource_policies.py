"""Policies on one VirtualMCPServer child at a time (the engine's `Analyze` call).

Each looks only at the children the component declares (`stack_view.child_role`), so the same
kinds of objects elsewhere in a stack are left alone. Every message names what is wrong and
the stack setting (or object) to change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from vmcp_components.core.backends.remote_url import check_remote_url
from vmcp_components.core.cluster.kinds import TOOLHIVE_GROUP, TOOLHIVE_KINDS
from vmcp_components.core.settings.args import DEFAULT_IMAGE

from vmcp_policy import stack_view as view

ENTRY_TYPE = "entry"
IN_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local")
READ_VERBS = frozenset({"get", "list", "watch"})
TOOLHIVE_PLURALS = frozenset(kind.plural for kind in TOOLHIVE_KINDS)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
PRODUCTION_SCHEMA: dict[str, dict[str, Any]] = {
    "production": {
        "type": "boolean",
        "description": "true or false overrides the stack tag; unset: the tag decides",
    },
    "productionTag": {
        "type": "string",
        "default": "environment",
        "description": "stack tag whose value production or prod means production",
    },
}


def _role(args: ResourceValidationArgs) -> str | None:
    return view.child_role(args.resource_type, args.name, args.opts.parent)


def _backends_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _role(args) != "config":
        return
    allowed = view.strings(args.get_config().get("allowedHttp", ["*.svc.cluster.local"]))
    for backend in view.backends(args.props):
        if backend.url.lower().startswith("https://"):
            continue
        if view.matches(allowed, backend.name, backend.host):
            continue
        report(
            f"backend {backend.name} is reached over plain HTTP ({backend.url}): serve it over "
            "HTTPS and change its remoteUrl to https://..., or, if the traffic never leaves a "
            'trusted network, add the backend name or its host to "allowedHttp" in this '
            "policy's config",
            None,
        )


def _no_plaintext_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _role(args) != "deployment":
        return
    for env, header in view.plaintext_credential_headers(args.props):
        report(
            f"header {header} is forwarded in plaintext ({env}): its value sits in clear in the "
            "Deployment and in the Pulumi state; move it from the MCPServerEntry's "
            "headerForward.addPlaintextHeaders to headerForward.addHeadersFromSecret (a Secret "
            "reference), or use an externalAuthConfigRef",
            None,
        )


def _image_problem(image: str, require_digest: bool) -> str | None:
    reference, _, digest = image.partition("@")
    last = reference.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if require_digest and not _DIGEST.fullmatch(digest):
        return "has no sha256 digest, which this policy's config (requireDigest) asks for"
    if digest:
        return None if _DIGEST.fullmatch(digest) else f"has a malformed digest {digest!r}"
    if not tag:
        return "has no tag, so it means :latest"
    if tag == "latest":
        return "uses the moving tag :latest"
    return None


def _image_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _role(args) != "deployment":
        return
    require_digest = args.get_config().get("requireDigest") is True
    repository = DEFAULT_IMAGE.rsplit(":", 1)[0]
    example = f"{repository}@sha256:<digest>" if require_digest else DEFAULT_IMAGE
    for container in view.containers(args.props):
        image = container.get("image")
        problem = _image_problem(image, require_digest) if isinstance(image, str) else "is unset"
        if problem:
            report(
                f"container {container.get('name')} image {image!r} {problem}: set the stack's "
                f"image to a pinned reference, e.g. {example}",
                None,
            )


def _resources_set(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _role(args) != "deployment":
        return
    for container in view.containers(args.props):
        resources = view.mapping(container.get("resources"))
        missing = [
            f"{part}.{resource}"
            for part in ("requests", "limits")
            for resource in ("cpu", "memory")
            if view.mapping(resources.get(part)).get(resource) in (None, "")
        ]
        if missing:
            report(
                f"container {container.get('name')} has no {', '.join(missing)}: set the stack's "
                "resources to {requests: {cpu, memory}, limits: {cpu, memory}}, or leave it "
                "unset for the component's defaults (100m/128Mi, 500m/512Mi)",
                None,
            )


def _private_problem(backend: view.Backend) -> str | None:
    if backend.type != ENTRY_TYPE and backend.host.endswith(IN_CLUSTER_SUFFIXES):
        return None  # an MCPServer or MCPRemoteProxy served by ToolHive inside the cluster
    problem = check_remote_url(backend.url, allow_private_endpoint=False)
    return problem.reason if problem else None


def _production_endpoints(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if _role(args) != "config" or not view.in_production(args.get_config(), args.stack_tags):
        return
    allowed = view.strings(args.get_config().get("allowedPrivateBackends", []))
    for backend in view.backends(args.props):
        problem = None if backend.name in allowed else _private_problem(backend)
        if problem:
            report(
                f"backend {backend.name} points at a private endpoint in production: {problem}. "
                "Remove allowPrivateEndpoint from the MCPServerEntry and give it a public URL, "
                'or list the backend in "allowedPrivateBackends" in this policy\'s config',
                None,
            )


def _rule_problems(rule: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if view.strings(rule.get("apiGroups")) != [TOOLHIVE_GROUP]:
        problems.append(f"apiGroups {view.strings(rule.get('apiGroups'))} (only {TOOLHIVE_GROUP})")
    if extra := sorted(set(view.strings(rule.get("resources"))) - TOOLHIVE_PLURALS):
        problems.append(f"resources {extra} (only the ToolHive kinds)")
    if extra := sorted(set(view.strings(rule.get("verbs"))) - READ_VERBS):
        problems.append(f"verbs {extra} (only get, list, watch)")
    if view.sequence(rule.get("nonResourceURLs")):
        problems.append("nonResourceURLs")
    return problems


def _role_read_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    role = _role(args)
    if role == "role":
        for index, rule in enumerate(view.sequence(args.props.get("rules"))):
            problems = _rule_problems(view.mapping(rule))
            if problems:
                report(
                    f"rule {index} grants {'; '.join(problems)}: the vMCP only reads the ToolHive "
                    "kinds; remove the grant (a transform that widens the Role), or give the vMCP "
                    "an existing account with the stack's serviceAccount",
                    None,
                )
    elif role == "role-binding":
        ref = view.mapping(args.props.get("roleRef"))
        own = view.mapping(args.props.get("metadata")).get("name")
        if ref.get("kind") != "Role" or ref.get("name") != own:
            report(
                f"the RoleBinding binds {ref.get('kind')} {ref.get('name')}: bind only the vMCP's "
                f"own Role {own} (the component declares it), never a ClusterRole or another Role",
                None,
            )


RESOURCE_POLICIES = [
    ResourceValidationPolicy(
        name="vmcp-backends-https",
        description="Every vMCP backend is reached over HTTPS unless it is listed as allowed.",
        validate=_backends_https,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                "allowedHttp": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": ["*.svc.cluster.local"],
                    "description": "backend names or URL hosts (fnmatch patterns) allowed over "
                    "plain HTTP; the default admits ToolHive's own in-cluster proxies",
                }
            }
        ),
    ),
    ResourceValidationPolicy(
        name="vmcp-no-plaintext-credential-headers",
        description="No header named like a credential is forwarded in plaintext.",
        validate=_no_plaintext_credentials,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="vmcp-image-pinned",
        description="The vMCP image is pinned: a tag other than latest, or a digest.",
        validate=_image_pinned,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                "requireDigest": {
                    "type": "boolean",
                    "default": False,
                    "description": "require an @sha256: digest, not only a tag",
                }
            }
        ),
    ),
    ResourceValidationPolicy(
        name="vmcp-resources-set",
        description="The vMCP containers set CPU and memory requests and limits.",
        validate=_resources_set,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="vmcp-production-endpoints",
        description="In production no vMCP backend points at a private endpoint.",
        validate=_production_endpoints,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                **PRODUCTION_SCHEMA,
                "allowedPrivateBackends": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "description": "backend names exempt from this policy",
                },
            }
        ),
    ),
    ResourceValidationPolicy(
        name="vmcp-role-read-only",
        description="The vMCP Role grants only get, list and watch on the ToolHive kinds.",
        validate=_role_read_only,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]

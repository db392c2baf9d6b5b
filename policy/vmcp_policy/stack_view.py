"""What the policies read: which resources are a VirtualMCPServer's children, and what they hold.

A child is recognised the way the component declares it: a resource parented to a
`vmcp:index:VirtualMCPServer` and named `<component>-<role>` with the Kubernetes type of that
role. The component's get-calls (`<component>-<kind>-<object>`) are children too but never
match a role, so a CA ConfigMap the component only read is never taken for its config.
Values come through pulumi-policy's proxies, which raise `UnknownValueError` for what preview
cannot know yet; the SDK turns that into an advisory "can't run policy during preview".
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml
from vmcp_components.core.backends.checks import CREDENTIAL_HEADERS

COMPONENT_TYPE = "vmcp:index:VirtualMCPServer"
CHILD_TYPES: Mapping[str, str] = {
    "service-account": "kubernetes:core/v1:ServiceAccount",
    "role": "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "role-binding": "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "config": "kubernetes:core/v1:ConfigMap",
    "deployment": "kubernetes:apps/v1:Deployment",
    "service": "kubernetes:core/v1:Service",
    "pdb": "kubernetes:policy/v1:PodDisruptionBudget",
}
"""The component's child roles (the suffix of `<component>-<role>`) and their resource types."""
HEADER_FORWARD_PREFIX = "TOOLHIVE_HEADER_FORWARD_"
CONFIG_KEY = "config.yaml"
PRODUCTION_VALUES = ("production", "prod")


def urn_name(urn: str) -> str:
    """The resource name at the end of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    return urn.split("::", 3)[-1]


def urn_type(urn: str) -> str:
    """The resource's own type: the last `$`-separated part of the URN's qualified type."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""


def child_role(resource_type: str, name: str, parent_urn: str | None) -> str | None:
    """The role of a VirtualMCPServer child (`config`, `deployment`, ...), or None."""
    if not parent_urn or urn_type(parent_urn) != COMPONENT_TYPE:
        return None
    prefix = urn_name(parent_urn) + "-"
    role = name.removeprefix(prefix)
    if name.startswith(prefix) and CHILD_TYPES.get(role) == resource_type:
        return role
    return None


def mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a mapping (proxied or not), else an empty one."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def sequence(value: object) -> Sequence[Any]:
    """`value` if it is a list (proxied or not), else an empty one."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return cast(Sequence[Any], value)
    return ()


def strings(value: object) -> list[str]:
    """The strings of a list value (other items dropped)."""
    return [item for item in sequence(value) if isinstance(item, str)]


@dataclass(frozen=True)
class Backend:
    """One backend as config.yaml lists it."""

    name: str
    url: str
    type: str

    @property
    def host(self) -> str:
        """The URL's host, lower-case, or "" when it has none."""
        try:
            return (urllib.parse.urlsplit(self.url).hostname or "").rstrip(".")
        except ValueError:
            return ""


def backends(config_map_props: Mapping[str, Any]) -> list[Backend]:
    """The backends in the ConfigMap's config.yaml (none if it holds no parsable config)."""
    text = mapping(config_map_props.get("data")).get(CONFIG_KEY)
    if not isinstance(text, str):
        return []
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    found: list[Backend] = []
    for item in sequence(mapping(config).get("backends")):
        backend = mapping(item)
        name, url = backend.get("name"), backend.get("url")
        if isinstance(name, str) and isinstance(url, str):
            kind = backend.get("type")
            found.append(Backend(name, url, kind if isinstance(kind, str) else ""))
    return found


def matches(patterns: Sequence[str], *values: str) -> bool:
    """Whether any value matches any `fnmatch` pattern (case-insensitive)."""
    return any(
        fnmatch.fnmatchcase(value.lower(), pattern.lower())
        for pattern in patterns
        for value in values
        if value
    )


def pod_spec(deployment_props: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(mapping(mapping(deployment_props.get("spec")).get("template")).get("spec"))


def containers(deployment_props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every container of the pod, init containers included."""
    spec = pod_spec(deployment_props)
    for key in ("initContainers", "containers"):
        for container in sequence(spec.get(key)):
            yield mapping(container)


def plaintext_credential_headers(deployment_props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(env var, header) for each plaintext forwarded header named like a credential."""
    found: list[tuple[str, str]] = []
    for container in containers(deployment_props):
        for env in sequence(container.get("env")):
            env_name, value = mapping(env).get("name"), mapping(env).get("value")
            if not (isinstance(env_name, str) and env_name.startswith(HEADER_FORWARD_PREFIX)):
                continue
            manifest: object = None
            with contextlib.suppress(ValueError):
                manifest = json.loads(value) if isinstance(value, str) else None
            for header in mapping(mapping(manifest).get("addPlaintextHeaders")):
                if matches(CREDENTIAL_HEADERS, header):
                    found.append((env_name, header))
    return found


def in_production(config: Mapping[str, Any], stack_tags: Mapping[str, str]) -> bool:
    """`production` from the policy's config if set, else the stack tag `productionTag`."""
    forced = config.get("production")
    if isinstance(forced, bool):
        return forced
    tag = config.get("productionTag", "environment")
    value = stack_tags.get(tag, "") if isinstance(tag, str) else ""
    return value.strip().lower() in PRODUCTION_VALUES

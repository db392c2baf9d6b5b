"""Names the operator derives: object names, labels, env-var normalisation, CA volume names."""

from __future__ import annotations

import hashlib
import posixpath
import re

PROXY_PORT = 4483
CA_BUNDLE_ROOT = "/etc/toolhive/ca-bundles"
DEFAULT_CA_KEY = "ca.crt"
CONFIG_KEY = "config.yaml"
CONFIG_MOUNT_DIR = "/etc/vmcp-config"
CHECKSUM_ANNOTATION = "toolhive.stacklok.dev/content-checksum"
RUNCONFIG_CHECKSUM_ANNOTATION = "toolhive.stacklok.dev/runconfig-checksum"
MAX_LABEL_LENGTH = 63

_NON_ENV = re.compile(r"[^A-Z0-9_]")
_NON_LABEL = re.compile(r"[^a-z0-9-]")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_SUBDOMAIN_LENGTH = 253


def is_dns_label(value: str) -> bool:
    """True if `value` is an RFC 1123 label (volume, container and Service names)."""
    return len(value) <= MAX_LABEL_LENGTH and _DNS_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    """True if `value` is an RFC 1123 subdomain (most object names)."""
    return len(value) <= MAX_SUBDOMAIN_LENGTH and _DNS_SUBDOMAIN.fullmatch(value) is not None


def snake_case(key: str) -> str:
    """`roleRef` -> `role_ref`: a camelCase wire key as a Python argument name."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in key)


def env_token(value: str) -> str:
    """Upper-case, `-` to `_`, anything outside `[A-Z0-9_]` to `_` (the operator's rule)."""
    return _NON_ENV.sub("_", value.upper().replace("-", "_"))


def config_map_name(name: str) -> str:
    """`<name>-vmcp-config`: the ConfigMap holding `config.yaml`."""
    return f"{name}-vmcp-config"


def rbac_name(name: str) -> str:
    """`<name>-vmcp`: the ServiceAccount, Role and RoleBinding."""
    return f"{name}-vmcp"


def service_name(name: str) -> str:
    """`vmcp-<name>`: the Service."""
    return f"vmcp-{name}"


def service_url(name: str, namespace: str) -> str:
    """The in-cluster URL of the vMCP Service."""
    return f"http://{service_name(name)}.{namespace}.svc.cluster.local:{PROXY_PORT}"


def workload_labels(name: str) -> dict[str, str]:
    """Deployment, pod and Service selector labels, as the operator sets them."""
    return {
        "app": "virtualmcpserver",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/name": "virtualmcpserver",
        "toolhive": "true",
        "toolhive-name": name,
    }


def pod_disruption_budget_name(name: str) -> str:
    """The PodDisruptionBudget is named like the Deployment it protects."""
    return name


def standard_labels(name: str) -> dict[str, str]:
    """The recommended `app.kubernetes.io/*` labels, added to every object with `labels`."""
    return {
        "app.kubernetes.io/name": "virtualmcpserver",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "vmcp",
        "app.kubernetes.io/part-of": "toolhive",
        "app.kubernetes.io/managed-by": "vmcp-components",
    }


def config_labels(name: str) -> dict[str, str]:
    """ConfigMap labels exactly as the operator sets them, so ToolHive users recognise it."""
    return {
        "toolhive.stacklok.io/component": "vmcp-config",
        "toolhive.stacklok.io/managed-by": "toolhive-operator",
        "toolhive.stacklok.io/virtual-mcp-server": name,
    }


def ca_bundle_key(key: str) -> str:
    """The ConfigMap key of a CA bundle: `ca.crt` when the reference leaves it empty."""
    return key or DEFAULT_CA_KEY


def ca_bundle_dir(entry: str) -> str:
    """Where an entry's CA bundle volume is mounted."""
    return posixpath.join(CA_BUNDLE_ROOT, entry)


def ca_bundle_path(entry: str, key: str) -> str:
    """The CA file of an entry, as `caBundlePath` names it."""
    return posixpath.join(ca_bundle_dir(entry), ca_bundle_key(key))


def ca_bundle_volume_name(entry: str) -> str:
    """`ca-bundle-<entry>` when that is a DNS label (the operator's name), else a safe form.

    A pod volume name must be a DNS label, but an entry name is a DNS subdomain (`corp.internal`).
    Otherwise the name is `ca-bundle-` plus the entry with anything outside `[a-z0-9-]` as `-`
    (at most 44 characters) plus `-` and 8 hex of the entry's SHA-256, so `corp.internal` and
    `corp-internal` get distinct volumes and the result is at most 63 characters.
    """
    name = f"ca-bundle-{entry}"
    if is_dns_label(name):
        return name
    digest = hashlib.sha256(entry.encode()).hexdigest()[:8]
    safe = _NON_LABEL.sub("-", entry.lower())[:44].strip("-")
    return f"ca-bundle-{safe}-{digest}" if safe else f"ca-bundle-{digest}"


def token_exchange_secret_env(config: str) -> str:
    """The env var holding a token-exchange client secret."""
    return f"TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_{env_token(config)}"


def header_injection_secret_env(config: str) -> str:
    """The env var holding an injected header's value."""
    return f"TOOLHIVE_HEADER_INJECTION_VALUE_{env_token(config)}"


def header_forward_manifest_env(entry: str) -> str:
    """The env var telling vMCP which headers an entry forwards."""
    return f"TOOLHIVE_HEADER_FORWARD_{env_token(entry)}"


def header_forward_identifier(header: str, entry: str) -> str:
    """The secret identifier of one forwarded header of an entry."""
    return f"HEADER_FORWARD_{env_token(header)}_{env_token(entry)}"


def header_forward_secret_env(header: str, entry: str) -> str:
    """The env var holding one forwarded header's value."""
    return f"TOOLHIVE_SECRET_{header_forward_identifier(header, entry)}"

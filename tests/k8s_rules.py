"""The API server's name and size rules, written out from Kubernetes v1.37.2's validation.

Taken from the Go source, never from `vmcp_components.core.naming`, so the invariants in
`tests/invariants.py` cannot agree with a renderer bug. Paths are in the `k8s.io/apimachinery`
v0.37.2 and `k8s.io/kubernetes` v1.37.2 modules:

- `pkg/util/validation/validation.go`: IsDNS1123Label, IsDNS1123Subdomain, IsDNS1035Label,
  IsQualifiedName (label and annotation keys) and label values, IsValidPortName, IsEnvVarName
  (the strict rule: our names must pass it on API servers without the relaxed one too),
  IsConfigMapKey, hasChDirPrefix.
- `pkg/apis/core/validation/validation.go`: ValidateLocalNonReservedPath (a volume item's
  path), MaxSecretSize (`pkg/apis/core/types.go`, also the ConfigMap limit).
- `pkg/api/validate/content/path.go`: IsPathSegmentName (Role and RoleBinding names).
- `pkg/api/validation/objectmeta.go`: TotalAnnotationSizeLimitB.
"""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS_1123_LABEL = re.compile(_LABEL)
DNS_1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]+")
PORT_NAME = re.compile(r"[-a-z0-9]+")
LABEL_MAX, SUBDOMAIN_MAX, PORT_NAME_MAX = 63, 253, 15
ANNOTATIONS_MAX = 256 * 1024
CONFIG_MAP_DATA_MAX = 1024 * 1024
ENV_STRING_MAX = 131072
"""Linux's MAX_ARG_STRLEN (32 pages): one `NAME=value` string with its NUL, in bytes."""


def is_dns_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and DNS_1123_LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= SUBDOMAIN_MAX and DNS_1123_SUBDOMAIN.fullmatch(value) is not None


def is_dns_1035_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and DNS_1035_LABEL.fullmatch(value) is not None


def is_path_segment(value: str) -> bool:
    return value not in (".", "..") and "/" not in value and "%" not in value


def is_qualified_name(value: str) -> bool:
    prefix, slash, name = value.rpartition("/")
    if slash and not (prefix and is_dns_subdomain(prefix)):
        return False
    return len(name) <= LABEL_MAX and QUALIFIED_NAME.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    return value == "" or (len(value) <= LABEL_MAX and QUALIFIED_NAME.fullmatch(value) is not None)


def _no_chdir_prefix(value: str) -> bool:
    return value not in (".", "..") and not value.startswith("..")


def is_env_var_name(value: str) -> bool:
    return ENV_VAR_NAME.fullmatch(value) is not None and _no_chdir_prefix(value)


def is_config_map_key(value: str) -> bool:
    return (
        len(value) <= SUBDOMAIN_MAX
        and CONFIG_MAP_KEY.fullmatch(value) is not None
        and _no_chdir_prefix(value)
    )


def is_port_name(value: str) -> bool:
    return (
        len(value) <= PORT_NAME_MAX
        and PORT_NAME.fullmatch(value) is not None
        and re.search("[a-z]", value) is not None
        and "--" not in value
        and not value.startswith("-")
        and not value.endswith("-")
    )


def is_local_path(value: str) -> bool:
    """ValidateLocalNonReservedPath: relative, no `..` element, not starting with `..`."""
    return (
        bool(value)
        and not value.startswith("/")
        and ".." not in value.split("/")
        and not value.startswith("..")
    )

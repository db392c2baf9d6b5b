"""The vmcp container's env: the namespace, Secret-backed and header variables, the fixed set.

Values taken from the group's objects are escaped for the kubelet (`kubelet_literal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vmcp_components.core.backends.auth import SecretEnv
from vmcp_components.core.backends.backend import Backend
from vmcp_components.errors import VmcpError

# Env the operator always sets (EnsureRequiredEnvVars); /tmp is inside the container.
REQUIRED_ENV = (
    ("XDG_CONFIG_HOME", "/tmp"),
    ("HOME", "/tmp"),
    ("TOOLHIVE_RUNTIME", "kubernetes"),
    ("UNSTRUCTURED_LOGS", "false"),
)


def kubelet_literal(value: str) -> str:
    """`value` as an env `value` the kubelet passes through unchanged: every `$` doubled.

    The kubelet expands `$(VAR)` in env values and turns `$$` into `$`, so a header value such
    as `$(HOME)` or `a$b` would otherwise reach the backend changed.
    """
    return value.replace("$", "$$")


def collect_env(
    name: str,
    namespace: str,
    backends: Sequence[Backend],
    extra_secret_env: Sequence[SecretEnv] = (),
    extra_literal_env: Sequence[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """Container env: namespace, then secret-backed and header env sorted, then the fixed set.

    Literal values from the group's objects are escaped for the kubelet (`kubelet_literal`).
    """
    secret_env = set(extra_secret_env)
    literal: dict[str, str] = dict(extra_literal_env)
    for backend in backends:
        secret_env.update(backend.secret_env())
        literal.update(backend.literal_env())
    by_name: dict[str, dict[str, Any]] = {}
    for env in sorted(secret_env):
        if env.name in by_name:
            raise VmcpError(
                f"env var {env.name} would be filled from two different Secret keys; auth configs "
                "whose names normalise alike (e.g. 'a-b' and 'a.b') cannot be used together"
            )
        by_name[env.name] = {
            "name": env.name,
            "valueFrom": {"secretKeyRef": {"name": env.secret, "key": env.key}},
        }
    for env_name, value in literal.items():
        by_name[env_name] = {"name": env_name, "value": kubelet_literal(value)}
    env_list = [{"name": "VMCP_NAMESPACE", "value": namespace}]
    env_list += [by_name[key] for key in sorted(by_name)]
    env_list += [{"name": key, "value": value} for key, value in REQUIRED_ENV]
    if any(key.startswith("TOOLHIVE_SECRET_") for key in by_name):
        env_list.append({"name": "TOOLHIVE_SECRETS_PROVIDER", "value": "environment"})
    return env_list

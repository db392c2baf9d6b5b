"""Every Kubernetes object the product declares, as plain camelCase data.

The shapes follow the ToolHive operator (names, labels, args, ports, probes, resources,
restricted security context), with the static-mode fixes: CA volumes and env vars only for
included backends, auth secrets mounted as `secretKeyRef` env vars, and every per-backend list
sorted by name. The component maps these one to one onto pulumi_kubernetes resources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from vmcp_components import naming
from vmcp_components.args import VirtualMCPServerArgs
from vmcp_components.auth import SecretEnv
from vmcp_components.backends import Backend
from vmcp_components.errors import VmcpError
from vmcp_components.kinds import TOOLHIVE_GROUP, VMCP_ROLE_KINDS

# Env the operator always sets (EnsureRequiredEnvVars); /tmp is inside the container.
REQUIRED_ENV = (
    ("XDG_CONFIG_HOME", "/tmp"),
    ("HOME", "/tmp"),
    ("TOOLHIVE_RUNTIME", "kubernetes"),
    ("UNSTRUCTURED_LOGS", "false"),
)


def _restricted_ids() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000}


def _seccomp() -> dict[str, Any]:
    return {"seccompProfile": {"type": "RuntimeDefault"}}


def content_checksum(data: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """SHA-256 over sorted data keys+values, then sorted label keys+values (operator's rule)."""
    digest = hashlib.sha256()
    for mapping in (data, labels):
        for key in sorted(mapping):
            digest.update(key.encode())
            digest.update(mapping[key].encode())
    return digest.hexdigest()


def _meta(
    name: str,
    namespace: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def config_map(name: str, namespace: str, config_yaml: str) -> dict[str, Any]:
    """The ConfigMap `<name>-vmcp-config` holding `config.yaml`, with its checksum."""
    data = {naming.CONFIG_KEY: config_yaml}
    labels = naming.config_labels(name)
    checksum = content_checksum(data, labels)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(
            naming.config_map_name(name), namespace, labels, {naming.CHECKSUM_ANNOTATION: checksum}
        ),
        "data": data,
    }


def collect_env(
    name: str,
    namespace: str,
    backends: Sequence[Backend],
    extra_secret_env: Sequence[SecretEnv] = (),
) -> list[dict[str, Any]]:
    """Container env: namespace, then secret-backed and header env sorted, then the fixed set."""
    secret_env = set(extra_secret_env)
    literal: dict[str, str] = {}
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
        by_name[env_name] = {"name": env_name, "value": value}
    env_list = [{"name": "VMCP_NAMESPACE", "value": namespace}]
    env_list += [by_name[key] for key in sorted(by_name)]
    env_list += [{"name": key, "value": value} for key, value in REQUIRED_ENV]
    if any(key.startswith("TOOLHIVE_SECRET_") for key in by_name):
        env_list.append({"name": "TOOLHIVE_SECRETS_PROVIDER", "value": "environment"})
    return env_list


def _probe(path: str, initial_delay: int, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": 5 if path == "/health" else 3,
        "failureThreshold": 3,
    }


def deployment(
    name: str,
    args: VirtualMCPServerArgs,
    backends: Sequence[Backend],
    config_checksum: str,
    env: list[dict[str, Any]],
) -> dict[str, Any]:
    """The Deployment `<name>`: the vmcp container, config and CA-bundle volumes."""
    labels = naming.workload_labels(name)
    ca_bundles = sorted((b.ca_bundle for b in backends if b.ca_bundle), key=lambda c: c.entry)
    volumes: list[dict[str, Any]] = [
        {"name": "vmcp-config", "configMap": {"name": naming.config_map_name(name)}}
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "vmcp-config", "mountPath": naming.CONFIG_MOUNT_DIR, "readOnly": True}
    ]
    for bundle in ca_bundles:
        volumes.append(
            {
                "name": bundle.volume_name,
                "configMap": {
                    "name": bundle.config_map,
                    "items": [{"key": bundle.key, "path": bundle.key}],
                },
            }
        )
        mounts.append({"name": bundle.volume_name, "mountPath": bundle.mount_dir, "readOnly": True})
    container = {
        "name": "vmcp",
        "image": args.image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "serve",
            f"--config={naming.CONFIG_MOUNT_DIR}/{naming.CONFIG_KEY}",
            "--host=0.0.0.0",
            f"--port={naming.PROXY_PORT}",
        ]
        + (["--debug"] if (args.operational or {}).get("logLevel") == "debug" else []),
        "ports": [{"name": "http", "containerPort": naming.PROXY_PORT, "protocol": "TCP"}],
        "env": env,
        "volumeMounts": mounts,
        "livenessProbe": _probe("/health", 30, 10),
        "readinessProbe": _probe("/readyz", 15, 5),
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        "securityContext": {
            "privileged": False,
            **_restricted_ids(),
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            **_seccomp(),
            "capabilities": {"drop": ["ALL"]},
        },
    }
    spec: dict[str, Any] = {}
    if args.replicas is not None:
        spec["replicas"] = args.replicas
    spec["selector"] = {"matchLabels": dict(labels)}
    spec["template"] = {
        "metadata": {
            "labels": dict(labels),
            "annotations": {naming.RUNCONFIG_CHECKSUM_ANNOTATION: config_checksum},
        },
        "spec": {
            "serviceAccountName": args.service_account or naming.rbac_name(name),
            "terminationGracePeriodSeconds": 30,
            "securityContext": {**_restricted_ids(), "fsGroup": 1000, **_seccomp()},
            "containers": [container],
            "volumes": volumes,
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, args.namespace, labels),
        "spec": spec,
    }


def service(name: str, args: VirtualMCPServerArgs) -> dict[str, Any]:
    """The Service `vmcp-<name>` in front of the vmcp pods."""
    labels = naming.workload_labels(name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(naming.service_name(name), args.namespace, labels),
        "spec": {
            "type": args.service_type,
            "sessionAffinity": "ClientIP",
            "selector": dict(labels),
            "ports": [
                {
                    "name": "http",
                    "port": naming.PROXY_PORT,
                    "targetPort": naming.PROXY_PORT,
                    "protocol": "TCP",
                }
            ],
        },
    }


def rbac(name: str, namespace: str) -> list[dict[str, Any]]:
    """ServiceAccount, Role (read the ToolHive group kinds, nothing else) and RoleBinding."""
    account = naming.rbac_name(name)
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(account, namespace)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(account, namespace),
            "rules": [
                {
                    "apiGroups": [TOOLHIVE_GROUP],
                    "resources": [kind.plural for kind in VMCP_ROLE_KINDS],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(account, namespace),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    ]

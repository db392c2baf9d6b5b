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

from vmcp_components.core import naming
from vmcp_components.core.backends.backend import Backend
from vmcp_components.core.backends.incoming_auth import ConfigMapVolume
from vmcp_components.core.backends.vmcp_wide import SecretFileVolume
from vmcp_components.core.cluster.kinds import TOOLHIVE_GROUP, VMCP_ROLE_KINDS
from vmcp_components.core.output.pod_template import (
    PODTEMPLATESPEC_HASH_ANNOTATION,
    apply_pod_template_spec,
    pod_template_spec_hash,
)
from vmcp_components.core.settings.args import VirtualMCPServerArgs

_RBAC = "rbac.authorization.k8s.io/v1"
API_VERSIONS: Mapping[str, str] = {
    "ServiceAccount": "v1",
    "Role": _RBAC,
    "RoleBinding": _RBAC,
    "ConfigMap": "v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "PodDisruptionBudget": "policy/v1",
}
"""The apiVersion of each kind rendered here (the component's children)."""


def _restricted_ids(args: VirtualMCPServerArgs) -> dict[str, Any]:
    """Fixed IDs, except on OpenShift, whose restricted SCC assigns them (as the operator does)."""
    if args.security_context_mode == "openshift":
        return {"runAsNonRoot": True}
    return {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000}


def _fs_group(args: VirtualMCPServerArgs) -> dict[str, Any]:
    return {} if args.security_context_mode == "openshift" else {"fsGroup": 1000}


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


def common_labels(name: str, args: VirtualMCPServerArgs) -> dict[str, str]:
    """Labels for every object: none by default; with `labels`, the standard ones plus those."""
    if args.labels is None:
        return {}
    return {**naming.standard_labels(name), **args.labels}


def _merged(base: Mapping[str, str], *extra: Mapping[str, str] | None) -> dict[str, str]:
    """`base` in its own order, then the extra keys (a later mapping wins)."""
    merged = dict(base)
    for mapping in extra:
        merged.update(mapping or {})
    return merged


def wants_pod_disruption_budget(args: VirtualMCPServerArgs) -> bool:
    """Explicit settings decide; unset, a PDB protects a Deployment of more than one replica."""
    if args.pod_disruption_budget is not None:
        return args.pod_disruption_budget.enabled
    return args.replicas is not None and args.replicas > 1


def config_map(
    name: str, namespace: str, config_yaml: str, extra_labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ConfigMap `<name>-vmcp-config` holding `config.yaml`, with its checksum."""
    data = {naming.CONFIG_KEY: config_yaml}
    labels = _merged(naming.config_labels(name), extra_labels)
    checksum = content_checksum(data, labels)
    return {
        "apiVersion": API_VERSIONS["ConfigMap"],
        "kind": "ConfigMap",
        "metadata": _meta(
            naming.config_map_name(name), namespace, labels, {naming.CHECKSUM_ANNOTATION: checksum}
        ),
        "data": data,
    }


def _probe(path: str, initial_delay: int, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": 5 if path == "/health" else 3,
        "failureThreshold": 3,
    }


def _default_resources() -> dict[str, Any]:
    return {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }


def _pull_secrets(args: VirtualMCPServerArgs) -> dict[str, Any]:
    if not args.image_pull_secrets:
        return {}
    return {"imagePullSecrets": [{"name": secret} for secret in args.image_pull_secrets]}


def _scheduling(args: VirtualMCPServerArgs, selector: Mapping[str, str]) -> dict[str, Any]:
    """Pod-spec fields of the workload settings, each present only when set."""
    fields: dict[str, Any] = dict(_pull_secrets(args))
    if args.priority_class_name is not None:
        fields["priorityClassName"] = args.priority_class_name
    if args.node_selector is not None:
        fields["nodeSelector"] = dict(args.node_selector)
    if args.tolerations is not None:
        fields["tolerations"] = [toleration.dump() for toleration in args.tolerations]
    if args.affinity is not None:
        fields["affinity"] = args.affinity.dump()
    if args.topology_spread_constraints is not None:
        fields["topologySpreadConstraints"] = [
            constraint.dump_for(selector) for constraint in args.topology_spread_constraints
        ]
    return fields


def _secret_file_volume(secret: SecretFileVolume) -> dict[str, Any]:
    items = [{"key": secret.key, "path": secret.file_name}]
    return {
        "name": secret.volume_name,
        "secret": {"secretName": secret.secret, "items": items, "defaultMode": 0o400},
    }


def deployment(
    name: str,
    args: VirtualMCPServerArgs,
    backends: Sequence[Backend],
    config_checksum: str,
    env: list[dict[str, Any]],
    *,
    incoming_volumes: Sequence[ConfigMapVolume] = (),
    telemetry_volumes: Sequence[ConfigMapVolume] = (),
    secret_files: Sequence[SecretFileVolume] = (),
) -> dict[str, Any]:
    """The Deployment `<name>`: the vmcp container, config and CA-bundle volumes.

    `incoming_volumes` (the OIDC CA bundle) follow the config volume, as the operator's do;
    `telemetry_volumes` (the OTLP CA bundle) follow the entries' CA bundles, `secret_files` (the
    session Redis CA) come last, one key each, as the operator's do.
    """
    selector = naming.workload_labels(name)
    labels = _merged(selector, common_labels(name, args))
    ca_bundles = sorted((b.ca_bundle for b in backends if b.ca_bundle), key=lambda c: c.entry)
    volumes: list[dict[str, Any]] = [
        {"name": "vmcp-config", "configMap": {"name": naming.config_map_name(name)}}
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "vmcp-config", "mountPath": naming.CONFIG_MOUNT_DIR, "readOnly": True}
    ]
    files = [*incoming_volumes]
    files += [ConfigMapVolume(b.volume_name, b.config_map, b.key, b.mount_dir) for b in ca_bundles]
    files += telemetry_volumes
    for file in files:
        volumes.append(
            {
                "name": file.volume_name,
                "configMap": {
                    "name": file.config_map,
                    "items": [{"key": file.key, "path": file.key}],
                },
            }
        )
        mounts.append({"name": file.volume_name, "mountPath": file.mount_dir, "readOnly": True})
    for secret in secret_files:
        volumes.append(_secret_file_volume(secret))
        mounts.append(
            {
                "name": secret.volume_name,
                "mountPath": f"{secret.mount_dir}/{secret.file_name}",
                "subPath": secret.file_name,
                "readOnly": True,
            }
        )
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
        + (["--debug"] if args.operational is not None and args.operational.debug else []),
        "ports": [{"name": "http", "containerPort": naming.PROXY_PORT, "protocol": "TCP"}],
        "env": env,
        "volumeMounts": mounts,
        "livenessProbe": _probe("/health", 30, 10),
        "readinessProbe": _probe("/readyz", 15, 5),
        "resources": args.resources.dump() if args.resources else _default_resources(),
        "securityContext": {
            "privileged": False,
            **_restricted_ids(args),
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            **_seccomp(),
            "capabilities": {"drop": ["ALL"]},
        },
    }
    spec: dict[str, Any] = {}
    if args.replicas is not None:
        spec["replicas"] = args.replicas
    spec["selector"] = {"matchLabels": dict(selector)}
    spec["template"] = {
        "metadata": {
            "labels": _merged(labels, args.pod_labels),
            "annotations": _merged(
                {naming.RUNCONFIG_CHECKSUM_ANNOTATION: config_checksum}, args.pod_annotations
            ),
        },
        "spec": {
            "serviceAccountName": args.service_account or naming.rbac_name(name),
            "terminationGracePeriodSeconds": 30,
            "securityContext": {**_restricted_ids(args), **_fs_group(args), **_seccomp()},
            "containers": [container],
            "volumes": volumes,
            **_scheduling(args, selector),
        },
    }
    annotations: dict[str, str] = {}
    if args.pod_template_spec is not None:
        patch = args.pod_template_spec.document()
        spec["template"] = apply_pod_template_spec(spec["template"], patch)
        annotations[PODTEMPLATESPEC_HASH_ANNOTATION] = pod_template_spec_hash(patch)
    return {
        "apiVersion": API_VERSIONS["Deployment"],
        "kind": "Deployment",
        "metadata": _meta(name, args.namespace, labels, annotations),
        "spec": spec,
    }


def service(name: str, args: VirtualMCPServerArgs) -> dict[str, Any]:
    """The Service `vmcp-<name>` in front of the vmcp pods."""
    selector = naming.workload_labels(name)
    labels = _merged(selector, common_labels(name, args))
    return {
        "apiVersion": API_VERSIONS["Service"],
        "kind": "Service",
        "metadata": _meta(
            naming.service_name(name), args.namespace, labels, args.service_annotations
        ),
        "spec": {
            "type": args.service_type,
            "sessionAffinity": args.session_affinity,
            "selector": dict(selector),
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


def pod_disruption_budget(name: str, args: VirtualMCPServerArgs) -> dict[str, Any]:
    """At most one vMCP pod voluntarily evicted at a time (or the configured bound)."""
    selector = naming.workload_labels(name)
    settings = args.pod_disruption_budget
    bound = settings.bound() if settings else {"maxUnavailable": 1}
    return {
        "apiVersion": API_VERSIONS["PodDisruptionBudget"],
        "kind": "PodDisruptionBudget",
        "metadata": _meta(
            naming.pod_disruption_budget_name(name),
            args.namespace,
            _merged(selector, common_labels(name, args)),
        ),
        "spec": {**bound, "selector": {"matchLabels": dict(selector)}},
    }


def rbac(name: str, args: VirtualMCPServerArgs) -> list[dict[str, Any]]:
    """ServiceAccount, Role (read the ToolHive group kinds, nothing else) and RoleBinding."""
    account = naming.rbac_name(name)
    namespace = args.namespace
    labels = common_labels(name, args)
    return [
        {
            "apiVersion": API_VERSIONS["ServiceAccount"],
            "kind": "ServiceAccount",
            "metadata": _meta(account, namespace, labels, args.service_account_annotations),
        },
        {
            "apiVersion": API_VERSIONS["Role"],
            "kind": "Role",
            "metadata": _meta(account, namespace, labels),
            "rules": [
                {
                    "apiGroups": [TOOLHIVE_GROUP],
                    "resources": [kind.plural for kind in VMCP_ROLE_KINDS],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": API_VERSIONS["RoleBinding"],
            "kind": "RoleBinding",
            "metadata": _meta(account, namespace, labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    ]

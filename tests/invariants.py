"""Invariants of a rendering, checked independently of the renderer's own checks.

`violations(objects)` looks only at the declared objects, as the API server and the vMCP
binary would receive them, and says what either would refuse or misread: names repeated in
one namespace of names (objects per kind and namespace, volumes, mounts, containers, ports,
env vars, ConfigMap items), a mount without its volume, a CA file or the config file not
mounted, an env var that config.yaml or a header-forwarding manifest needs but the container
lacks (and the reverse: a Secret-backed env var nothing reads), and every name against the API
server's own rules.

The rules of names and sizes come from `tests/k8s_rules.py`, written out from Kubernetes'
validation; the cross-object rules (Kubernetes v1.37.2, `pkg/apis/core/validation`):
ValidateVolumes (unique names), ValidateVolumeMounts (its volume exists, mountPath unique),
validateContainerPorts (unique names, 1-65535), ValidateEnv, validateSecretKeySelector, the
name rule of each kind (Service: DNS-1035 label; ConfigMap, Deployment, ServiceAccount,
PodDisruptionBudget: DNS subdomain; Role, RoleBinding: path segment), and `apps/validation`:
a Deployment's selector must match its template's labels. The rest is what vmcp reads
(`reference/toolhive-static-mode.md`) and what the product promises (no orphaned volumes or
Secret-backed env vars).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import yaml

from tests.k8s_rules import (
    ANNOTATIONS_MAX,
    CONFIG_MAP_DATA_MAX,
    ENV_STRING_MAX,
    is_config_map_key,
    is_dns_1035_label,
    is_dns_label,
    is_dns_subdomain,
    is_env_var_name,
    is_label_value,
    is_local_path,
    is_path_segment,
    is_port_name,
    is_qualified_name,
)

DNS_SUBDOMAIN_KINDS = {"ConfigMap", "Deployment", "ServiceAccount", "PodDisruptionBudget"}
PATH_SEGMENT_KINDS = {"Role", "RoleBinding"}
# What the vMCP binary reads (reference/toolhive-static-mode.md): env var names in config.yaml
# (keys ending in `Env`), a per-backend header manifest, and the identifiers it names.
VMCP_CONTAINER = "vmcp"
HEADER_MANIFEST_PREFIX = "TOOLHIVE_HEADER_FORWARD_"
HEADER_SECRET_PREFIX = "TOOLHIVE_SECRET_"
OTEL_HEADER_PREFIX = "TOOLHIVE_OTEL_HEADER_"
"""The operator's env var per sensitive OTLP header of a referenced MCPTelemetryConfig. vmcp
v0.63.0 reads none of them (nothing in ToolHive does), but the operator sets them and this
product matches it: allowed unread only next to a `telemetry` section."""
SECRETS_PROVIDER = ("TOOLHIVE_SECRETS_PROVIDER", "environment")
CONFIG_ARG = "--config="


def _duplicates(values: Iterable[object]) -> list[object]:
    return sorted((v for v, n in Counter(values).items() if n > 1), key=repr)


class _Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def unique(self, where: str, values: Iterable[object]) -> None:
        for value in _duplicates(values):
            self.problems.append(f"{where}: {value!r} appears more than once")

    def rule(self, where: str, value: str, check: Callable[[str], bool], rule: str) -> None:
        if not check(value):
            self.problems.append(f"{where}: {value!r} is not {rule}")

    def need(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


def _metadata(report: _Report, obj: Mapping[str, Any], where: str) -> None:
    meta = obj["metadata"]
    kind, name = obj["kind"], meta["name"]
    if kind == "Service":
        report.rule(where, name, is_dns_1035_label, "a DNS-1035 label")
    elif kind in PATH_SEGMENT_KINDS:
        report.rule(where, name, lambda n: bool(n) and is_path_segment(n), "a path segment name")
    else:
        assert kind in DNS_SUBDOMAIN_KINDS, f"no name rule written out for kind {kind}"
        report.rule(where, name, is_dns_subdomain, "a DNS-1123 subdomain")
    namespace = meta.get("namespace", "")
    report.rule(f"{where} namespace", namespace, is_dns_label, "a DNS-1123 label")
    _labels(report, f"{where} labels", meta.get("labels") or {})
    _annotations(report, f"{where} annotations", meta.get("annotations") or {})


def _labels(report: _Report, where: str, labels: Mapping[str, str]) -> None:
    for key, value in labels.items():
        report.rule(where, key, is_qualified_name, "a qualified name")
        report.rule(f"{where}[{key}]", value, is_label_value, "a label value")


def _annotations(report: _Report, where: str, annotations: Mapping[str, str]) -> None:
    for key in annotations:
        report.rule(where, key, is_qualified_name, "a qualified name")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    report.need(size <= ANNOTATIONS_MAX, f"{where}: {size} bytes, over {ANNOTATIONS_MAX}")


def _config_map(report: _Report, obj: Mapping[str, Any], where: str) -> None:
    data: Mapping[str, str] = obj.get("data") or {}
    for key in data:
        report.rule(f"{where} data", key, is_config_map_key, "a ConfigMap key")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    report.need(size <= CONFIG_MAP_DATA_MAX, f"{where}: data is {size} bytes, over 1 MiB")


def _volumes(report: _Report, pod: Mapping[str, Any], where: str) -> dict[str, Any]:
    volumes: list[Mapping[str, Any]] = pod.get("volumes") or []
    report.unique(f"{where} volume names", (v["name"] for v in volumes))
    for volume in volumes:
        name, source = volume["name"], volume.get("configMap")
        report.rule(f"{where} volume", name, is_dns_label, "a DNS-1123 label")
        if source is None:  # another kind of volume (podTemplateSpec): only its name is ours
            continue
        report.rule(f"{where} volume {name}", source["name"], is_dns_subdomain, "a ConfigMap name")
        items: list[Mapping[str, str]] = source.get("items") or []
        report.unique(f"{where} volume {name} item paths", (i["path"] for i in items))
        for item in items:
            report.rule(
                f"{where} volume {name} key", item["key"], is_config_map_key, "a ConfigMap key"
            )
            report.rule(f"{where} volume {name} path", item["path"], is_local_path, "a local path")
    return {v["name"]: v for v in volumes}


def _env(report: _Report, container: Mapping[str, Any], where: str) -> dict[str, Mapping[str, Any]]:
    env: list[Mapping[str, Any]] = container.get("env") or []
    report.unique(f"{where} env names", (e["name"] for e in env))
    for item in env:
        name = item["name"]
        report.rule(f"{where} env", name, is_env_var_name, "an env var name")
        if "value" in item:
            size = len(f"{name}={item['value']}".encode()) + 1
            report.need(
                size <= ENV_STRING_MAX,
                f"{where} env {name}: {size} bytes, over Linux's {ENV_STRING_MAX}",
            )
        ref = (item.get("valueFrom") or {}).get("secretKeyRef")
        if ref is not None:
            report.rule(
                f"{where} env {name} secret", ref["name"], is_dns_subdomain, "a Secret name"
            )
            report.rule(f"{where} env {name} key", ref["key"], is_config_map_key, "a Secret key")
    return {e["name"]: e for e in env}


def _container(
    report: _Report, container: Mapping[str, Any], volumes: Mapping[str, Any], where: str
) -> None:
    ports: list[Mapping[str, Any]] = container.get("ports") or []
    report.unique(f"{where} port names", (p["name"] for p in ports))
    for port in ports:
        report.rule(f"{where} port", port["name"], is_port_name, "an IANA service name")
        report.need(
            1 <= port["containerPort"] <= 65535, f"{where} port {port['name']}: out of range"
        )
    names = {p["name"] for p in ports}
    for probe in ("livenessProbe", "readinessProbe"):
        port = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
        report.need(
            port is None or port in names or isinstance(port, int),
            f"{where} {probe}: no port {port!r}",
        )
    mounts: list[Mapping[str, Any]] = container.get("volumeMounts") or []
    report.unique(f"{where} mount paths", (m["mountPath"] for m in mounts))
    report.unique(f"{where} mounted volumes", (m["name"] for m in mounts))
    for mount in mounts:
        report.need(
            mount["name"] in volumes,
            f"{where} mount {mount['mountPath']}: no volume {mount['name']!r}",
        )
        report.need(
            posixpath.isabs(mount["mountPath"]),
            f"{where} mount {mount['mountPath']!r}: not absolute",
        )


def _file_is_mounted(
    path: str,
    mounts: Sequence[Mapping[str, Any]],
    volumes: Mapping[str, Any],
    config_maps: Mapping[str, Any],
) -> bool:
    """True if `path` is a file a read-only configMap volume puts there with a declared key."""
    directory, file = posixpath.split(path)
    for mount in mounts:
        if mount["mountPath"] != directory or not mount.get("readOnly"):
            continue
        source = volumes.get(mount["name"], {}).get("configMap") or {}
        items = source.get("items")
        if items is None:  # the whole ConfigMap: every key is a file, so it must be declared
            return file in (config_maps.get(source.get("name", ""), {}).get("data") or {})
        return any(item["path"] == file for item in items)
    return False


def _env_names_in(document: object) -> set[str]:
    """The env vars config.yaml names: every non-empty string under a key ending in `Env`
    (vmcp's `clientSecretEnv`, `headerValueEnv`, ...: the name of an env var it reads)."""
    found: set[str] = set()
    if isinstance(document, Mapping):
        for key, value in cast("Mapping[str, object]", document).items():
            if key.endswith("Env") and isinstance(value, str) and value:
                found.add(value)
            found |= _env_names_in(value)
    elif isinstance(document, list):
        for item in cast("list[object]", document):
            found |= _env_names_in(item)
    return found


def _env_token(value: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", value.upper().replace("-", "_"))


def _vmcp_reads(
    report: _Report, deployment: Mapping[str, Any], config_maps: Mapping[str, Any]
) -> None:
    """What vmcp opens and looks up is on the pod, and nothing Secret-backed is unused."""
    pod = deployment["spec"]["template"]["spec"]
    container = next((c for c in pod["containers"] if c["name"] == VMCP_CONTAINER), None)
    report.need(container is not None, f"{deployment['metadata']['name']}: no vmcp container")
    if container is None:
        return
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    mounts = container.get("volumeMounts") or []
    env = {e["name"]: e for e in container.get("env") or []}
    where = f"Deployment {deployment['metadata']['name']}"
    config_path = next(
        (a[len(CONFIG_ARG) :] for a in container.get("args", []) if a.startswith(CONFIG_ARG)), None
    )
    report.need(config_path is not None, f"{where}: no {CONFIG_ARG} argument")
    if config_path is None:
        return
    report.need(
        _file_is_mounted(config_path, mounts, volumes, config_maps),
        f"{where}: {config_path} is not mounted",
    )
    config_map = next(
        (
            c
            for c in config_maps.values()
            if posixpath.basename(config_path) in (c.get("data") or {})
        ),
        None,
    )
    if config_map is None:
        return
    config = yaml.safe_load(config_map["data"][posixpath.basename(config_path)])
    backends: list[Mapping[str, Any]] = config.get("backends") or []
    report.unique("config.yaml backend names", (b["name"] for b in backends))
    needed: set[str] = set()
    ca_dirs: set[str] = set()
    for backend in backends:
        if path := backend.get("caBundlePath"):
            ca_dirs.add(posixpath.dirname(path))
            report.need(
                _file_is_mounted(path, mounts, volumes, config_maps),
                f"{where}: caBundlePath {path} is not mounted",
            )
    needed.update(_env_names_in(config))
    tokens = {_env_token(b["name"]) for b in backends}
    for name, item in env.items():
        if not name.startswith(HEADER_MANIFEST_PREFIX):
            continue
        report.need(
            name[len(HEADER_MANIFEST_PREFIX) :] in tokens, f"{where}: {name} belongs to no backend"
        )
        manifest = json.loads(item["value"].replace("$$", "$"))
        needed.update(
            HEADER_SECRET_PREFIX + i for i in (manifest.get("addHeadersFromSecret") or {}).values()
        )
    for name in sorted(needed):
        report.need(name in env, f"{where}: env var {name} is read by vmcp but not set")
    if config.get("telemetry") is not None:
        needed.update(name for name in env if name.startswith(OTEL_HEADER_PREFIX))
    optional = set[str]()
    if (config.get("sessionStorage") or {}).get("provider") == "redis":
        optional.add("THV_SESSION_REDIS_PASSWORD")  # read by vmcp for Redis, may be unset
    for name, item in env.items():
        if "valueFrom" in item:
            report.need(
                name in needed | optional,
                f"{where}: env var {name} is filled from a Secret but nothing reads it",
            )
    if any(name.startswith(HEADER_SECRET_PREFIX) for name in env):
        value = env.get(SECRETS_PROVIDER[0], {}).get("value")
        report.need(
            value == SECRETS_PROVIDER[1],
            f"{where}: {SECRETS_PROVIDER[0]} is not {SECRETS_PROVIDER[1]}",
        )
    for mount in mounts:
        if mount["mountPath"].startswith("/etc/toolhive/ca-bundles/"):
            report.need(
                mount["mountPath"] in ca_dirs,
                f"{where}: CA mount {mount['mountPath']} serves no backend",
            )


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def violations(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """Everything the API server or vmcp would refuse or misread in `objects`; [] if none."""
    report = _Report()
    report.unique(
        "objects (kind, namespace, name)",
        ((o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects),
    )
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    for obj in objects:
        where = f"{obj['kind']} {obj['metadata']['name']}"
        _metadata(report, obj, where)
        if obj["kind"] == "ConfigMap":
            _config_map(report, obj, where)
    for deployment in deployments:
        where = f"Deployment {deployment['metadata']['name']}"
        template = deployment["spec"]["template"]
        pod = template["spec"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        report.need(
            _selects(selector, template["metadata"]["labels"]),
            f"{where}: selector does not match the template labels",
        )
        _labels(report, f"{where} template labels", template["metadata"]["labels"])
        _annotations(
            report, f"{where} template annotations", template["metadata"].get("annotations") or {}
        )
        volumes = _volumes(report, pod, where)
        containers: list[Mapping[str, Any]] = pod["containers"]
        report.unique(f"{where} container names", (c["name"] for c in containers))
        for container in containers:
            cwhere = f"{where} container {container['name']}"
            report.rule(where, container["name"], is_dns_label, "a DNS-1123 label")
            _env(report, container, cwhere)
            _container(report, container, volumes, cwhere)
        # the ConfigMap volumes are the renderer's (a podTemplateSpec may add others, unmounted)
        mounted = {m["name"] for c in containers for m in c.get("volumeMounts") or []}
        for name, volume in volumes.items():
            ok = name in mounted or "configMap" not in volume
            report.need(ok, f"{where}: volume {name!r} is mounted nowhere")
        _vmcp_reads(report, deployment, config_maps)
        _references(report, objects, deployment)
    return report.problems


def _references(
    report: _Report, objects: Sequence[Mapping[str, Any]], deployment: Mapping[str, Any]
) -> None:
    """Service, PodDisruptionBudget and RBAC objects point at what is declared."""
    template = deployment["spec"]["template"]
    pod_labels = template["metadata"]["labels"]
    declared = {(o["kind"], o["metadata"]["name"]) for o in objects}
    container_ports = [p for c in template["spec"]["containers"] for p in c.get("ports") or []]
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec") or {}
        where = f"{kind} {obj['metadata']['name']}"
        if kind == "Service":
            report.need(_selects(spec["selector"], pod_labels), f"{where}: selects no vmcp pod")
            report.unique(f"{where} port names", (p["name"] for p in spec["ports"]))
            for port in spec["ports"]:
                report.rule(where, port["name"], is_port_name, "an IANA service name")
                report.need(
                    1 <= port["port"] <= 65535, f"{where} port {port['name']}: out of range"
                )
                target = port.get("targetPort", port["port"])
                report.need(
                    any(target in (p["containerPort"], p["name"]) for p in container_ports),
                    f"{where} port {port['name']}: targetPort {target!r} is no container port",
                )
        elif kind == "PodDisruptionBudget":
            selector = spec["selector"]["matchLabels"]
            report.need(_selects(selector, pod_labels), f"{where}: selects no vmcp pod")
        elif kind == "RoleBinding":
            ref = obj["roleRef"]
            report.need((ref["kind"], ref["name"]) in declared, f"{where}: no {ref['kind']}")
            for subject in obj["subjects"]:
                ok = (subject["kind"], subject["name"]) in declared
                report.need(ok, f"{where}: no {subject['kind']} {subject['name']}")
    account = template["spec"].get("serviceAccountName")
    if any(kind == "ServiceAccount" for kind, _ in declared):
        ok = ("ServiceAccount", account) in declared
        report.need(ok, f"Deployment: serviceAccountName {account!r} is not declared")


def assert_invariants(objects: Sequence[Mapping[str, Any]]) -> None:
    """AssertionError listing every violation (see `violations`)."""
    problems = violations(objects)
    assert not problems, "rendering breaks invariants:\n  " + "\n  ".join(problems)

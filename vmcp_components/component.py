"""`VirtualMCPServer`: the Pulumi component that reads a group's backends and deploys vMCP.

At construction it asks discovery which objects exist (plain values), declares one get-call
per object (so `pulumi preview` lists the reads and the stack records them), runs the pure
`render` over what the reads return, and declares the rendered objects one to one as
pulumi_kubernetes resources. Every child's inputs come from that one rendering, so when it
fails (zero usable backends, a skip under `strict`, a group too large) no child is registered
and nothing in the cluster changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.args import VirtualMCPServerArgs, check_vmcp_name
from vmcp_components.discovery import ClusterDiscovery, Discovery, ReadPlan
from vmcp_components.errors import VmcpError
from vmcp_components.inventory import Inventory, build_inventory
from vmcp_components.manifests import wants_pod_disruption_budget
from vmcp_components.naming import snake_case
from vmcp_components.reads import READ_CLASSES, read_value
from vmcp_components.render import Rendering, render

COMPONENT_TYPE = "vmcp:index:VirtualMCPServer"


def default_discovery() -> ClusterDiscovery:
    """Discovery through the default kubernetes provider's own settings (or $KUBECONFIG)."""
    config = pulumi.Config("kubernetes")
    return ClusterDiscovery(kubeconfig=config.get("kubeconfig"), context=config.get("context"))


class VirtualMCPServer(pulumi.ComponentResource):
    """vMCP in static mode for one MCPGroup: ConfigMap, Deployment, RBAC and Service."""

    discovered_backends: pulumi.Output[list[dict[str, Any]]]
    """Backends written to config.yaml: name, kind, type, url, transport, status, authType, ..."""
    backend_count: pulumi.Output[int]
    """Number of backends written to config.yaml."""
    skipped_backends: pulumi.Output[list[dict[str, Any]]]
    """Group members left out, each with its kind and the reason."""
    config_checksum: pulumi.Output[str]
    """SHA-256 of the config ConfigMap (its content-checksum annotation)."""
    url: pulumi.Output[str]
    """In-cluster URL of the vMCP Service."""
    config_map_name: pulumi.Output[str]
    deployment_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: VirtualMCPServerArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        *,
        discovery: Discovery | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._args = (
            args
            if isinstance(args, VirtualMCPServerArgs)
            else VirtualMCPServerArgs.model_validate(args)
        )
        self._vmcp_name = check_vmcp_name(self._args.name or name)
        plan = (discovery or default_discovery()).discover(
            self._args.namespace,
            self._args.group,
            self._args.entries,
            sorted(
                auth.external_auth_config_ref.name
                for auth in [
                    self._args.outgoing_auth.default,
                    *self._args.outgoing_auth.backends.values(),
                ]
                if auth is not None and auth.external_auth_config_ref is not None
            ),
        )
        rendering = self._declare_reads(name, plan).apply(self._render)
        children = self._declare_children(name, rendering)

        status = rendering.apply(lambda r: r.status)
        self.discovered_backends = status.apply(lambda s: s["discoveredBackends"])
        self.backend_count = status.apply(lambda s: s["backendCount"])
        self.skipped_backends = status.apply(lambda s: s["skippedBackends"])
        self.config_checksum = status.apply(lambda s: s["configChecksum"])
        self.url = status.apply(lambda s: s["url"])
        config_map = cast(k8s.core.v1.ConfigMap, children["ConfigMap"])
        deployment = cast(k8s.apps.v1.Deployment, children["Deployment"])
        self.config_map_name = config_map.metadata.apply(lambda m: m.name or "")
        self.deployment_name = deployment.metadata.apply(lambda m: m.name or "")
        self.register_outputs(
            {
                "discoveredBackends": self.discovered_backends,
                "backendCount": self.backend_count,
                "skippedBackends": self.skipped_backends,
                "configChecksum": self.config_checksum,
                "url": self.url,
                "configMapName": self.config_map_name,
                "deploymentName": self.deployment_name,
            }
        )

    def _declare_reads(self, name: str, plan: ReadPlan) -> pulumi.Output[Inventory]:
        """One get-call per object the derivation may look at; their bodies form the Inventory."""
        namespace = plan.namespace
        opts = pulumi.ResourceOptions(parent=self)
        names: list[tuple[str, str]] = [("MCPGroup", plan.group)] if plan.group else []
        names += [
            (kind, member) for kind, members in sorted(plan.members.items()) for member in members
        ]
        names += [("MCPExternalAuthConfig", config) for config in plan.auth_configs]
        bodies: list[pulumi.Output[dict[str, Any]]] = [
            READ_CLASSES[kind](f"{name}-{kind.lower()}-{obj}", f"{namespace}/{obj}", opts).body()
            for kind, obj in names
        ]
        for config_map in plan.config_maps:
            read = k8s.core.v1.ConfigMap.get(
                f"{name}-configmap-{config_map}", f"{namespace}/{config_map}", opts=opts
            )
            data = read_value(read, read.data)
            bodies.append(data.apply(lambda d, n=config_map: _config_map_body(namespace, n, d)))
        secret_keys = dict(plan.secret_keys)
        return pulumi.Output.all(*bodies).apply(
            lambda objects: Inventory(
                namespace,
                build_inventory(namespace, objects, f"reads in namespace {namespace}").objects,
                secret_keys,
            )
        )

    def _render(self, inventory: Inventory) -> Rendering:
        try:
            rendering = render(inventory, self._vmcp_name, self._args)
        except VmcpError as error:
            raise pulumi.RunError(f"VirtualMCPServer {self._vmcp_name}: {error}") from None
        for skipped in rendering.derivation.skipped:
            pulumi.log.warn(
                f'skipped {skipped.kind} "{skipped.name}": {skipped.reason}', resource=self
            )
        return rendering

    def _declare_children(
        self, name: str, rendering: pulumi.Output[Rendering]
    ) -> dict[str, pulumi.CustomResource]:
        """The rendered objects, one resource each, named `<name>-<role>` and parented here."""

        def part(kind: str, key: str) -> pulumi.Output[Any]:
            return rendering.apply(lambda r: r.object(kind)[key])

        def declare(
            kind: str,
            suffix: str,
            factory: Callable[..., pulumi.CustomResource],
            keys: Sequence[str],
            depends_on: Sequence[pulumi.Resource] = (),
        ) -> pulumi.CustomResource:
            inputs = {snake_case(key): part(kind, key) for key in ("metadata", *keys)}
            opts = pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))
            return factory(f"{name}-{suffix}", opts=opts, **inputs)

        children: dict[str, pulumi.CustomResource] = {}
        if self._args.service_account is None:
            children["ServiceAccount"] = declare(
                "ServiceAccount", "service-account", k8s.core.v1.ServiceAccount, []
            )
            children["Role"] = declare("Role", "role", k8s.rbac.v1.Role, ["rules"])
            children["RoleBinding"] = declare(
                "RoleBinding",
                "role-binding",
                k8s.rbac.v1.RoleBinding,
                ["roleRef", "subjects"],
                depends_on=[children["Role"], children["ServiceAccount"]],
            )
        children["ConfigMap"] = declare("ConfigMap", "config", k8s.core.v1.ConfigMap, ["data"])
        children["Deployment"] = declare(
            "Deployment",
            "deployment",
            k8s.apps.v1.Deployment,
            ["spec"],
            depends_on=[
                children["ConfigMap"],
                *(c for k, c in children.items() if k == "RoleBinding"),
            ],
        )
        children["Service"] = declare("Service", "service", k8s.core.v1.Service, ["spec"])
        if wants_pod_disruption_budget(self._args):
            children["PodDisruptionBudget"] = declare(
                "PodDisruptionBudget", "pdb", k8s.policy.v1.PodDisruptionBudget, ["spec"]
            )
        return children


def _config_map_body(namespace: str, name: str, data: Mapping[str, str] | None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data or {}),
    }

"""`VirtualMCPServer`: the Pulumi component that reads a group's backends and deploys vMCP.

Its children (ConfigMap, Deployment, Service and, unless an existing service account is used,
ServiceAccount, Role and RoleBinding) are always declared, so `pulumi preview` shows them even
when the cluster, the namespace or the group's members are still to be created by the same
program. Their inputs come from one rendering, made once the component's inputs are known and
every resource in `opts.depends_on` exists: discovery (lightkube, on the same cluster as the
provider) names the objects to read, one get-call per object records them in the stack, and the
pure `render` turns the reads into the objects. What cannot be known in preview stays unknown.
When the rendering fails (zero usable backends, a skip under `strict`, a group too large), no
child reaches the engine and nothing in the cluster changes; when the inputs are known at
construction, the refusal (`refusals.ComponentError`) comes before the component registers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi.resource import DependencyResource

from vmcp_components.component.children import Declare, plain_child, typed_child
from vmcp_components.component.outputs import derived, detached, joined
from vmcp_components.component.preflight_step import preflighted
from vmcp_components.component.reads import ReadRequest, read_all
from vmcp_components.component.refusals import ComponentError, refuse_a_second_cluster
from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.backends.read_plan import (
    Discovery,
    InventorySource,
    ReadPlan,
    plan_reads,
)
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.cluster.kinds import api_version_of
from vmcp_components.core.output.manifests import wants_pod_disruption_budget
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.args import (
    ArgsError,
    VirtualMCPServerArgs,
    parse_args,
    vmcp_name,
)
from vmcp_components.errors import VmcpError
from vmcp_components.kube.discovery import ClusterDiscovery

COMPONENT_TYPE = "vmcp:index:VirtualMCPServer"
CLUSTER_KEYS = ("kubeconfig", "context")
INPUT_KEYS = ("namespace", "group", "entries")
"""Arguments that may be Outputs (with the cluster keys): they do not decide what is declared."""


class VirtualMCPServer(pulumi.ComponentResource):
    """vMCP in static mode for one MCPGroup: ConfigMap, Deployment, RBAC and Service."""

    # The children are the attributes `config_map`, `deployment`, `service`, `service_account`,
    # `role` and `role_binding` (None when the vMCP runs as an existing `serviceAccount`) and
    # `pod_disruption_budget` (None unless replicas > 1 or `podDisruptionBudget` asks for it),
    # each of its pulumi_kubernetes class, annotated in `_declare_children` (see why there).

    discovered_backends: pulumi.Output[list[dict[str, Any]]]
    """Backends written to config.yaml: name, kind, type, url, transport, status, authType, ..."""
    backend_count: pulumi.Output[int]
    """Number of backends written to config.yaml."""
    skipped_backends: pulumi.Output[list[dict[str, Any]]]
    """Group members left out, each with its kind and the reason."""
    config_checksum: pulumi.Output[str]
    """SHA-256 of the config ConfigMap (its content-checksum annotation)."""
    url: pulumi.Output[str]
    """In-cluster URL of the vMCP Service; resolves once the Service exists."""
    config_map_name: pulumi.Output[str]
    """Name of the ConfigMap holding config.yaml."""
    deployment_name: pulumi.Output[str]
    """Name of the vMCP Deployment."""

    def __init__(
        self,
        name: str,
        args: VirtualMCPServerArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        *,
        discovery: Discovery | None = None,
        typed_children: bool = True,
    ) -> None:
        """Declare the vMCP for `args`, rendered once its inputs are known.

        `args` is the model, or a mapping whose `namespace`, `group`, `entries`, `kubeconfig`
        and `context` may be `pulumi.Input`s; `discovery` replaces the lightkube discovery.
        With `typed_children=False` the children are plain `pulumi.CustomResource`s of the
        same types and inputs (the same state), which the program uses (see `children`).
        """
        # Every refusal that can be made now is made before the component is registered, so a
        # refused component leaves nothing in the state.
        try:
            settings, cluster = _split_args(args)
            self._shape = _shape(settings)
            self._vmcp_name = vmcp_name(self._shape.name or name)
        except VmcpError as error:
            raise ComponentError(f"VirtualMCPServer {name}: {error}") from None
        self._dry_run = pulumi.runtime.is_dry_run()
        self._waits_on_others = bool(opts and opts.depends_on)
        if discovery is None and "kubeconfig" not in cluster:
            refuse_a_second_cluster(self._vmcp_name, opts)
        self._discovery = discovery
        self._plan = self._checked_plan(settings, cluster)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        rendering = self._rendering(name, settings, cluster, opts)
        self._declare_children(name, rendering, typed_child if typed_children else plain_child)

        # Each straight from the rendering: an Output whose value is a dict or list is searched
        # for unknowns by the SDK when made, and the status holds a row per backend.
        self.discovered_backends = derived(rendering, lambda r: r.status["discoveredBackends"])
        self.backend_count = derived(rendering, lambda r: r.status["backendCount"])
        self.skipped_backends = derived(rendering, lambda r: r.status["skippedBackends"])
        self.config_checksum = derived(rendering, lambda r: r.status["configChecksum"])
        self.url = derived(joined([self.service.id, rendering]), lambda v: str(v[1].status["url"]))
        self.config_map_name = self.config_map.metadata.apply(_name)
        self.deployment_name = self.deployment.metadata.apply(_name)
        # Not `discoveredBackends`: one row per backend, and the engine re-serialises the whole
        # state after every step, so with the program's stack output it would be paid twice.
        self.register_outputs(
            {
                "backendCount": self.backend_count,
                "skippedBackends": self.skipped_backends,
                "configChecksum": self.config_checksum,
                "url": self.url,
                "configMapName": self.config_map_name,
                "deploymentName": self.deployment_name,
            }
        )

    def _checked_plan(
        self, settings: VirtualMCPServerArgs | dict[str, Any], cluster: dict[str, Any]
    ) -> ReadPlan | None:
        """When every input is known now: discover, render, and refuse before registering.

        The rendering here is made from what discovery found; the children are rendered again
        from the get-calls (the same objects, recorded in the stack). None when an input is
        still an Output, when `depends_on` must exist first, or when the discovery gives only
        a plan: the refusal then comes from the get-calls' rendering, after registration.
        """
        if (
            not isinstance(settings, VirtualMCPServerArgs)
            or _holds_outputs(cluster)
            or self._waits_on_others
        ):
            return None
        discovery = self._discovery or _cluster_discovery(cluster)
        if not isinstance(discovery, InventorySource):
            return None
        where = (settings.namespace, settings.group, settings.entries)
        auth_configs = settings.named_auth_configs()
        incoming = incoming_references(settings)
        try:
            inventory = discovery.fetch(*where, auth_configs, incoming)
            render(inventory, self._vmcp_name, settings)
        except VmcpError as error:
            raise ComponentError(f"VirtualMCPServer {self._vmcp_name}: {error}") from None
        return plan_reads(inventory, settings.group, settings.entries, auth_configs, incoming)

    def _rendering(
        self,
        name: str,
        settings: VirtualMCPServerArgs | dict[str, Any],
        cluster: dict[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> pulumi.Output[Rendering]:
        """The rendering, once the inputs are known and every `depends_on` resource exists.

        `self.urn` resolves only after the engine has finished every resource in
        `opts.depends_on` (for a component there, its children); the ids of the custom
        resources listed there are unknown in preview when they are about to change.
        """
        depends_on: object = opts.depends_on if opts else None
        dependencies: list[object] = list(depends_on) if isinstance(depends_on, list) else []
        # A provider host (other languages) passes URN-only stand-ins, which have no id.
        ids = [
            d.id
            for d in dependencies
            if isinstance(d, pulumi.CustomResource) and not isinstance(d, DependencyResource)
        ]
        # Waits for the URN only when there is something to wait for: it is the engine's round
        # trip (about 0.5 s of every run) otherwise. Detached, as a dependency of the children
        # on the component itself would be one on themselves.
        urn = [detached(self.urn)] if self._waits_on_others else []
        # The kubeconfig is used in memory to list the cluster and never stored by this
        # component; its secretness must not spread to the rendered objects.
        resolved = pulumi.Output.all(
            pulumi.Output.unsecret(pulumi.Output.from_input(cluster)),
            pulumi.Output.from_input(settings),
            *urn,
            *ids,
        )
        return resolved.apply(lambda values: self._discover_and_read(name, *values[:2]))

    def _discover_and_read(
        self, name: str, cluster: dict[str, Any], settings: VirtualMCPServerArgs | dict[str, Any]
    ) -> pulumi.Output[Rendering]:
        args = self._validated(settings)
        try:
            plan = self._plan or (self._discovery or _cluster_discovery(cluster)).discover(
                args.namespace,
                args.group,
                args.entries,
                args.named_auth_configs(),
                incoming_references(args),
            )
        except VmcpError as error:
            raise self._error(str(error)) from None
        if plan.group is None and self._dry_run and self._waits_on_others:
            pulumi.log.info(
                f"MCPGroup {args.group!r} does not exist yet in namespace {args.namespace!r}; "
                "it may be created by this program: the objects are shown as unknown",
                resource=self,
            )
            return _unknown()
        inventory = self._declare_reads(name, plan)
        # The children need the reads' values, not an ordering on the reads: with them as
        # dependencies every child would list every member in the state (and the engine would
        # walk those lists on every run). Reads are never deleted, so no ordering is lost; the
        # cluster and `depends_on` resources stay dependencies through the outer apply.
        rendered = derived(inventory, lambda inv: self._render(inv, args))
        if args.preflight != "off":
            rendered = preflighted(rendered, inventory, args.preflight, self, self._error)
        return detached(rendered)

    def _declare_reads(self, name: str, plan: ReadPlan) -> pulumi.Output[Inventory]:
        """One get-call per object the derivation may look at; their bodies form the Inventory."""
        namespace = plan.namespace
        requests = [
            ReadRequest(f"{name}-{kind.lower()}-{obj}", api_version_of(kind), kind, namespace, obj)
            for kind, obj in plan.read_names()
        ]
        bodies = read_all(requests, pulumi.ResourceOptions(parent=self))
        secret_keys = dict(plan.secret_keys)
        return derived(
            bodies,
            lambda objects: build_inventory(
                namespace, objects, f"reads in namespace {namespace}", secret_keys
            ),
        )

    def _render(self, inventory: Inventory, args: VirtualMCPServerArgs) -> Rendering:
        try:
            rendering = render(inventory, self._vmcp_name, args)
        except VmcpError as error:
            raise self._error(str(error)) from None
        for skipped in rendering.derivation.skipped:
            pulumi.log.warn(
                f'skipped {skipped.kind} "{skipped.name}": {skipped.reason}', resource=self
            )
        for warning in rendering.warnings:
            pulumi.log.warn(warning, resource=self)
        return rendering

    def _validated(self, settings: VirtualMCPServerArgs | dict[str, Any]) -> VirtualMCPServerArgs:
        if isinstance(settings, VirtualMCPServerArgs):
            return settings
        try:
            return parse_args(settings)
        except ArgsError as error:
            raise self._error(str(error)) from None

    def _error(self, message: str) -> pulumi.RunError:
        return pulumi.RunError(f"VirtualMCPServer {self._vmcp_name}: {message}")

    def _declare_children(
        self, name: str, rendering: pulumi.Output[Rendering], declare_child: Declare
    ) -> None:
        """The rendered objects, one resource each, named `<name>-<role>` and parented here."""

        def declare(
            kind: str,
            suffix: str,
            keys: Sequence[str],
            depends_on: Sequence[pulumi.Resource | None] = (),
        ) -> Any:
            inputs = {
                key: derived(rendering, lambda r, k=key: r.object(kind)[k])
                for key in ("metadata", *keys)
            }
            opts = pulumi.ResourceOptions(
                parent=self, depends_on=[d for d in depends_on if d is not None]
            )
            return declare_child(kind, f"{name}-{suffix}", inputs, opts)

        # Annotated here, not in the class body: the SDK evaluates the class's annotations when
        # the component registers, which would import pulumi_kubernetes' typed modules (0.7 s)
        # in every run, also where the children are plain (`typed_children=False`).
        self.service_account: k8s.core.v1.ServiceAccount | None = None
        self.role: k8s.rbac.v1.Role | None = None
        self.role_binding: k8s.rbac.v1.RoleBinding | None = None
        if self._shape.service_account is None:
            self.service_account = declare("ServiceAccount", "service-account", [])
            self.role = declare("Role", "role", ["rules"])
            self.role_binding = declare(
                "RoleBinding",
                "role-binding",
                ["roleRef", "subjects"],
                depends_on=[self.role, self.service_account],
            )
        self.config_map: k8s.core.v1.ConfigMap = declare("ConfigMap", "config", ["data"])
        self.deployment: k8s.apps.v1.Deployment = declare(
            "Deployment", "deployment", ["spec"], depends_on=[self.config_map, self.role_binding]
        )
        self.service: k8s.core.v1.Service = declare("Service", "service", ["spec"])
        self.pod_disruption_budget: k8s.policy.v1.PodDisruptionBudget | None = None
        if wants_pod_disruption_budget(self._shape):
            self.pod_disruption_budget = declare("PodDisruptionBudget", "pdb", ["spec"])


def _split_args(
    args: VirtualMCPServerArgs | Mapping[str, Any],
) -> tuple[VirtualMCPServerArgs | dict[str, Any], dict[str, Any]]:
    """Split `args` into the settings and the kubeconfig/context Inputs.

    Settings with no Input in them are validated here, so a bad argument fails where the caller
    made it.
    """
    if isinstance(args, VirtualMCPServerArgs):
        return args, {}
    settings = {key: value for key, value in args.items() if key not in CLUSTER_KEYS}
    cluster = {key: args[key] for key in CLUSTER_KEYS if args.get(key) is not None}
    if not _holds_outputs(settings):
        return parse_args(settings), cluster
    for key, value in settings.items():
        if key not in INPUT_KEYS and _holds_outputs(value):
            raise ComponentError(
                f"VirtualMCPServer: `{key}` must be a plain value; only "
                f"{', '.join(INPUT_KEYS + CLUSTER_KEYS)} may be Outputs"
            )
    return settings, cluster


def _holds_outputs(value: object) -> bool:
    """Whether `value` is or contains an Output (in a mapping, list or tuple)."""
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_holds_outputs(v) for v in cast(Mapping[object, object], value).values())
    if isinstance(value, list | tuple):
        return any(_holds_outputs(v) for v in cast(Sequence[object], value))
    return False


def _shape(settings: VirtualMCPServerArgs | Mapping[str, Any]) -> VirtualMCPServerArgs:
    """The settings that decide which children exist (name, service account, PDB), known now.

    Values that are still Outputs (namespace, group, entries) do not decide anything declared:
    they are set aside, so every plain setting is validated at construction.
    """
    if isinstance(settings, VirtualMCPServerArgs):
        return settings
    plain = {key: value for key, value in settings.items() if not _holds_outputs(value)}
    return parse_args({"namespace": "pending", "group": "pending", **plain})


def _cluster_discovery(cluster: Mapping[str, Any]) -> ClusterDiscovery:
    """Discovery on the cluster of the given kubeconfig/context, else the default provider's."""
    if cluster.get("kubeconfig") is not None:
        return ClusterDiscovery(kubeconfig=cluster["kubeconfig"], context=cluster.get("context"))
    config = pulumi.Config("kubernetes")
    return ClusterDiscovery(
        kubeconfig=config.get("kubeconfig"), context=cluster.get("context") or config.get("context")
    )


def _name(metadata: Mapping[str, Any]) -> str:
    """`metadata.name` of a typed child's metadata (a dict too) or of a plain child's."""
    return str(metadata.get("name") or "")


def _unknown() -> pulumi.Output[Any]:
    """A value that is not known in this preview."""

    async def nothing() -> None:
        return None

    async def unknown() -> bool:
        return False

    return pulumi.Output(set(), nothing(), unknown())

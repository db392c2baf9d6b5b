"""VirtualMCPServer in a platform stack, on the mock engine: Inputs, unknowns, one cluster.

In a platform stack the namespace, the group and the kubeconfig are often Outputs of resources
of the same program, unknown during the first preview. These tests hand the component such
values and check, after the program finished, what was registered: children always, with
unknown content when the inputs are unknown, and the exact objects once they are known. The
real engine proves the same with a real cluster in tests/engine/test_platform_stack.py.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime.sync_await import _sync_await

from tests.component.conftest import (
    GROUP,
    NAMESPACE,
    Engine,
    example_inventory,
    example_objects,
    install,
    resolved,
    run_program,
)
from tests.component.test_component import ARGS, K8S_TYPES
from vmcp_components.component.virtual_mcp_server import ComponentError, VirtualMCPServer
from vmcp_components.core.render import render


def _unknown_in_preview(value: str) -> pulumi.Output[str]:
    """An Output unknown during preview, as a value read back from a resource being created."""

    async def future() -> str:
        return value

    async def known() -> bool:
        return not pulumi.runtime.is_dry_run()

    return pulumi.Output(set(), future(), known())


def _kubernetes_creates(engine: Engine) -> list[Any]:
    return [c for c in engine.cluster.creates if c.typ.startswith("kubernetes:")]


def test_namespace_and_group_may_be_outputs(engine: Engine) -> None:
    def program() -> VirtualMCPServer:
        namespace = pulumi.Output.from_input(NAMESPACE)
        group = pulumi.Output.from_input(GROUP).apply(lambda g: g)
        return VirtualMCPServer(
            "eng-tools",
            {"namespace": namespace, "group": group, "kubeconfig": "/k"},
            discovery=engine.discovery,
        )

    vmcp = run_program(program)
    expected = render(example_inventory(), "eng-tools", ARGS)
    assert resolved(vmcp.backend_count) == expected.status["backendCount"]
    assert len(_kubernetes_creates(engine)) == 6


def test_preview_with_an_unknown_kubeconfig_shows_the_children_unknown() -> None:
    engine = install(example_objects(), preview=True)
    vmcp = run_program(
        lambda: VirtualMCPServer(
            "eng-tools",
            {
                "namespace": NAMESPACE,
                "group": GROUP,
                "kubeconfig": _unknown_in_preview("apiVersion: v1\nkind: Config\n"),
            },
            discovery=engine.discovery,
        )
    )
    creates = _kubernetes_creates(engine)
    assert sorted(c.typ for c in creates) == sorted(K8S_TYPES.values())
    for create in creates:
        content = {k: v for k, v in create.inputs.items() if k not in ("apiVersion", "kind")}
        assert content, create.typ
        assert all(isinstance(v, pulumi.output.Unknown) for v in content.values()), create.typ
    assert engine.cluster.reads == []
    assert not _sync_await(vmcp.backend_count.is_known())


def test_preview_with_known_inputs_shows_the_reads_and_the_objects() -> None:
    engine = install(example_objects(), preview=True)
    run_program(
        lambda: VirtualMCPServer(
            "eng-tools",
            {"namespace": NAMESPACE, "group": GROUP, "kubeconfig": "/k"},
            discovery=engine.discovery,
        )
    )
    assert len(engine.cluster.reads) == 9
    config_map = engine.cluster.one(K8S_TYPES["ConfigMap"])
    assert "name: eng-tools" in config_map["data"]["config.yaml"]


def test_a_group_created_by_the_same_program_is_unknown_in_preview_not_an_error() -> None:
    engine = install([], preview=True)

    def program() -> VirtualMCPServer:
        group = k8s.apiextensions.CustomResource(
            "group",
            api_version="toolhive.stacklok.dev/v1beta1",
            kind="MCPGroup",
            metadata={"name": GROUP, "namespace": NAMESPACE},
        )
        return VirtualMCPServer(
            "eng-tools",
            {"namespace": NAMESPACE, "group": GROUP, "kubeconfig": "/k"},
            pulumi.ResourceOptions(depends_on=[group]),
            discovery=engine.discovery,
        )

    vmcp = run_program(program)
    assert not _sync_await(vmcp.backend_count.is_known())
    assert sorted(c.typ for c in _kubernetes_creates(engine) if "MCPGroup" not in c.typ) == (
        sorted(K8S_TYPES.values())
    )


def test_discovery_waits_for_depends_on() -> None:
    """Members declared in the program exist before discovery lists the cluster."""
    engine = install(example_objects())
    order: list[str] = []
    discovery = engine.discovery

    class Recording:
        def discover(self, *args: Any) -> Any:
            order.append("discover")
            return discovery.discover(*args)

    def program() -> VirtualMCPServer:
        entry = k8s.core.v1.ConfigMap("member", data={"x": "y"})
        entry.id.apply(lambda _: order.append("member created"))
        return VirtualMCPServer(
            "eng-tools",
            {"namespace": NAMESPACE, "group": GROUP, "kubeconfig": "/k"},
            pulumi.ResourceOptions(depends_on=[entry]),
            discovery=Recording(),  # type: ignore[arg-type]
        )

    run_program(program)
    assert order == ["member created", "discover"]


def test_an_explicit_provider_needs_the_kubeconfig() -> None:
    install(example_objects())

    def program() -> VirtualMCPServer:
        provider = k8s.Provider("other", kubeconfig="/other")
        return VirtualMCPServer(
            "eng-tools",
            {"namespace": NAMESPACE, "group": GROUP},
            pulumi.ResourceOptions(provider=provider),
        )

    with pytest.raises(ComponentError, match="explicit kubernetes provider was given but no"):
        run_program(program)


def test_children_are_attributes_and_url_waits_for_the_service(engine: Engine) -> None:
    vmcp = run_program(lambda: VirtualMCPServer("eng-tools", ARGS, discovery=engine.discovery))
    assert isinstance(vmcp.config_map, k8s.core.v1.ConfigMap)
    assert isinstance(vmcp.deployment, k8s.apps.v1.Deployment)
    assert isinstance(vmcp.service, k8s.core.v1.Service)
    assert isinstance(vmcp.role, k8s.rbac.v1.Role)
    assert isinstance(vmcp.role_binding, k8s.rbac.v1.RoleBinding)
    assert isinstance(vmcp.service_account, k8s.core.v1.ServiceAccount)
    assert vmcp.service in _sync_await(vmcp.url.resources())
    assert resolved(vmcp.url) == f"http://vmcp-eng-tools.{NAMESPACE}.svc.cluster.local:4483"


def test_an_existing_service_account_leaves_the_rbac_attributes_none(engine: Engine) -> None:
    vmcp = run_program(
        lambda: VirtualMCPServer(
            "eng-tools",
            ARGS.model_copy(update={"service_account": "platform"}),
            discovery=engine.discovery,
        )
    )
    assert (vmcp.service_account, vmcp.role, vmcp.role_binding) == (None, None, None)


def test_a_secret_kubeconfig_does_not_make_the_objects_secret(engine: Engine) -> None:
    vmcp = run_program(
        lambda: VirtualMCPServer(
            "eng-tools",
            {
                "namespace": NAMESPACE,
                "group": GROUP,
                "kubeconfig": pulumi.Output.secret("apiVersion: v1\nkind: Config\n# s3cr3t\n"),
            },
            discovery=engine.discovery,
        )
    )
    assert not _sync_await(vmcp.discovered_backends.is_secret())
    registered = json.dumps([c.inputs for c in engine.cluster.creates])
    assert "s3cr3t" not in registered
    assert resolved(vmcp.backend_count) == 5

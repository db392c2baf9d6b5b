"""Every refusal of the component is a `pulumi.RunError` (the engine prints the message alone,
no traceback) and, when its inputs are known at construction, is made before the component is
registered: nothing of it reaches the engine, so nothing of it is in the state.

When an input is still an Output (a namespace created by the same program) or `depends_on`
must exist first, discovery can only run after registration: the refusal is still a RunError,
and the engine holds the component itself with no child (the next successful `up` fills it,
`destroy` removes it). The last test pins that behaviour down.
"""

from __future__ import annotations

import runpy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from tests.component.conftest import (
    GROUP,
    NAMESPACE,
    ROOT,
    Engine,
    example_objects,
    install,
    run_program,
)
from vmcp_components.component import virtual_mcp_server as component
from vmcp_components.component.virtual_mcp_server import COMPONENT_TYPE, VirtualMCPServer

BASE: dict[str, Any] = {"namespace": NAMESPACE, "group": GROUP}


def _registered(engine: Engine) -> list[str]:
    """The type of every resource registered with the engine (reads excluded)."""
    return [create.typ for create in engine.cluster.creates]


def _refused(engine: Engine, program: Any) -> pulumi.RunError:
    with pytest.raises(pulumi.RunError) as raised:
        run_program(program)
    return raised.value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({**BASE, "strict": True}, "strict mode: 1 member(s) of group engineering-team would be"),
        ({**BASE, "group": "qa-team"}, 'MCPGroup "qa-team" not found in namespace'),
        ({**BASE, "podLabels": {"inject": True}}, "podLabels.inject: Input should be a valid"),
        ({**BASE, "name": "Not_A_Name"}, "is not a valid vMCP name"),
    ],
    ids=["strict-skip", "missing-group", "wrong-type", "bad-name"],
)
def test_a_refusal_with_known_inputs_registers_nothing(args: dict[str, Any], message: str) -> None:
    engine = install(example_objects())
    error = _refused(
        engine, lambda: VirtualMCPServer("eng-tools", args, discovery=engine.discovery)
    )
    assert message in str(error)
    assert str(error).startswith("VirtualMCPServer ")
    assert COMPONENT_TYPE not in _registered(engine)
    assert not engine.cluster.reads


def test_zero_usable_backends_registers_nothing() -> None:
    objects = [o for o in example_objects() if o["kind"] not in ("MCPServerEntry", "MCPServer")]
    engine = install(objects)
    error = _refused(
        engine, lambda: VirtualMCPServer("eng-tools", BASE, discovery=engine.discovery)
    )
    assert "static mode requires at least one backend" in str(error)
    assert _registered(engine) == []


def test_an_explicit_provider_without_kubeconfig_registers_no_component() -> None:
    engine = install(example_objects())

    def program() -> None:
        provider = k8s.Provider("other", kubeconfig="/other")
        VirtualMCPServer("eng-tools", BASE, pulumi.ResourceOptions(provider=provider))

    error = _refused(engine, program)
    assert "explicit kubernetes provider was given but no kubeconfig" in str(error)
    assert _registered(engine) == ["pulumi:providers:kubernetes"]


def test_a_provider_inherited_from_the_parent_is_refused_too() -> None:
    engine = install(example_objects())

    def program() -> None:
        provider = k8s.Provider("other", kubeconfig="/other")
        parent = pulumi.ComponentResource(
            "platform:index:Tools", "tools", None, pulumi.ResourceOptions(providers=[provider])
        )
        VirtualMCPServer("eng-tools", BASE, pulumi.ResourceOptions(parent=parent))

    error = _refused(engine, program)
    assert "explicit kubernetes provider was given but no kubeconfig" in str(error)
    assert COMPONENT_TYPE not in _registered(engine)


def test_a_refusal_after_registration_is_a_run_error_and_leaves_an_empty_component() -> None:
    engine = install(example_objects())

    def program() -> None:
        namespace = pulumi.Output.from_input(NAMESPACE)  # as from a Namespace of the program
        args = {**BASE, "namespace": namespace, "strict": True}
        VirtualMCPServer("eng-tools", args, discovery=engine.discovery)

    error = _refused(engine, program)
    assert "strict mode: 1 member(s) of group engineering-team would be skipped" in str(error)
    assert COMPONENT_TYPE in _registered(engine)  # documented: registered before discovery
    assert not [t for t in _registered(engine) if t.startswith("kubernetes:")]


@pytest.mark.parametrize("secret", [False, True], ids=["plain-kubeconfig", "secret-kubeconfig"])
def test_the_program_refuses_a_strict_stack_before_the_component_registers(
    monkeypatch: pytest.MonkeyPatch, secret: bool
) -> None:
    config = {
        "vmcp-components:namespace": NAMESPACE,
        "vmcp-components:group": GROUP,
        "vmcp-components:name": "eng-tools",
        "vmcp-components:strict": "true",
        "vmcp-components:kubeconfig": "/etc/kube/dev.yaml",
    }
    engine = install(example_objects(), config=config)
    monkeypatch.setattr(component, "ClusterDiscovery", lambda **_: engine.discovery)
    monkeypatch.setattr(pulumi.runtime, "is_config_secret", lambda key: secret)
    error = _refused(engine, lambda: runpy.run_path(str(ROOT / "__main__.py")))
    assert str(error).startswith("VirtualMCPServer eng-tools: strict mode: 1 member(s)")
    assert _registered(engine) == ["pulumi:providers:kubernetes"]

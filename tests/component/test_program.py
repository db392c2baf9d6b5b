"""The Pulumi program (`__main__.py`) on the mock engine: stack config in, stack outputs out.

Discovery is replaced by one answering from the example snapshot, because the fast tier has no
cluster (the e2e tier runs the real lightkube discovery); the replacement records the
kubeconfig and context it was given, to prove they are the provider's.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest

from tests.component.conftest import (
    ROOT,
    example_inventory,
    example_objects,
    install,
    resolved,
    run_program,
)
from vmcp_components.component import program
from vmcp_components.component import virtual_mcp_server as component
from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs

BASE_CONFIG = {
    "vmcp-components:namespace": "toolhive-system",
    "vmcp-components:group": "engineering-team",
    "vmcp-components:name": "eng-tools",
    "vmcp-components:replicas": "2",
    "vmcp-components:kubeconfig": "/etc/kube/dev.yaml",
    "vmcp-components:context": "dev-cluster",
    "vmcp-components:incomingAuth": '{"type": "anonymous"}',
}


@dataclass
class RecordingDiscovery:
    kubeconfig: str | None = None
    context: str | None = None
    calls: list[tuple[str | None, str | None]] = field(default_factory=list)

    def __call__(self, kubeconfig: str | None, context: str | None) -> InventoryDiscovery:
        self.calls.append((kubeconfig, context))
        return InventoryDiscovery(example_inventory())


@pytest.fixture
def discovery(monkeypatch: pytest.MonkeyPatch) -> RecordingDiscovery:
    recorder = RecordingDiscovery()
    monkeypatch.setattr(component, "ClusterDiscovery", recorder)
    return recorder


def run_main(config: dict[str, str]) -> dict[str, Any]:
    engine = install(example_objects(), config=config)
    run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    outputs = pulumi.runtime.get_root_resource().outputs  # type: ignore[union-attr]
    return {
        "engine": engine,
        "outputs": {key: resolved(pulumi.Output.from_input(v)) for key, v in outputs.items()},
    }


def test_program_exports_every_stack_output(discovery: RecordingDiscovery) -> None:
    result = run_main(BASE_CONFIG)
    outputs = result["outputs"]
    args = VirtualMCPServerArgs(namespace="toolhive-system", group="engineering-team", replicas=2)
    status = render(example_inventory(), "eng-tools", args).status
    assert set(outputs) == set(program.STACK_OUTPUTS)
    assert outputs["discoveredBackends"] == status["discoveredBackends"]
    assert outputs["backendCount"] == 5
    assert outputs["skippedBackends"] == status["skippedBackends"]
    assert outputs["configChecksum"] == status["configChecksum"]
    assert outputs["url"] == "http://vmcp-eng-tools.toolhive-system.svc.cluster.local:4483"
    assert outputs["configMapName"] == "eng-tools-vmcp-config"
    assert outputs["deploymentName"] == "eng-tools"


def test_provider_and_discovery_share_kubeconfig_and_context(discovery: RecordingDiscovery) -> None:
    engine = run_main(BASE_CONFIG)["engine"]
    (provider,) = engine.cluster.created("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "/etc/kube/dev.yaml"
    assert provider.inputs["context"] == "dev-cluster"
    assert provider.inputs["enableConfigMapMutable"] == "true"
    assert discovery.calls == [("/etc/kube/dev.yaml", "dev-cluster")]
    deployment = engine.cluster.one("kubernetes:apps/v1:Deployment")
    assert deployment["spec"]["replicas"] == 2
    for child in engine.cluster.creates:
        if child.typ.startswith("kubernetes:") and not child.typ.startswith("pulumi:"):
            assert child.provider.startswith(
                "urn:pulumi:test::vmcp-components::pulumi:pulumi:Stack$pulumi:providers:kubernetes::kubernetes::"
            )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "vmcp-components:replica",
            "2",
            "unknown stack config key 'vmcp-components:replica'; did you mean "
            "'vmcp-components:replicas'?",
        ),
        (
            "vmcp-components:replicas",
            "many",
            "stack config vmcp-components:replicas: Input should be a valid integer",
        ),
        (
            "vmcp-components:strict",
            "maybe",
            "stack config vmcp-components:strict: Input should be a valid boolean",
        ),
        ("vmcp-components:namespace", "Tool_Hive", "'Tool_Hive' is not a valid namespace"),
        (
            "vmcp-components:serviceType",
            "Ingress",
            "serviceType: Input should be 'ClusterIP', 'NodePort' or",
        ),
        (
            "vmcp-components:incomingAuth",
            '{"type": "oidc"',
            "'vmcp-components:incomingAuth' is not valid JSON",
        ),
    ],
)
def test_bad_stack_config_names_the_key(
    discovery: RecordingDiscovery, key: str, value: str, message: str
) -> None:
    with pytest.raises(pulumi.RunError, match=message.replace("(", r"\(")):
        run_main({**BASE_CONFIG, key: value})
    assert discovery.calls == []


def test_a_stack_without_a_name_is_refused(discovery: RecordingDiscovery) -> None:
    config = {k: v for k, v in BASE_CONFIG.items() if k != "vmcp-components:name"}
    with pytest.raises(
        pulumi.RunError, match="stack config key 'vmcp-components:name' is required"
    ):
        run_main(config)

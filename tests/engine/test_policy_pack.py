"""The policy pack on the real engine: `pulumi preview --policy-pack policy/run`.

The CLI starts `policy/run` itself (an executable policy pack, since the v3.79 language host
cannot run a `PulumiPolicy.yaml` directory) and the program runs against the test cluster. A
stack whose group and settings break the guardrails must fail on the mandatory policies with
their messages in the engine's output and warn on the advisory one; the example stacks under
`stacks/` (their own settings, pointed at seeded namespaces of the test cluster) must pass, the
prod one as production through a stack tag.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import Client
from lightkube.resources.core_v1 import Namespace
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, example_objects, seed
from tests.engine.conftest import cluster_config, fail
from tests.engine.harness import ROOT, EngineProject, Run

pytestmark = pytest.mark.engine

PACK = ROOT / "policy" / "run"
PROJECT_KEY = "vmcp-components:"
NAMESPACES = {"dev": "policy-dev", "prod": "policy-prod", "bad": "policy-bad"}


def _stack_file(stack: str) -> dict[str, Any]:
    """A stack file of stacks/ as project keys (no prefix)."""
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.removeprefix(PROJECT_KEY): value for key, value in config.items()}


def _group_objects(namespace: str, group: str, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The example group's objects in `namespace`, the group renamed `group`, without `drop`."""
    objects = [o for o in example_objects(namespace) if o["metadata"]["name"] not in drop]
    for obj in objects:
        if obj["kind"] == "MCPGroup" and obj["metadata"]["name"] == GROUP:
            obj["metadata"]["name"] = group
        spec = obj.get("spec") or {}
        if spec.get("groupRef") == {"name": GROUP}:
            spec["groupRef"] = {"name": group}
    return objects


def _bad_objects(namespace: str) -> list[dict[str, Any]]:
    """The example group plus an entry over plain HTTP that sends an API key in plaintext."""
    objects = _group_objects(namespace, GROUP)
    (entry,) = (o for o in objects if o["metadata"]["name"] == "context7")
    docs = copy.deepcopy(entry)
    docs["metadata"] = {"name": "docs-http", "namespace": namespace}
    docs["spec"]["remoteUrl"] = "http://docs.example.org/mcp"
    docs["spec"]["headerForward"] = {"addPlaintextHeaders": {"X-Api-Key": "k-7f3a"}}
    docs.pop("status", None)
    return [*objects, docs]


@pytest.fixture(scope="module")
def seeded(cluster: Cluster) -> Cluster:
    api: Client = cluster.client(field_manager="vmcp-policy-tests")
    prod_group = _stack_file("prod")["group"]
    objects = {
        "dev": _group_objects(NAMESPACES["dev"], _stack_file("dev")["group"]),
        # prod is strict: the example's SSRF-refused entry would fail the run before any policy
        "prod": _group_objects(NAMESPACES["prod"], prod_group, drop=("cloud-metadata",)),
        "bad": _bad_objects(NAMESPACES["bad"]),
    }
    for key, namespace in NAMESPACES.items():
        api.create(Namespace(metadata={"name": namespace}))  # type: ignore[arg-type]
        seed(api, objects[key])
    return cluster


def _stack(
    program: EngineProject, cluster: Cluster, stack: str, config: dict[str, Any]
) -> auto.Stack:
    return program.stack(stack, {**config, **cluster_config(cluster)})


def _preview(program: EngineProject, stack: auto.Stack, tmp_path: Path, **config: Any) -> Run:
    pack_config = tmp_path / "policy-config.json"
    pack_config.write_text(json.dumps(config))
    run, _ = program.run(
        "preview", stack, policy_packs=[str(PACK)], policy_pack_configs=[str(pack_config)]
    )
    return run


def _policy_events(run: Run) -> list[tuple[str, str, str]]:
    """(policy, enforcement level, message) of each policy event the engine emitted."""
    return [
        (e.policy_event.policy_name, e.policy_event.enforcement_level, e.policy_event.message)
        for e in run.events
        if e.policy_event is not None
    ]


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_the_example_stacks_pass(
    program: EngineProject, seeded: Cluster, tmp_path: Path, stack_name: str
) -> None:
    settings = {**_stack_file(stack_name), "namespace": NAMESPACES[stack_name]}
    stack = _stack(program, seeded, stack_name, settings)
    if stack_name == "prod":
        stack.workspace.set_tag(stack.name, "environment", "production")
    run = _preview(program, stack, tmp_path)
    assert _policy_events(run) == [], run.text
    assert "vmcp-guardrails" in run.text, run.text  # the pack did run


def test_a_stack_breaking_the_guardrails_fails_and_says_what_to_change(
    program: EngineProject, seeded: Cluster, tmp_path: Path
) -> None:
    settings = {
        **_stack_file("dev"),
        "namespace": NAMESPACES["bad"],
        "image": "ghcr.io/stacklok/toolhive/vmcp:latest",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
    }
    stack = _stack(program, seeded, "bad", settings)
    pack_config = tmp_path / "policy-config.json"
    pack_config.write_text("{}")
    run = fail(
        program, "preview", stack, policy_packs=[str(PACK)], policy_pack_configs=[str(pack_config)]
    )
    events = _policy_events(run)
    levels = {policy: level for policy, level, _ in events}
    assert levels == {
        "vmcp-backends-https": "mandatory",
        "vmcp-no-plaintext-credential-headers": "mandatory",
        "vmcp-image-pinned": "mandatory",
        "vmcp-resources-set": "advisory",
    }, events
    for text in (
        "backend docs-http is reached over plain HTTP (http://docs.example.org/mcp)",
        "header X-Api-Key is forwarded in plaintext (TOOLHIVE_HEADER_FORWARD_DOCS_HTTP)",
        "image 'ghcr.io/stacklok/toolhive/vmcp:latest' uses the moving tag :latest",
        "container vmcp has no limits.cpu, limits.memory",
    ):
        assert text in run.text, run.text
    assert "k-7f3a" not in run.text


def test_production_is_read_from_the_stack_tag(
    program: EngineProject, seeded: Cluster, tmp_path: Path
) -> None:
    """The dev stack (one replica, no PodDisruptionBudget) tagged as production fails."""
    settings = {**_stack_file("dev"), "namespace": NAMESPACES["dev"]}
    stack = _stack(program, seeded, "dev-as-prod", settings)
    stack.workspace.set_tag(stack.name, "environment", "production")
    pack_config = tmp_path / "policy-config.json"
    pack_config.write_text("{}")
    run = fail(
        program, "preview", stack, policy_packs=[str(PACK)], policy_pack_configs=[str(pack_config)]
    )
    assert {policy for policy, _, _ in _policy_events(run)} == {"vmcp-production-replicas"}
    assert "VirtualMCPServer eng-tools runs 1 replica in production" in run.text, run.text
    assert "has no PodDisruptionBudget in production" in run.text, run.text
    # The same stack passes when the pack config says it is not production after all.
    run = _preview(program, stack, tmp_path, **{"vmcp-production-replicas": {"production": False}})
    assert _policy_events(run) == [], run.text

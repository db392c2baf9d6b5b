"""The policy pack's stack policies over `AnalyzeStack`, and its behaviour in preview.

A stack is what the component registers under the mock engine (see `policy_analyzer.py`): the
stack resource, the component, its reads and its children, with their parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.policy_analyzer import (
    Analyzer,
    Registered,
    child,
    declare,
    of_policy,
    replaced,
    start_pack,
)

ARGS: dict[str, Any] = {"namespace": "toolhive-system", "group": "engineering-team"}
PRODUCTION = {"environment": "production"}
COMPONENT = "urn:pulumi:test::vmcp-components::pulumi:pulumi:Stack$vmcp:index:VirtualMCPServer::"


@pytest.fixture(scope="module")
def pack() -> Iterator[Analyzer]:
    analyzer = start_pack()
    yield analyzer
    analyzer.stop()


def _without(resources: list[Registered], *roles: str) -> list[Registered]:
    names = {f"eng-tools-{role}" for role in roles}
    return [r for r in resources if r.name not in names]


def test_a_missing_child_is_reported_on_its_component(pack: Analyzer) -> None:
    stack = declare(ARGS)
    pack.configure()
    assert pack.analyze_stack(stack) == []
    (found,) = pack.analyze_stack(_without(stack, "service", "role"))
    assert found.policy == "vmcp-children-complete"
    assert found.level == "mandatory"
    assert found.urn == COMPONENT + "eng-tools"
    assert "VirtualMCPServer eng-tools lacks eng-tools-service, eng-tools-role" in found.message
    assert "run `pulumi up`" in found.message


def test_a_re_parented_child_counts_as_missing(pack: Analyzer) -> None:
    stack = declare(ARGS)
    config = child(stack, "config")
    moved = Registered(config.type, config.name, config.urn, "", config.properties, True)
    pack.configure()
    (found,) = pack.analyze_stack(replaced(stack, moved))
    assert "lacks eng-tools-config" in found.message


def test_with_an_existing_service_account_no_rbac_children_are_expected(pack: Analyzer) -> None:
    stack = declare({**ARGS, "serviceAccount": "platform-vmcp"})
    assert not [r for r in stack if r.name == "eng-tools-role"]
    pack.configure()
    assert pack.analyze_stack(stack) == []
    (found,) = pack.analyze_stack(_without(stack, "deployment"))
    assert "lacks eng-tools-deployment, eng-tools-service-account" in found.message


def test_every_component_of_a_stack_is_checked(pack: Analyzer) -> None:
    one, other = declare(ARGS), declare(ARGS, name="crm-tools")
    stack = one + [
        r for r in other if r.name.startswith("crm-tools") and r.name != "crm-tools-config"
    ]
    pack.configure()
    (found,) = pack.analyze_stack(stack)
    assert found.urn == COMPONENT + "crm-tools"


@pytest.mark.parametrize(
    ("settings", "problems"),
    [
        ({}, ["sets no replica count in production", "has no PodDisruptionBudget"]),
        ({"replicas": 1}, ["runs 1 replica in production", "has no PodDisruptionBudget"]),
        ({"replicas": 3, "podDisruptionBudget": {"enabled": False}}, ["no PodDisruptionBudget"]),
        ({"replicas": 1, "podDisruptionBudget": {"minAvailable": 1}}, ["runs 1 replica"]),
        ({"replicas": 2}, []),
    ],
)
def test_production_needs_two_replicas_and_a_disruption_budget(
    pack: Analyzer, settings: dict[str, Any], problems: list[str]
) -> None:
    stack = declare({**ARGS, **settings})
    pack.configure(tags=PRODUCTION)
    found = pack.analyze_stack(stack)
    assert all(d.policy == "vmcp-production-replicas" for d in found)
    assert all(d.urn == COMPONENT + "eng-tools" for d in found)
    assert len(found) == len(problems)
    for diagnostic, problem in zip(found, problems, strict=True):
        assert problem in diagnostic.message
        assert "set the stack's" in diagnostic.message or "leave the stack's" in diagnostic.message
    pack.configure()
    assert pack.analyze_stack(stack) == []


def test_the_minimum_replica_count_is_configurable(pack: Analyzer) -> None:
    stack = declare({**ARGS, "replicas": 2})
    pack.configure({"vmcp-production-replicas": {"production": True, "minReplicas": 3}})
    (found,) = pack.analyze_stack(stack)
    assert "runs 2 replicas in production: set the stack's replicas to at least 3" in (
        found.message
    )


def test_a_value_unknown_in_preview_is_an_advisory_note_not_a_pass(pack: Analyzer) -> None:
    """In a preview where the cluster is not known yet, the children's content is unknown."""
    stack = declare(ARGS, preview=True)
    unknown = child(stack, "config").edited(
        lambda props: props["data"].update({"config.yaml": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    )
    pack.configure()
    found = pack.analyze(unknown)
    assert {d.policy for d in found} == {"vmcp-backends-https"}
    assert all(d.level == "advisory" for d in found)
    assert "can't run policy 'vmcp-backends-https'" in found[0].message
    assert "during preview" in found[0].message


def test_unknown_content_in_preview_still_counts_the_children(pack: Analyzer) -> None:
    """A Deployment whose spec preview cannot know: what depends on it is an advisory note,
    the presence of the children is still checked."""
    stack = declare(ARGS, preview=True)
    unknown = child(stack, "deployment").edited(
        lambda props: props.update(spec="dd056dcd-154b-4c76-9bd3-c8f88648b5ff")
    )
    pack.configure(tags=PRODUCTION)
    found = pack.analyze_stack(_without(replaced(stack, unknown), "service"))
    (missing,) = of_policy(found, "vmcp-children-complete")
    assert missing.level == "mandatory"
    assert "lacks eng-tools-service:" in missing.message
    (note,) = of_policy(found, "vmcp-production-replicas")
    assert note.level == "advisory"
    assert "during preview" in note.message

"""Workload settings: validation (the API server's rules, caught before any change), where each
lands, the PodDisruptionBudget rule, and that unset settings leave today's objects alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tests import factories
from tests.unit.helpers import render_checked
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.models import describe_validation_error
from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.settings.workload import parse_quantity


def inventory() -> Inventory:
    text = factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8")
    return load_snapshot(text, factories.NAMESPACE)


def objects(**settings: Any) -> dict[str, dict[str, Any]]:
    return {obj["kind"]: obj for obj in render_checked(inventory(), **settings).objects}


def error_of(**settings: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        factories.args(**settings)
    return describe_validation_error(raised.value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Decimal("0.1")),
        ("1", Decimal(1)),
        ("0.5", Decimal("0.5")),
        ("128Mi", Decimal(128 * 2**20)),
        ("1G", Decimal(10**9)),
        ("2e3", Decimal(2000)),
        ("1.5Gi", Decimal("1.5") * 2**30),
    ],
)
def test_quantities_parse_as_kubernetes_does(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"resources": {"requests": {"cpu": "lots"}}}, "'lots' is not a Kubernetes quantity"),
        ({"resources": {"requests": {"cpu": "-1"}}}, "'-1' is negative"),
        (
            {"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}},
            "the memory request 2Gi exceeds its limit 1Gi",
        ),
        ({"resources": {"request": {"cpu": "1"}}}, "resources.request: Extra inputs"),
        ({"nodeSelector": {"bad key!": "x"}}, "'bad key!' is not a valid label key"),
        ({"nodeSelector": {"pool": "-x"}}, "'-x' is not a valid label value"),
        ({"tolerations": [{"operator": "Equal", "value": "x"}]}, "without a key must use"),
        ({"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}, "must not set a"),
        (
            {"tolerations": [{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5}]},
            "tolerationSeconds is only allowed with effect NoExecute",
        ),
        (
            {"tolerations": [{"key": "k", "effect": "Sometimes"}]},
            "tolerations[0].effect: Input should be",
        ),
        (
            {"affinity": {"nodeAffinity": {"requiredDuringScheduling": {}}}},
            "affinity.nodeAffinity.requiredDuringScheduling: Extra inputs",
        ),
        ({"affinity": {"podAntiAffinty": {}}}, "affinity.podAntiAffinty: Extra inputs"),
        (
            {"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone"}]},
            "topologySpreadConstraints[0].maxSkew",
        ),
        (
            {
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "minDomains": 2,
                    }
                ]
            },
            "minDomains is only allowed with whenUnsatisfiable DoNotSchedule",
        ),
        ({"priorityClassName": "High"}, "'High' is not a valid PriorityClass name"),
        ({"imagePullSecrets": ["a", "a"]}, "imagePullSecrets lists a name twice"),
        ({"imagePullSecrets": ["Bad_Name"]}, "is not a valid image pull Secret name"),
        ({"podAnnotations": {"/x": "1"}}, "'/x' is not a valid annotation key"),
        (
            {"podAnnotations": {"toolhive.stacklok.dev/runconfig-checksum": "x"}},
            "podAnnotations cannot set toolhive.stacklok.dev/runconfig-checksum",
        ),
        ({"podLabels": {"toolhive-name": "other"}}, "podLabels cannot set toolhive-name"),
        ({"labels": {"app": "x"}}, "labels cannot set app:"),
        (
            {"labels": {"app.kubernetes.io/managed-by": "helm"}},
            "labels cannot set app.kubernetes.io/managed-by",
        ),
        (
            {"serviceAccount": "existing", "serviceAccountAnnotations": {"a": "b"}},
            "with serviceAccount set, none is made",
        ),
        (
            {"podDisruptionBudget": {"minAvailable": 1, "maxUnavailable": 1}},
            "set minAvailable or maxUnavailable, not both",
        ),
        ({"podDisruptionBudget": {"maxUnavailable": "half"}}, "'half' is neither a number"),
        ({"securityContextMode": "gke"}, "securityContextMode: Input should be 'kubernetes'"),
    ],
)
def test_bad_settings_are_refused_with_their_path(settings: dict[str, Any], fragment: str) -> None:
    assert fragment in error_of(**settings)


def test_unset_settings_are_todays_objects() -> None:
    # Every field at its default, spelled out, renders exactly what no settings render.
    explicit = {
        "resources": None,
        "nodeSelector": None,
        "tolerations": None,
        "affinity": None,
        "topologySpreadConstraints": None,
        "priorityClassName": None,
        "imagePullSecrets": None,
        "podAnnotations": None,
        "podLabels": None,
        "serviceAccountAnnotations": None,
        "serviceAnnotations": None,
        "labels": None,
        "podDisruptionBudget": None,
        "securityContextMode": "kubernetes",
    }
    assert objects(**explicit) == objects()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, None),
        ({"replicas": 1}, None),
        ({"replicas": 2}, {"maxUnavailable": 1}),
        ({"replicas": 3, "podDisruptionBudget": {"enabled": False}}, None),
        ({"podDisruptionBudget": {"minAvailable": "50%"}}, {"minAvailable": "50%"}),
        ({"replicas": 4, "podDisruptionBudget": {"maxUnavailable": 2}}, {"maxUnavailable": 2}),
    ],
)
def test_a_disruption_budget_protects_more_than_one_replica(
    settings: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    rendered = objects(**settings)
    if expected is None:
        assert "PodDisruptionBudget" not in rendered
        return
    pdb = rendered["PodDisruptionBudget"]
    deployment = rendered["Deployment"]
    assert pdb["metadata"]["name"] == deployment["metadata"]["name"]
    assert pdb["spec"] == {**expected, "selector": deployment["spec"]["selector"]}
    assert list(rendered)[-1] == "PodDisruptionBudget", "appended after today's objects"


def test_labels_reach_every_object_and_the_pods_but_never_a_selector() -> None:
    rendered = objects(labels={"team": "platform"}, podLabels={"tier": "gateway"}, replicas=2)
    for obj in rendered.values():
        assert obj["metadata"]["labels"]["team"] == "platform", obj["kind"]
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vmcp-components"
    template = rendered["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert (template["team"], template["tier"]) == ("platform", "gateway")
    selector = rendered["Deployment"]["spec"]["selector"]["matchLabels"]
    assert "team" not in selector
    assert "tier" not in selector
    assert rendered["Service"]["spec"]["selector"] == selector
    assert rendered["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector


def test_openshift_mode_sets_no_fixed_ids() -> None:
    pod = objects(securityContextMode="openshift")["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]["securityContext"]
    for context in (pod["securityContext"], container):
        assert context["runAsNonRoot"] is True
        assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(context)
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["capabilities"] == {"drop": ["ALL"]}


def test_pull_secrets_go_on_the_pod_in_the_given_order() -> None:
    rendered = objects(imagePullSecrets=["b-pull", "a-pull"])
    expected = [{"name": "b-pull"}, {"name": "a-pull"}]  # the given order: kubelet tries in order
    assert set(rendered["ServiceAccount"]) == {"apiVersion", "kind", "metadata"}
    assert rendered["Deployment"]["spec"]["template"]["spec"]["imagePullSecrets"] == expected

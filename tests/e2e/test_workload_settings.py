"""Every workload setting against the real API server: the objects rendered from the golden
stack cases (tests/golden/*.stack.yaml: resources, scheduling, pull secrets, annotations,
labels, the PodDisruptionBudget, OpenShift security contexts) are server-side applied with
`fieldValidation=Strict`, so a field the API server does not know, or a value it refuses, fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lightkube import Client

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import ROOT, example_objects, seed
from tests.e2e.test_cluster import NAME, apply_all, discovery, strict_dry_run_apply
from vmcp_components.core.render import render
from vmcp_components.core.settings.stack_files import load_stack_file

pytestmark = pytest.mark.e2e
CASES = sorted((ROOT / "tests" / "golden").glob("*.stack.yaml"))


@pytest.mark.parametrize("stack", CASES, ids=lambda path: path.name.removesuffix(".stack.yaml"))
def test_every_setting_is_accepted_by_the_api_server_strictly(
    cluster: Cluster, client: Client, namespace: str, stack: Path
) -> None:
    seed(client, example_objects(namespace))
    settings = load_stack_file(stack)
    assert settings.name == NAME
    args = settings.args.model_copy(update={"namespace": namespace})
    inventory = discovery(cluster).fetch(namespace, args.group, None)
    rendering = render(inventory, settings.name, args)
    kinds = [obj["kind"] for obj in rendering.objects]
    assert "PodDisruptionBudget" in kinds
    for obj in rendering.objects:
        response = strict_dry_run_apply(cluster, obj)
        assert response.status_code in (200, 201), f"{obj['kind']}: {response.text}"
    first = apply_all(client, rendering)
    assert apply_all(client, rendering) == first, "a second apply changed something"

"""`vmcp-components snapshot` against a real kube-apiserver.

The example group is seeded into a fresh namespace with Secrets whose values carry a marker (in
`data`, `stringData` and kubectl's last-applied annotation), next to another group's objects.
The command, run as users run it, must write a snapshot that holds no Secret value, is the same
bytes when taken twice, and that `render --snapshot` turns into exactly what render makes of
the live cluster (lightkube discovery), objects and status.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lightkube import Client

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, example_objects, seed
from vmcp_components.cli import dump_objects
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.kube.discovery import ClusterDiscovery

pytestmark = pytest.mark.e2e
MARKER = "Zq9SNAPSHOTq9Z"
NAME = "eng-tools"


def _marked_secrets(namespace: str) -> list[dict[str, Any]]:
    value = base64.b64encode(f"{MARKER}-data".encode()).decode()
    last_applied = json.dumps({"stringData": {"bearer-token": f"{MARKER}-annotation"}})
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "internal-api-credentials",
                "namespace": namespace,
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied},
            },
            "type": "Opaque",
            "data": {"bearer-token": value},
            "stringData": {"other-key": f"{MARKER}-string-data"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "salesforce-oauth", "namespace": namespace},
            "data": {"client-secret": value},
        },
    ]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vmcp_components", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_snapshot_then_render_equals_render_of_the_live_cluster(
    cluster: Cluster, client: Client, namespace: str, tmp_path: Path
) -> None:
    secrets = {s["metadata"]["name"] for s in _marked_secrets(namespace)}
    objects = [
        o
        for o in example_objects(namespace)
        if not (o["kind"] == "Secret" and o["metadata"]["name"] in secrets)
    ]
    seed(client, [*objects, *_marked_secrets(namespace)])
    where = ["--namespace", namespace, "--kubeconfig", str(cluster.kubeconfig)]
    taken = _cli("snapshot", *where, "--context", "vmcp-test")
    assert (taken.returncode, taken.stderr) == (0, ""), taken.stderr
    again = _cli("snapshot", *where)  # the kubeconfig's current context
    assert again.stdout == taken.stdout  # deterministic

    encoded = base64.b64encode(MARKER.encode()).decode()[:12]
    for text in (taken.stdout, again.stdout):
        assert MARKER not in text
        assert encoded not in text
    path = tmp_path / "snapshot.yaml"
    path.write_text(taken.stdout, encoding="utf-8")
    status_file = tmp_path / "status.json"
    target = ["--name", NAME, "--namespace", namespace, "--group", GROUP]
    rendered = _cli(
        "render", "--snapshot", str(path), *target, "--status-file", str(status_file), "--quiet"
    )
    assert (rendered.returncode, rendered.stderr) == (0, "")

    args = VirtualMCPServerArgs(namespace=namespace, group=GROUP)
    live = ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")
    rendering = render(live.fetch(namespace, GROUP, None), NAME, args)
    assert rendered.stdout == dump_objects(rendering)
    assert json.loads(status_file.read_text(encoding="utf-8")) == rendering.status
    assert rendering.status["backendCount"] == 5  # the example's five good members


def test_snapshot_of_an_unreachable_cluster_is_one_error_line(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n'
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        encoding="utf-8",
    )
    run = _cli("snapshot", "--namespace", "ns", "--kubeconfig", str(kubeconfig))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith("error: cannot reach the cluster of the kubeconfig")
    assert run.stderr.count("\n") == 1

"""The watcher's event loop on the real API server, with a stand-in engine.

The watches (lightkube async streams), the probes and the scheduling share one asyncio loop;
this runs that loop against the e2e tier's kube-apiserver and ToolHive's CRDs, with an engine
that only records its runs, so it needs no Pulumi CLI: readiness goes from 503 to 200 once every
kind is listed and the start-up check is done, a new entry is one event and one run, a relabelled
unrelated ConfigMap runs nothing, and a stop request ends `run()` with 0. The engine tier
(`tests/engine/test_watch.py`) runs the same loop with the real `pulumi up`.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import pytest
from lightkube import Client

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, example_objects, seed, wait_for
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.stack_files import StackSettings
from vmcp_components.kube.kubeconfig import load_kube_config
from vmcp_components.watch.log import JsonLog
from vmcp_components.watch.runner import RunResult
from vmcp_components.watch.watcher import Watcher

pytestmark = pytest.mark.e2e


class RecordingEngine:
    """Stands in for `pulumi up`: records the runs, reports no outputs at start."""

    def __init__(self) -> None:
        self.ups = 0

    def outputs(self) -> Mapping[str, Any]:
        return {}

    def up(self) -> RunResult:
        self.ups += 1
        return RunResult(True, {"update": 2}, {})

    def interrupt(self) -> list[int]:
        return []


class Lines(io.StringIO):
    def logged(self, log: str, **fields: Any) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.getvalue().splitlines()]
        return [
            line
            for line in lines
            if line["log"] == log and all(line.get(k) == v for k, v in fields.items())
        ]


def _status(address: str) -> int:
    try:
        with urllib.request.urlopen(address, timeout=5) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_loop_follows_the_namespace_and_stops_cleanly(
    cluster: Cluster, client: Client, namespace: str
) -> None:
    seed(client, example_objects(namespace))
    args = VirtualMCPServerArgs(namespace=namespace, group=GROUP, name="eng-tools")
    engine, lines = RecordingEngine(), Lines()
    watcher = Watcher(
        StackSettings("eng-tools", args, None, None),
        engine,
        debounce=0.5,
        ready_port=0,
        log=JsonLog(lines),
        kube=load_kube_config(str(cluster.kubeconfig), "vmcp-test"),
    )
    loop = asyncio.new_event_loop()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(loop.run_until_complete(watcher.run())))
    thread.start()
    try:
        address = wait_for(lambda: lines.logged("readiness"), "the probe address")[0]["address"]
        wait_for(lambda: lines.logged("ready"), "every kind listed", timeout=60)
        assert _status(address) == 200
        health = json.loads(urllib.request.urlopen(address, timeout=5).read())  # noqa: S310
        assert set(health["watches"].values()) == {"watching"}
        # The stand-in has no outputs: the start-up check reconciles once.
        wait_for(lambda: engine.ups == 1, "the start-up run")

        entry = example_objects(namespace)
        new = next(o for o in entry if o["metadata"]["name"] == "context7")
        new["metadata"]["name"] = "context8"
        new.pop("status", None)
        seed(client, [new])
        wait_for(lambda: engine.ups == 2, "a run for the new entry")
        assert lines.logged("event", name="context8", type="ADDED", relevant=True)
        # events that arrived during the run make one follow-up decision: let it come first
        wait_for(lambda: not watcher.scheduler.pending, "the follow-up decided", timeout=10)

        decisions = len(lines.logged("decision"))
        dashboard = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "team-dashboard", "namespace": namespace, "labels": {"a": "b"}},
            "data": {"theme": "dark"},
        }
        seed(client, [dashboard])
        wait_for(lambda: lines.logged("event", name="team-dashboard"), "the dashboard's event")
        wait_for(lambda: not watcher.scheduler.pending, "nothing pending", timeout=5)
        assert len(lines.logged("decision")) == decisions
        assert engine.ups == 2
    finally:
        loop.call_soon_threadsafe(watcher.request_stop, "test")
        thread.join(30)
    assert result == [0]
    assert [line["reason"] for line in lines.logged("stopped")] == ["test"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(address, timeout=2)  # noqa: S310 - the probes are closed
    loop.close()

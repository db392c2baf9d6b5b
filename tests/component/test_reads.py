"""`read_all` under the mock engine: bodies in request order, and a bounded window of reads."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from tests.component.conftest import NAMESPACE, FakeCluster, install, resolved, run_program
from vmcp_components.component.reads import ReadRequest, read_all

API = "toolhive.stacklok.dev/v1beta1"


def _entries(count: int) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": API,
            "kind": "MCPServerEntry",
            "metadata": {"name": f"entry-{index:02d}", "namespace": NAMESPACE},
            "spec": {"remoteUrl": f"https://entry-{index:02d}.example.com/mcp"},
        }
        for index in range(count)
    ]


def _requests(count: int) -> list[ReadRequest]:
    return [
        ReadRequest(f"read-{index:02d}", API, "MCPServerEntry", NAMESPACE, f"entry-{index:02d}")
        for index in range(count)
    ]


class SlowCluster(FakeCluster):
    """Each read takes 20 ms; records how many were being answered at once."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        super().__init__(objects)
        self.lock = threading.Lock()
        self.answering = 0
        self.most = 0

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        with self.lock:
            self.answering += 1
            self.most = max(self.most, self.answering)
        time.sleep(0.02)
        with self.lock:
            self.answering -= 1
        return super().new_resource(args)


def test_bodies_come_back_in_request_order() -> None:
    engine = install(_entries(12))
    requests = _requests(12)[::-1]
    bodies = resolved(run_program(lambda: read_all(requests, in_flight=4)))
    assert [b["metadata"]["name"] for b in bodies] == [r.name for r in requests]
    assert bodies[0]["spec"] == {"remoteUrl": "https://entry-11.example.com/mcp"}
    read_ids = [read.resource_id or "" for read in engine.cluster.reads]
    assert sorted(read_ids) == sorted(f"{NAMESPACE}/{r.name}" for r in requests)


def test_no_more_than_the_window_of_reads_is_unfinished() -> None:
    """The mock monitor answers reads on the SDK's thread pool (six threads here), so with a
    window of three the reads overlap up to three, and never more."""
    engine = install([])
    cluster = SlowCluster(_entries(12))
    engine.monitor.mocks = cluster
    bodies = resolved(run_program(lambda: read_all(_requests(12), in_flight=3)))
    assert len(bodies) == 12
    assert cluster.most == 3


def test_a_failed_read_fails_the_program_with_its_error() -> None:
    """An object gone between discovery and its read fails the program, naming the object."""
    install(_entries(12))
    requests = _requests(12)
    requests[5] = ReadRequest("read-gone", API, "MCPServerEntry", NAMESPACE, "gone")
    with pytest.raises(Exception, match=f"not found: .*MCPServerEntry {NAMESPACE}/gone"):
        run_program(lambda: read_all(requests, in_flight=2))

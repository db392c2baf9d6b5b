"""Mock-engine harness: a fresh root stack, config and monitor per test, and a fake cluster.

The mock engine (`pulumi.runtime.set_mocks`) stands in for the Pulumi CLI and the kubernetes
provider, which the fast tier does not build. Reads answer from raw objects (the example
snapshot's unless a test gives others), as the API server would; creates echo their inputs.
Every test asserts after `run_program` has waited for all outstanding RPCs, never only inside
an `.apply`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks

from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.cluster.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "snapshot.yaml"
NAMESPACE = "toolhive-system"
GROUP = "engineering-team"
T = TypeVar("T")
Raw = dict[str, Any]


def example_inventory() -> Inventory:
    return load_snapshot(EXAMPLE.read_text(), NAMESPACE, str(EXAMPLE))


def example_objects() -> list[Raw]:
    """The items of the example snapshot, as raw objects (a fresh copy on each call)."""
    return list(yaml.safe_load(EXAMPLE.read_text())["items"])


def read_type(kind: str) -> str:
    return (
        "kubernetes:core/v1:ConfigMap"
        if kind == "ConfigMap"
        else f"kubernetes:toolhive.stacklok.dev/v1beta1:{kind}"
    )


@dataclass
class FakeCluster(pulumi.runtime.Mocks):
    """Answers get-calls from raw objects of one namespace; records reads and creates in order."""

    objects: Sequence[Raw]
    namespace: str = NAMESPACE
    reads: list[pulumi_mocks.MockResourceArgs] = field(default_factory=list)
    creates: list[pulumi_mocks.MockResourceArgs] = field(default_factory=list)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.custom is None and args.resource_id:
            self.reads.append(args)
            for obj in self.objects:
                meta = obj["metadata"]
                object_id = f"{meta.get('namespace', self.namespace)}/{meta['name']}"
                if read_type(obj["kind"]) == args.typ and args.resource_id == object_id:
                    return args.resource_id, copy.deepcopy(obj)
            raise LookupError(f"not found: {args.typ} {args.resource_id}")
        self.creates.append(args)
        state = copy.deepcopy(args.inputs)
        metadata = state.get("metadata")
        if not isinstance(metadata, dict):  # unknown in preview
            return args.name, state
        return f"{metadata.get('namespace', '')}/{metadata.get('name', args.name)}", state

    def inventory(self) -> Inventory:
        """What discovery sees in this cluster."""
        return build_inventory(self.namespace, copy.deepcopy(list(self.objects)), "fake cluster")

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None

    def created(self, typ: str) -> list[pulumi_mocks.MockResourceArgs]:
        return [c for c in self.creates if c.typ == typ]

    def one(self, kind_type: str) -> dict[str, Any]:
        (created,) = self.created(kind_type)
        return created.inputs


class Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class Engine:
    cluster: FakeCluster
    monitor: pulumi_mocks.MockMonitor
    warnings: Warnings

    @property
    def discovery(self) -> InventoryDiscovery:
        return InventoryDiscovery(self.cluster.inventory())

    def urns(self) -> list[str]:
        return list(self.monitor.resources)


def install(
    objects: Sequence[Raw], *, preview: bool = False, config: dict[str, str] | None = None
) -> Engine:
    """Fresh root stack, config and monitor, so nothing leaks between tests."""
    cluster = FakeCluster(objects)
    monitor = pulumi_mocks.MockMonitor(cluster)
    warnings = Warnings()
    logger = logging.getLogger(f"pulumi-mock-{id(monitor)}")
    logger.propagate = False
    logger.addHandler(warnings)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config({}, [])
    # The language host hands the stack config to the program in this variable.
    os.environ["PULUMI_CONFIG"] = json.dumps(config or {})
    pulumi.runtime.set_mocks(
        cluster,
        project="vmcp-components",
        stack="test",
        preview=preview,
        logger=logger,
        monitor=monitor,
    )
    return Engine(cluster, monitor, warnings)


@pytest.fixture
def engine() -> Engine:
    return install(example_objects())


def run_program(program: Callable[[], T]) -> T:
    """Run `program` under the mock engine, wait for every RPC, and return its result."""
    box: dict[str, T] = {}

    @pulumi.runtime.test
    def _run() -> None:
        box["result"] = program()

    _run()
    return box["result"]


def resolved(output: pulumi.Output[T]) -> T:
    """The value of an Output after the program finished (fails if it is unknown)."""
    from pulumi.runtime.sync_await import _sync_await

    known = _sync_await(output.is_known())
    assert known, "output is unknown"
    return _sync_await(output.future())  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _no_config_leaks() -> Iterator[None]:
    """`install` sets PULUMI_CONFIG as the language host would; no test sees another's."""
    yield
    os.environ.pop("PULUMI_CONFIG", None)

"""The policy pack as the engine runs it, and the real component's children as the engine sees them.

`start_pack` runs `policy/run` the way the Pulumi CLI runs an executable `--policy-pack`: with an
engine address as its last argument, reading the analyzer's port from its stdout; the tests then
speak pulumi's analyzer protocol to it over gRPC (`GetAnalyzerInfo`, `Configure`,
`ConfigureStack`, `Analyze`, `AnalyzeStack`). The pack runs in its own environment
(`policy/.venv`, protobuf 5), this side in the project's (protobuf 6): only the wire is shared.

`declare` runs the VirtualMCPServer component under the mock engine and records each registration
as the engine receives it (type, name, parent, the serialised inputs), so compliant input is what
the component really declares and violations are small edits of it.
"""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.component.conftest import example_objects, install, run_program
from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
from vmcp_components.core.settings.args import VirtualMCPServerArgs

ROOT = Path(__file__).resolve().parents[2]
PACK_RUN = ROOT / "policy" / "run"
LEVELS = {
    "advisory": pb.ADVISORY,
    "mandatory": pb.MANDATORY,
    "remediate": pb.REMEDIATE,
    "disabled": pb.DISABLED,
}


@dataclass(frozen=True)
class Registered:
    """One resource registration as the engine hands it to an analyzer."""

    type: str
    name: str
    urn: str
    parent: str
    properties: struct_pb2.Struct
    custom: bool

    @property
    def props(self) -> dict[str, Any]:
        return json_format.MessageToDict(self.properties)

    def edited(self, edit: Callable[[dict[str, Any]], None]) -> Registered:
        """A copy whose properties `edit` changed in place."""
        props = self.props
        edit(props)
        return replace(self, properties=json_format.ParseDict(props, struct_pb2.Struct()))


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    message: str
    level: str
    urn: str


class Analyzer:
    """A running pack and a gRPC stub on it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def info(self) -> pb.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(
        self,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Per-policy config as `--policy-pack-config` gives it, and the stack's tags."""
        policies: dict[str, pb.PolicyConfig] = {}
        for name, values in (config or {}).items():
            properties = {k: v for k, v in values.items() if k != "enforcementLevel"}
            policies[name] = pb.PolicyConfig(
                enforcementLevel=LEVELS[values.get("enforcementLevel", "mandatory")],
                properties=json_format.ParseDict(properties, struct_pb2.Struct()),
            )
        self.stub.Configure(pb.ConfigureAnalyzerRequest(policyConfig=policies))
        self.stub.ConfigureStack(pb.AnalyzerStackConfigureRequest(tags=dict(tags or {})))

    def analyze(self, resource: Registered) -> list[Diagnostic]:
        request = pb.AnalyzeRequest(
            type=resource.type,
            properties=resource.properties,
            urn=resource.urn,
            name=resource.name,
            options=pb.AnalyzerResourceOptions(parent=resource.parent),
        )
        return _diagnostics(self.stub.Analyze(request))

    def analyze_all(self, resources: Sequence[Registered]) -> list[Diagnostic]:
        return [d for resource in resources for d in self.analyze(resource)]

    def analyze_stack(self, resources: Sequence[Registered]) -> list[Diagnostic]:
        request = pb.AnalyzeStackRequest(
            resources=[
                pb.AnalyzerResource(
                    type=r.type,
                    properties=r.properties,
                    urn=r.urn,
                    name=r.name,
                    options=pb.AnalyzerResourceOptions(parent=r.parent),
                    parent=r.parent,
                )
                for r in resources
            ]
        )
        return _diagnostics(self.stub.AnalyzeStack(request))

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def _diagnostics(response: pb.AnalyzeResponse) -> list[Diagnostic]:
    names = {value: name for name, value in LEVELS.items()}
    return [
        Diagnostic(d.policyName, d.message, names[d.enforcementLevel], d.urn)
        for d in response.diagnostics
    ]


def start_pack(timeout: float = 120) -> Analyzer:
    """`policy/run <engine address>` as the CLI starts it; its first stdout line is the port."""
    process = subprocess.Popen(
        [str(PACK_RUN), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")},
    )
    assert process.stdout is not None
    assert process.stderr is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        process.kill()
        raise AssertionError(
            f"the pack printed no port: {line!r} {process.stderr.read().decode()[-3000:]}"
        )
    return Analyzer(process, int(line))


def declare(
    args: Mapping[str, Any],
    objects: Sequence[dict[str, Any]] | None = None,
    *,
    name: str = "eng-tools",
    preview: bool = False,
) -> list[Registered]:
    """Every registration (the stack, the component, its reads and children) of one component."""
    engine = install(example_objects() if objects is None else objects, preview=preview)
    recorded: list[Registered] = []
    register, read = engine.monitor.RegisterResource, engine.monitor.ReadResource

    def on_register(request: Any) -> Any:
        response = register(request)
        recorded.append(
            Registered(
                request.type,
                request.name,
                response.urn,
                request.parent,
                request.object,
                request.custom,
            )
        )
        return response

    def on_read(request: Any) -> Any:
        response = read(request)
        recorded.append(
            Registered(
                request.type, request.name, response.urn, request.parent, request.properties, True
            )
        )
        return response

    engine.monitor.RegisterResource = on_register  # type: ignore[method-assign]
    engine.monitor.ReadResource = on_read  # type: ignore[method-assign]
    try:
        settings = VirtualMCPServerArgs.model_validate(args)
        run_program(lambda: VirtualMCPServer(name, settings, discovery=engine.discovery))
    finally:
        os.environ.pop("PULUMI_CONFIG", None)
    return recorded


def child(resources: Sequence[Registered], role: str, name: str = "eng-tools") -> Registered:
    (found,) = (r for r in resources if r.name == f"{name}-{role}")
    return found


def replaced(resources: Sequence[Registered], new: Registered) -> list[Registered]:
    return [new if r.urn == new.urn else r for r in resources]


def of_policy(diagnostics: Sequence[Diagnostic], policy: str) -> Iterator[Diagnostic]:
    return (d for d in diagnostics if d.policy == policy)

"""The real Pulumi engine as a Python handle: build it, run projects through `pulumi.automation`.

Used by the engine-tier tests and by `bench/engine_bench.py`. The engine is the CLI v3.274.1,
the Python language host and the kubernetes provider v4.25.0 that `scripts/pulumi-engine` builds
from the Go module proxy; automatic plugin acquisition is off, so no run downloads anything.
An `EngineProject` is one Pulumi project in a directory with its own file backend; its stack
files are written directly, because `pulumi config set` rewrites typed values as strings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from tests import clock

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "scripts" / "pulumi-engine"
PROJECT = "vmcp-components"
PASSPHRASE = "engine-tests"
_NO_CHANGE = (auto.OpType.SAME, auto.OpType.READ)


class EngineBuildError(RuntimeError):
    """`scripts/pulumi-engine build` did not produce all three pieces."""


@dataclass(frozen=True)
class Engine:
    """The built engine: where its CLI lives and the environment every run gets."""

    root: Path
    env: dict[str, str]


def build_engine(timeout: float = 5400) -> Engine:
    """Build (or reuse) the engine; the build must report all three pieces present."""
    build = subprocess.run(
        [str(ENGINE), "build"], capture_output=True, text=True, check=False, timeout=timeout
    )
    if build.returncode != 0:
        raise EngineBuildError(build.stderr[-4000:])
    exports = subprocess.run(
        [str(ENGINE), "env"], capture_output=True, text=True, check=True
    ).stdout
    env: dict[str, str] = {}
    for line in exports.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'\"")
    bin_dir = env.pop("PATH").split(":", 1)[0]
    env.update(
        # The v3.79 language host runs the first python3 on PATH: the project's venv.
        PATH=f"{bin_dir}:{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        VIRTUAL_ENV=str(ROOT / ".venv"),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
    )
    # The program (and `watch`) check CA bundles at the tests' time, not the machine's.
    env.update(clock.subprocess_env(base={"PYTHONPATH": env.get("PYTHONPATH", "")}))
    return Engine(root=Path(bin_dir).parent, env=env)


@dataclass
class Run:
    """What one engine operation printed and the structured events it emitted."""

    output: list[str] = field(default_factory=list)
    events: list[auto.EngineEvent] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    """When each event reached this process (`time.monotonic()`), in the order of `events`."""

    def record(self, event: auto.EngineEvent) -> None:
        self.events.append(event)
        self.arrivals.append(time.monotonic())

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def steps(self, *ops: auto.OpType) -> list[tuple[auto.OpType, str, str]]:
        """(op, type, logical name) of each resource step, limited to `ops` when given."""
        found: list[tuple[auto.OpType, str, str]] = []
        for event in self.events:
            pre = event.resource_pre_event
            if pre is not None and (not ops or pre.metadata.op in ops):
                meta = pre.metadata
                found.append((auto.OpType(meta.op), meta.type, meta.urn.rsplit("::", 1)[-1]))
        return found

    def changes(self) -> list[tuple[auto.OpType, str, str]]:
        """Steps that change something (reads and unchanged resources left out)."""
        return [step for step in self.steps() if step[0] not in _NO_CHANGE]

    def step_seconds(self, resource_type: str) -> list[float]:
        """How long each step on a resource of `resource_type` took, from start to outputs."""
        started: dict[str, float] = {}
        spans: list[float] = []
        for event, at in zip(self.events, self.arrivals, strict=True):
            pre, done = event.resource_pre_event, event.res_outputs_event
            if pre is not None and pre.metadata.type == resource_type:
                started[pre.metadata.urn] = at
            if done is not None and done.metadata.urn in started:
                spans.append(at - started.pop(done.metadata.urn))
        return spans

    def warnings(self) -> list[str]:
        return [
            event.diagnostic_event.message
            for event in self.events
            if event.diagnostic_event is not None and event.diagnostic_event.severity == "warning"
        ]


@dataclass
class EngineProject:
    """One project directory with a file backend, and its stacks as automation `Stack`s."""

    path: Path
    engine: Engine
    runs: list[Run] = field(default_factory=list)

    @property
    def state_dir(self) -> Path:
        return self.path / ".state"

    @property
    def env(self) -> dict[str, str]:
        return {**self.engine.env, "PULUMI_BACKEND_URL": f"file://{self.state_dir}"}

    def resources(self, stack: str) -> list[dict[str, Any]]:
        """The resources of `stack` as its file-backend state holds them (latest checkpoint)."""
        state = next(self.state_dir.rglob(f"stacks/*/{stack}.json"))
        return json.loads(state.read_text())["checkpoint"]["latest"]["resources"]

    def workspace(self) -> auto.LocalWorkspace:
        return auto.LocalWorkspace(
            work_dir=str(self.path),
            env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(self.engine.root)),
        )

    def stack(self, name: str, config: dict[str, Any]) -> auto.Stack:
        """The stack `name`, created if needed, with exactly `config` (project keys)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.write_config(name, config)
        return auto.Stack.create_or_select(name, self.workspace())

    def write_config(self, name: str, config: dict[str, Any]) -> None:
        stacks = self.path / "stacks"
        stacks.mkdir(exist_ok=True)
        lines = ["config:"] + [
            f"  {key if ':' in key else f'{PROJECT}:{key}'}: {json.dumps(value)}"
            for key, value in config.items()
        ]
        (stacks / f"Pulumi.{name}.yaml").write_text("\n".join(lines) + "\n")

    def run(self, operation: str, stack: auto.Stack, **kwargs: Any) -> tuple[Run, Any]:
        """`operation` (preview, up, destroy) with its output and events recorded."""
        record = Run()
        self.runs.append(record)
        try:
            result = getattr(stack, operation)(
                on_output=record.output.append,
                on_event=record.record,
                color="never",
                suppress_progress=True,
                **kwargs,
            )
        except auto.CommandError as error:
            record.output.append(str(error))
            raise
        return record, result


def copy_program(target: Path) -> None:
    """The program as users run it: Pulumi.yaml and __main__.py (the stacks are per test)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / item, target / item)


def listed(kube: Any, resource: Any, namespace: str | None = None) -> list[Any]:
    """The objects of `resource`, retried as discovery retries (a 429 while a new CRD's storage
    is still initialising must not fail a test that merely lists it)."""
    from vmcp_components.kube.discovery import retrying

    if namespace is None:
        return retrying(lambda: list(kube.list(resource)))
    return retrying(lambda: list(kube.list(resource, namespace=namespace)))

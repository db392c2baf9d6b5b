"""The engine: `pulumi up`, the stack's outputs and its config through `pulumi.automation`.

The Pulumi CLI comes from PATH; Pulumi's automation API is imported only when a runner is made.
`interrupt` sends the CLI this process started the SIGINT Ctrl-C sends, which cancels the update
and releases the stack's lock (found by a /proc scan of this process's children).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vmcp_components.errors import VmcpError

if TYPE_CHECKING:
    from pulumi import automation as auto


class WatchError(VmcpError):
    """The watcher cannot start: a bad stack file, a missing stack, an unreachable engine."""


@dataclass(frozen=True)
class RunResult:
    """One engine run: success, the resource changes, the stack's outputs, or the error."""

    ok: bool
    changes: Mapping[str, int] = field(default_factory=dict[str, int])
    outputs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    error: str = ""


class Runner(Protocol):
    """What the watcher needs of the engine (a stand-in in the unit tests)."""

    def outputs(self) -> Mapping[str, Any]:
        """The stack's outputs."""
        ...

    def up(self) -> RunResult:
        """Run `pulumi up`; a failure is a result."""
        ...

    def interrupt(self) -> list[int]:
        """Cancel the run in progress; the pids signalled."""
        ...


class StackRunner:
    """`pulumi up` and the stack's outputs through `pulumi.automation` (CLI from PATH)."""

    def __init__(self, stack: str, cwd: Path) -> None:
        """Select `stack` in the project directory `cwd`."""
        from pulumi import automation as auto  # noqa: PLC0415 - only a running watch needs it

        self._auto = auto
        try:
            self._stack: auto.Stack = auto.select_stack(stack_name=stack, work_dir=str(cwd))
        except Exception as error:  # noqa: BLE001 - no CLI on PATH, no stack, no backend
            raise WatchError(f"cannot select stack {stack!r} in {cwd}: {tail(error)}") from None

    def config(self) -> dict[str, str]:
        """The stack's config as the CLI resolves it: secrets decrypted, environments merged."""
        try:
            return {key: item.value for key, item in self._stack.get_all_config().items()}
        except Exception as error:  # noqa: BLE001 - a missing passphrase, an unreachable ESC
            raise WatchError(f"cannot read the stack's config: {tail(error)}") from None

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs (what the last `up` recorded)."""
        return {key: value.value for key, value in self._stack.outputs().items()}

    def up(self) -> RunResult:
        """Run `pulumi up` for the stack; a failed run is a result, not an exception."""
        try:
            result = self._stack.up(color="never", suppress_progress=True, on_output=_drop)
        except self._auto.CommandError as error:
            return RunResult(False, error=tail(error))
        changes = {
            str(getattr(op, "value", op)): n
            for op, n in (result.summary.resource_changes or {}).items()
        }
        return RunResult(True, changes, {k: v.value for k, v in result.outputs.items()})

    def interrupt(self) -> list[int]:
        """Ctrl-C for the Pulumi CLI we started: it cancels and releases the stack's lock."""
        stopped: list[int] = []
        for pid in _children(os.getpid()):
            if _command_name(pid) == "pulumi":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGINT)
                    stopped.append(pid)
        return stopped


def _drop(_line: str) -> None:
    """Engine output is not logged line by line (the run's summary is)."""


def tail(error: BaseException, limit: int = 1500) -> str:
    """The engine's `error:` lines when it printed some, else the end of the message."""
    text = str(error).strip()
    errors = [line.strip() for line in text.splitlines() if line.strip().startswith("error:")]
    if errors:
        text = " | ".join(dict.fromkeys(errors))
    return text if len(text) <= limit else "..." + text[-limit:]


def _children(parent: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
    return found


def _command_name(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""

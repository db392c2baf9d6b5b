"""Where the Pulumi program's time goes during one engine operation, sampled with py-spy.

`ProgramProfile` runs py-spy (from PyPI, the `bench` dependency group) against this process and
its children while a step runs: the CLI, the language host and the program, which the language
host starts as `python .../pulumi-language-python-exec`. Only the program's main thread is kept
(the SDK's gRPC threads only wait); each of its samples is put in the first bucket whose marker
occurs in the stack, so a lazy import inside the component counts as an import. The buckets and
the program's lifetime are printed in seconds; `--idle` sampling makes the time the program waits
on the engine (the event loop's `select`) visible as its own bucket.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 200  # samples per second
PROGRAM = "pulumi-language-python-exec"
BUCKETS = (
    ("import", ("_find_and_load",)),
    ("stack config", ("load_stack_settings",)),
    ("discovery (lightkube)", ("vmcp_components/kube/",)),
    ("render", ("core/render.py",)),
    ("preflight", ("vmcp_components/preflight/",)),
    ("component (own Python)", ("vmcp_components/",)),
    ("waiting on the engine", ("select (selectors.py", "_run_once (asyncio/base_events.py")),
    ("Pulumi SDK (RPC, serialisation)", ("pulumi/",)),
)


def py_spy() -> str:
    """The py-spy of this venv (`uv sync --group bench`), else the one on PATH."""
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if on_path is None:
        raise SystemExit("py-spy is missing: uv sync --group bench (make engine-bench does)")
    return on_path


class ProgramProfile:
    """A py-spy recording of this process tree while the `with` block runs."""

    def __init__(self, raw: Path) -> None:
        self.raw = raw
        self._spy: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ProgramProfile:
        command = [py_spy(), "record", "--subprocesses", "--idle", "--threads", "--format"]
        command += ["raw", "--rate", str(RATE), "--output", str(self.raw), "--pid"]
        self._spy = subprocess.Popen(
            [*command, str(os.getpid())], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(1.0)  # attached before the step starts
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._spy is not None
        self._spy.send_signal(signal.SIGINT)
        stderr = self._spy.communicate(timeout=60)[1].decode(errors="replace")
        if not self.raw.exists():
            raise SystemExit(f"py-spy wrote nothing: {stderr[-2000:]}")

    def buckets(self) -> dict[str, float]:
        """Seconds of the program's main thread per bucket, and its whole lifetime (`total`)."""
        counts: Counter[str] = Counter()
        for line in self.raw.read_text(errors="replace").splitlines():
            stack, _, samples = line.rpartition(" ")
            # process <bench>;<cli>;<host>;<program>;thread (<id>): <name>;<module> (...);...
            frames = stack.split(";")
            at = next((i for i, frame in enumerate(frames) if PROGRAM in frame), None)
            if at is None or not frames[at + 1].endswith("MainThread"):
                continue
            counts["total"] += int(samples)
            counts[_bucket(stack)] += int(samples)
        return {name: count / RATE for name, count in counts.items()}


def _bucket(stack: str) -> str:
    for name, markers in BUCKETS:
        if any(marker in stack for marker in markers):
            return name
    return "other (interpreter start, exit)"


def print_buckets(label: str, seconds: dict[str, Any]) -> None:
    total = seconds.get("total", 0.0)
    print(f"{'':>17} where the program's {total:.2f} s went ({label}):")
    for name, _ in (*BUCKETS, ("other (interpreter start, exit)", ())):
        if name in seconds:
            print(f"{'':>19} {name:<34} {seconds[name]:5.2f} s")
    sys.stdout.flush()

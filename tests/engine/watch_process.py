"""`python -m vmcp_components watch` as a subprocess, its JSON log lines collected as they come.

Shared by the engine tier's watch tests and `bench/watch_bench.py`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from typing import Any

from tests.e2e.conftest import wait_for
from tests.engine.harness import EngineProject


class WatchProcess:
    """`python -m vmcp_components watch` with its JSON lines collected as they come."""

    def __init__(self, program: EngineProject, stack: str, *, debounce: float) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "vmcp_components", "watch", "--stack", stack),
                *("--cwd", str(program.path), "--debounce", str(debounce), "--grace", "1"),
                *("--ready-port", "0"),
            ],
            env=program.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._threads = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.raw.append(line)
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def logged(self, log: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            line
            for line in list(self.lines)
            if line["log"] == log and all(line.get(k) == v for k, v in fields.items())
        ]

    def wait_logged(self, log: str, timeout: float = 60.0, after: int = 0, **fields: Any) -> Any:
        def found() -> Any:
            assert self.process.poll() is None, f"watch exited: {''.join(self.raw)[-3000:]}"
            return self.logged(log, **fields)[after:]

        return wait_for(found, f"a {log} line with {fields}", timeout)[0]

    def stop(self, timeout: float = 180.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        for thread in self._threads:
            thread.join(10)
        return code

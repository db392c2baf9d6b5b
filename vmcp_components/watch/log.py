"""The watch's log: one JSON object per line on stdout, `log` naming what happened.

Every line is written from the watcher's one event loop, so lines never interleave.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO


class JsonLog:
    """One JSON object per line; `log` names what happened (event, decision, run, ...)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        """Lines go to `stream` (None: stdout)."""
        self._stream = stream or sys.stdout

    def __call__(self, log: str, **fields: Any) -> None:
        """Write one line: a timestamp, `log`, then `fields`."""
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._stream.write(json.dumps({"ts": stamp, "log": log, **fields}, default=str) + "\n")
        self._stream.flush()

"""The time every test renders at: CA bundles are checked against it, never against the clock.

The example CA (examples/snapshot.yaml) is valid from 2026-11-24 to 2036-10-22, so a test that
read the clock would fail on a machine set earlier and start failing in 2036. `freeze()`
replaces the one clock the renderer reads (`derivation`'s `datetime.now`) in this process;
`subprocess_env()` does the same in a child Python (the CLI, an installed wheel, the Pulumi
program under the real engine) through `clock_site/sitecustomize.py`.
`tests/unit/test_clock.py` proves both reach the renderer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.clock_site import sitecustomize

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
"""Inside the example CA's validity, far from both ends."""
ENV = "VMCP_TEST_NOW"
SITE_DIR = Path(__file__).resolve().parent / "clock_site"


def freeze(at: datetime = NOW) -> None:
    """Make every render in this process check CA bundles at `at`."""
    sitecustomize.freeze(at)


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    """Render at `at` inside the block (a test whose certificates a real TLS stack checks)."""
    freeze(at)
    try:
        yield
    finally:
        freeze()


def subprocess_env(at: datetime = NOW, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) plus what makes a child Python render at `at`."""
    env = dict(os.environ if base is None else base)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{SITE_DIR}{os.pathsep}{path}" if path else str(SITE_DIR)
    env[ENV] = at.isoformat()
    return env

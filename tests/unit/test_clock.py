"""The renderer's clock is injected: in this process and in a child Python (tests/clock.py).

If the renderer stopped reading the clock where `clock.freeze` replaces it, the CA bundle of
the example would be checked against the machine's time again; these tests would then fail.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from tests import clock, factories
from tests.unit.helpers import example_arguments, skipped_by_name
from vmcp_components.core import render as render_module

BEFORE_THE_EXAMPLE_CA = datetime(2026, 11, 1, tzinfo=UTC)
"""The example CA is valid from 2026-11-24."""


def _example_render() -> render_module.Rendering:
    inventory = factories.inventory(*factories.example_objects())
    return render_module.render(inventory, "eng-tools", factories.args())


def test_in_process_renders_read_the_frozen_clock() -> None:
    assert "internal-mcp" not in skipped_by_name(_example_render())
    try:
        clock.freeze(BEFORE_THE_EXAMPLE_CA)
        reason = skipped_by_name(_example_render())["internal-mcp"]
    finally:
        clock.freeze()
    assert "is not valid yet" in reason, reason


def test_a_child_python_reads_the_time_it_is_given() -> None:
    def run(at: datetime) -> str:
        return subprocess.run(
            [sys.executable, "-m", "vmcp_components", *example_arguments()],
            cwd=factories.ROOT,
            env=clock.subprocess_env(at),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    assert "ca-bundle-internal-mcp" in run(clock.NOW)
    assert "ca-bundle-internal-mcp" not in run(BEFORE_THE_EXAMPLE_CA)

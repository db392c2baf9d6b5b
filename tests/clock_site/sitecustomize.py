"""Loaded by a child Python whose PYTHONPATH starts here (tests/clock.py: subprocess_env).

With VMCP_TEST_NOW set, the renderer's clock reads that time, so a test's CLI run or Pulumi
program checks CA bundles at the test's time, not the machine's. `tests/clock.py` freezes the
test process itself with the same `freeze`.
"""

from __future__ import annotations

import os
from datetime import datetime


def freeze(at: datetime) -> None:
    """The one clock the renderer reads (`derivation`'s `datetime.now`) returns `at`."""
    from vmcp_components.core.backends import derivation

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return at.astimezone(tz) if tz is not None else at.replace(tzinfo=None)  # type: ignore[arg-type]

    assert isinstance(derivation.datetime, type), "derivation no longer reads datetime.now"
    derivation.datetime = Frozen  # type: ignore[misc]


if os.environ.get("VMCP_TEST_NOW"):
    freeze(datetime.fromisoformat(os.environ["VMCP_TEST_NOW"]))

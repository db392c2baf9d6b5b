"""Keep every `Rendering` made in this process, so the real `vmcp validate` can check them all.

As a pytest plugin, for another tier's tests:

    VMCP_COLLECT_RENDERINGS=DIR pytest -p tests.e2e.collect_renderings tests/unit tests/component

and in the e2e session itself through `start(DIR)` / `stop()` (tests/e2e/conftest.py). Each
distinct (ConfigMap, Deployment) pair is written once, to DIR/<digest>.json. The hook is on
`Rendering.__init__`, so renderings made through any import of `render` (the component's
included) are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from vmcp_components.core.render import Rendering

_ORIGINAL_INIT = Rendering.__init__
_target: Path | None = None


def _keep(rendering: Rendering) -> None:
    kinds = {obj["kind"] for obj in rendering.objects}
    if _target is None or not {"ConfigMap", "Deployment"} <= kinds:
        return
    pair = {kind: rendering.object(kind) for kind in ("ConfigMap", "Deployment")}
    text = json.dumps(pair, sort_keys=True)
    (_target / (hashlib.sha256(text.encode()).hexdigest()[:24] + ".json")).write_text(text)


def _init(self: Rendering, *args: Any, **kwargs: Any) -> None:
    _ORIGINAL_INIT(self, *args, **kwargs)
    _keep(self)


def start(target: Path) -> None:
    global _target  # noqa: PLW0603 - one collector per process
    _target = target
    Rendering.__init__ = _init  # type: ignore[method-assign]


def stop() -> None:
    global _target  # noqa: PLW0603
    _target = None
    Rendering.__init__ = _ORIGINAL_INIT  # type: ignore[method-assign]


def pytest_configure(config: Any) -> None:
    target = os.environ.get("VMCP_COLLECT_RENDERINGS")
    if target:
        start(Path(target))

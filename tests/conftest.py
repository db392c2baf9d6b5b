"""Every in-process rendering is checked against `tests/invariants.py`, at `clock.NOW`.

`render` is wrapped here, before any test module (or the package's CLI, component or watch)
binds it, so a rendering that breaks an invariant fails whichever test produced it, even a
test about something else. The invariants are independent of the renderer's own checks.
The renderer's clock is frozen at `clock.NOW` for the whole session (tests/clock.py).
"""

from __future__ import annotations

import functools
from typing import Any

from tests import clock
from tests.invariants import assert_invariants
from vmcp_components.core import render as render_module

_original_render = render_module.render


@functools.wraps(_original_render)
def _checked_render(*args: Any, **kwargs: Any) -> render_module.Rendering:
    rendering = _original_render(*args, **kwargs)
    assert_invariants(rendering.objects)
    return rendering


render_module.render = _checked_render
clock.freeze()

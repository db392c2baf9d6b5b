"""vmcp-components: deploy ToolHive's Virtual MCP Server in static mode from a group's backends.

The top-level names are loaded on first use, so `import vmcp_components` (and the offline
`vmcp-components render`) never imports Pulumi; only touching `VirtualMCPServer` does.
`render(snapshot, args, name=...)` is the offline preview of `VirtualMCPServer(name, args)`:
the same argument mapping, and a snapshot's text (or an Inventory) instead of a cluster.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
    from vmcp_components.core.render import RenderError, Rendering
    from vmcp_components.core.render import render_snapshot as render
    from vmcp_components.core.settings.args import VirtualMCPServerArgs
    from vmcp_components.errors import VmcpError

    __version__: str

DISTRIBUTION = "vmcp-components"
_LAZY = {
    "VirtualMCPServer": ("vmcp_components.component.virtual_mcp_server", "VirtualMCPServer"),
    "VirtualMCPServerArgs": ("vmcp_components.core.settings.args", "VirtualMCPServerArgs"),
    "VmcpError": ("vmcp_components.errors", "VmcpError"),
    "RenderError": ("vmcp_components.core.render", "RenderError"),
    "Rendering": ("vmcp_components.core.render", "Rendering"),
    "render": ("vmcp_components.core.render", "render_snapshot"),
}
"""Public name -> (module, attribute), imported on first use."""

__all__ = [
    "RenderError",
    "Rendering",
    "VirtualMCPServer",
    "VirtualMCPServerArgs",
    "VmcpError",
    "__version__",
    "render",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # the version lives in pyproject.toml only

        return version(DISTRIBUTION)
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])

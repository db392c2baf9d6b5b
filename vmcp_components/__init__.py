"""vmcp-components: deploy ToolHive's Virtual MCP Server in static mode from a group's backends.

The top-level names are loaded on first use, so `import vmcp_components` (and the offline
`vmcp-components render`) never imports Pulumi; only touching `VirtualMCPServer` does. The
pure `render` function lives in `vmcp_components.core.render`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vmcp_components.component.virtual_mcp_server import VirtualMCPServer
    from vmcp_components.core.render import RenderError, Rendering
    from vmcp_components.core.settings.args import VirtualMCPServerArgs
    from vmcp_components.errors import VmcpError

    __version__: str

DISTRIBUTION = "vmcp-components"
_LAZY = {
    "VirtualMCPServer": "vmcp_components.component.virtual_mcp_server",
    "VirtualMCPServerArgs": "vmcp_components.core.settings.args",
    "VmcpError": "vmcp_components.errors",
    "RenderError": "vmcp_components.core.render",
    "Rendering": "vmcp_components.core.render",
}

__all__ = [
    "RenderError",
    "Rendering",
    "VirtualMCPServer",
    "VirtualMCPServerArgs",
    "VmcpError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # the version lives in pyproject.toml only

        return version(DISTRIBUTION)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])

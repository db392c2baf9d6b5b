"""vmcp-components: deploy ToolHive's Virtual MCP Server in static mode from a group's backends."""

from vmcp_components.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError
from vmcp_components.render import RenderError, Rendering, render

__all__ = ["RenderError", "Rendering", "VirtualMCPServerArgs", "VmcpError", "render"]

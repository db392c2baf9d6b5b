"""`compositeToolRefs` resolved from the cluster, as ToolHive v0.63.0's operator merges them.

The controller first refuses a reference whose VirtualMCPCompositeToolDefinition is missing or
marked `validationStatus: Invalid` (`validateCompositeToolRefs`, the VirtualMCPServer then
`Failed`); the converter then appends each definition's spec, in the references' order, after
the inline `compositeTools` and refuses a name used twice (`convertAllCompositeTools`).
config.yaml keeps `compositeToolRefs` as written too (the converter copies spec.config).

Here each definition is also typed and checked as vmcp checks `compositeTools`, over the
merged list, so a tool vmcp would refuse at start-up fails the run before anything is written.
Definitions serve the whole vMCP: every problem is a `CompositeToolRefError` naming the fix.
"""

from __future__ import annotations

from pydantic import ValidationError

from vmcp_components.core.backends.incoming_auth import required_object
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import COMPOSITE_TOOL_DEFINITION
from vmcp_components.core.cluster.models import describe_validation_error
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.composite_checks import check_tools
from vmcp_components.core.settings.composite_tools import CompositeTool
from vmcp_components.errors import VmcpError

SETTING = "compositeToolRefs"


class CompositeToolRefError(VmcpError):
    """A referenced composite tool definition is missing, invalid, or clashes with another."""


def _definition(inventory: Inventory, name: str) -> CompositeTool:
    where = f"{SETTING}: VirtualMCPCompositeToolDefinition {name!r}"
    definition = required_object(
        inventory, COMPOSITE_TOOL_DEFINITION, name, SETTING, CompositeToolRefError
    )
    status = definition.status
    if status is not None and status.validation_status == "Invalid":
        found = "; ".join(status.validation_errors)
        raise CompositeToolRefError(
            f"{where} is marked invalid by ToolHive"
            + (f": {found}" if found else "")
            + "; fix the definition (the operator refuses it too)"
        )
    try:
        return CompositeTool.model_validate(definition.spec)
    except ValidationError as error:
        raise CompositeToolRefError(
            f"{where}: spec: {describe_validation_error(error)}; fix the definition"
        ) from None


def resolve_composite_tools(
    inventory: Inventory, args: VirtualMCPServerArgs
) -> tuple[CompositeTool, ...]:
    """The inline `compositeTools`, then each referenced definition, checked as vmcp does."""
    inline = tuple(args.composite_tools or ())
    if not args.composite_tool_refs:
        return inline
    referenced = tuple(_definition(inventory, ref.name) for ref in args.composite_tool_refs)
    merged = [*inline, *referenced]
    try:
        check_tools(merged)
    except ValueError as error:
        raise CompositeToolRefError(
            f"compositeTools with {SETTING} appended: {error}"
            + ("" if "duplicate" in str(error) else "; fix the definition or the inline tool")
        ) from None
    return tuple(merged)

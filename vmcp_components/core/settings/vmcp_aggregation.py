"""vmcp's `aggregation` section (AggregationConfig of vmcp v0.63.0), typed and checked as vmcp does.

Conflict resolution (prefix, priority, manual) and the settings each strategy requires, the
default tool visibility, and per-backend tool filters and overrides. A tools entry naming a
backend that is not in the group is not an error for vmcp (it logs a warning at start-up), so
render warns too (`vmcp_config.config_warnings`). Two rules are stricter than `vmcp validate`:
an empty `priorityOrder` entry (`vmcp serve` refuses it at start-up) and `toolConfigRef` (only
the operator resolves it; a static vmcp silently ignores it).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from vmcp_components.core.settings.go_values import GoBool, GoString
from vmcp_components.core.settings.vmcp_sections import VmcpSection, one_of, refuse
from vmcp_components.errors import echo

CONFLICT_STRATEGIES = ("prefix", "priority", "manual")
TOOL_VISIBILITIES = ("allow", "deny")
DEFAULT_PREFIX_FORMAT = "{workload}_"


class ConflictResolutionConfig(VmcpSection):
    """Settings of the chosen strategy: `prefixFormat` or `priorityOrder`."""

    go_type: ClassVar[str] = "config.ConflictResolutionConfig"

    prefix_format: GoString | None = Field(default=None, alias="prefixFormat")
    priority_order: list[GoString] | None = Field(default=None, alias="priorityOrder")


class ToolAnnotationsOverride(VmcpSection):
    """Tool annotation fields to override (unset ones pass through)."""

    go_type: ClassVar[str] = "config.ToolAnnotationsOverride"

    title: GoString | None = None
    read_only_hint: GoBool | None = Field(default=None, alias="readOnlyHint")
    destructive_hint: GoBool | None = Field(default=None, alias="destructiveHint")
    idempotent_hint: GoBool | None = Field(default=None, alias="idempotentHint")
    open_world_hint: GoBool | None = Field(default=None, alias="openWorldHint")


class ToolOverride(VmcpSection):
    """A new name and/or description (and annotations) for one backend tool."""

    go_type: ClassVar[str] = "config.ToolOverride"

    name: GoString | None = None
    description: GoString | None = None
    annotations: ToolAnnotationsOverride | None = None


class ToolConfigRef(VmcpSection):
    """A reference to an MCPToolConfig (refused here: only the operator resolves it)."""

    go_type: ClassVar[str] = "config.ToolConfigRef"

    name: GoString | None = None


class WorkloadToolConfig(VmcpSection):
    """Tool filtering and overrides for one backend (`workload`)."""

    go_type: ClassVar[str] = "config.WorkloadToolConfig"

    workload: GoString | None = None
    tool_config_ref: ToolConfigRef | None = Field(default=None, alias="toolConfigRef")
    filter: list[GoString] | None = None
    overrides: dict[str, ToolOverride] | None = None
    exclude_all: GoBool | None = Field(default=None, alias="excludeAll")

    @model_validator(mode="after")
    def _no_tool_config_ref(self) -> WorkloadToolConfig:
        if self.tool_config_ref is not None:
            # Stricter than vmcp on purpose: only the operator resolves an MCPToolConfig; a
            # static vmcp ignores the reference, so its filter and renames would silently vanish.
            raise refuse(
                "toolConfigRef names an MCPToolConfig, which only the ToolHive operator resolves; "
                "vmcp in static mode ignores it: write its filter and overrides here instead"
            )
        return self


def _tool_problems(tools: list[WorkloadToolConfig]) -> list[str]:
    """validator.go validateToolConfigurations: the first bad entry, every bad override of it."""
    seen: set[str] = set()
    for index, tool in enumerate(tools):
        if not tool.workload:
            return [f"tools[{index}].workload is required; name the backend this entry is for"]
        if tool.workload in seen:
            return [
                f"duplicate workload configuration: {tool.workload}; merge the entries for "
                f"{echo(tool.workload)} into one"
            ]
        seen.add(tool.workload)
        empty = [
            name
            for name, override in (tool.overrides or {}).items()
            if not override.name and not override.description
        ]
        if empty:  # vmcp names one of them (Go map order): name them all
            return [
                f"tools[{index}].overrides.{name}: at least one of name or description must be "
                "specified; set name (to rename the tool) or description"
                for name in empty
            ]
    return []


class Aggregation(VmcpSection):
    """vmcp's `aggregation` (AggregationConfig); empty means vmcp's default (prefix)."""

    go_type: ClassVar[str] = "config.AggregationConfig"

    conflict_resolution: GoString | None = Field(default=None, alias="conflictResolution")
    conflict_resolution_config: ConflictResolutionConfig | None = Field(
        default=None, alias="conflictResolutionConfig"
    )
    tools: list[WorkloadToolConfig] | None = None
    exclude_all_tools: GoBool | None = Field(default=None, alias="excludeAllTools")
    default_tool_visibility: GoString | None = Field(default=None, alias="defaultToolVisibility")

    def is_empty(self) -> bool:
        """Nothing given (`aggregation: {}`): render writes vmcp's default instead."""
        return not self._given

    @model_validator(mode="after")
    def _vmcp_rules(self) -> Aggregation:
        problems = [] if self.is_empty() else self._problems()
        if problems:
            raise refuse("; ".join(problems))
        return self

    def _problems(self) -> list[str]:  # validator.go validateAggregation, in its order
        strategy = self.conflict_resolution or ""
        if strategy not in CONFLICT_STRATEGIES:
            return [one_of("conflictResolution", strategy, CONFLICT_STRATEGIES)]
        config = self.conflict_resolution_config
        if config is None:
            example = {
                "prefix": f'{{prefixFormat: "{DEFAULT_PREFIX_FORMAT}"}}',
                "priority": "{priorityOrder: [<backends, highest priority first>]}",
                "manual": "{}",
            }[strategy]
            return [
                f"conflictResolutionConfig is required; add conflictResolutionConfig: {example}"
            ]
        tools = self.tools or []
        if strategy == "prefix" and not config.prefix_format:
            return [
                "prefixFormat is required for prefix strategy; set "
                f'conflictResolutionConfig.prefixFormat, e.g. "{DEFAULT_PREFIX_FORMAT}"'
            ]
        if strategy == "priority" and not config.priority_order:
            return [
                "priorityOrder is required for priority strategy; list the backends in "
                "conflictResolutionConfig.priorityOrder, highest priority first"
            ]
        if strategy == "manual" and not tools:
            return [
                "tool overrides are required for manual strategy; add tools entries whose "
                "overrides rename the conflicting tools, or use conflictResolution: prefix"
            ]
        visibility = self.default_tool_visibility or ""
        if visibility and visibility not in TOOL_VISIBILITIES:
            return [one_of("defaultToolVisibility", visibility, TOOL_VISIBILITIES)]
        if visibility == "deny" and strategy == "priority":
            listed = {tool.workload for tool in tools}
            for workload in config.priority_order or []:
                if workload not in listed:
                    return [
                        f"defaultToolVisibility deny with priority strategy: priorityOrder entry "
                        f'"{workload}" has no tools entry; it could win a name conflict and then '
                        "be withheld, hiding the tool entirely. Add a tools entry for "
                        f'"{workload}" or remove it from priorityOrder'
                    ]
        problems = _tool_problems(tools)
        if problems:
            return problems
        if strategy == "priority":
            for index, workload in enumerate(config.priority_order or []):
                if not workload:  # aggregator.NewPriorityConflictResolver, at `vmcp serve`
                    return [
                        f"priority order contains empty backend ID at index {index}; remove the "
                        "empty entry from conflictResolutionConfig.priorityOrder (vmcp validate "
                        "lets it through, vmcp serve refuses to start)"
                    ]
        return []

    def workloads(self) -> list[tuple[str, str]]:
        """(key path, backend name) of every tools entry, in order."""
        return [
            (f"aggregation.tools[{index}].workload", tool.workload)
            for index, tool in enumerate(self.tools or [])
            if tool.workload
        ]

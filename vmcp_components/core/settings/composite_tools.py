"""vmcp's `compositeTools` (CompositeToolConfig of vmcp v0.63.0), typed and checked as vmcp does.

A composite tool is a workflow of steps, each calling a backend tool (or asking the user, or
looping over a collection). The models mirror `pkg/vmcp/config/config.go`; `composite_checks`
checks them as vmcp does (`composite_validation.go`), so a bad tool is refused before anything
is written. The CRD's rules are kept too: durations without a sign, the step and output enums.

Like the operator after the API server's defaulting, each step gets `type: tool` when it has no
type, and `onError`, `onDecline`, `onCancel` get `action: abort` (the CRD defaults), so
config.yaml holds what the operator writes for the same spec.

Not replicated (vmcp still checks them at start-up, and the e2e tier runs `vmcp validate`): the
full Go template grammar (only an unclosed `{{` is caught here) and the JSON Schema meta-schema
of `parameters` and `schema` (only the `type: object` rule of `parameters`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, cast

from pydantic import AfterValidator, Field

from vmcp_components.core.settings.go_values import GoDuration, GoInt, GoString
from vmcp_components.core.settings.vmcp_aggregation import ToolAnnotationsOverride
from vmcp_components.core.settings.vmcp_sections import VmcpSection, refuse
from vmcp_components.errors import echo

_CRD_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


def _crd_duration(value: str) -> str:
    if not _CRD_DURATION.match(value):
        raise refuse(
            f"{echo(value)} does not match the CRD's duration pattern (digits and a unit, no sign, "
            "e.g. 30s or 1m30s)"
        )
    return value


Duration = Annotated[GoDuration, AfterValidator(_crd_duration)]
"""A Go duration that also passes the CRD's pattern (so the API server would admit it)."""


class ElicitationResponseConfig(VmcpSection):
    """What to do when the user declines or cancels an elicitation."""

    go_type: ClassVar[str] = "config.ElicitationResponseConfig"

    action: GoString = "abort"

    def document(self) -> dict[str, Any]:
        """With the CRD's default action."""
        return _ordered(self)


class StepErrorHandling(VmcpSection):
    """A step's `onError`: abort (default), continue or retry."""

    go_type: ClassVar[str] = "config.StepErrorHandling"

    action: GoString = "abort"
    retry_count: GoInt | None = Field(default=None, alias="retryCount")
    retry_delay: Duration | None = Field(default=None, alias="retryDelay")

    def document(self) -> dict[str, Any]:
        """With the CRD's default action."""
        return _ordered(self)


class WorkflowStep(VmcpSection):
    """One step of a composite tool (WorkflowStepConfig)."""

    go_type: ClassVar[str] = "config.WorkflowStepConfig"

    id: GoString
    type: GoString = "tool"
    tool: GoString | None = None
    arguments: dict[str, Any] | None = None
    condition: GoString | None = None
    depends_on: list[GoString] | None = Field(default=None, alias="dependsOn")
    on_error: StepErrorHandling | None = Field(default=None, alias="onError")
    message: GoString | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    timeout: Duration | None = None
    on_decline: ElicitationResponseConfig | None = Field(default=None, alias="onDecline")
    on_cancel: ElicitationResponseConfig | None = Field(default=None, alias="onCancel")
    default_results: dict[str, Any] | None = Field(default=None, alias="defaultResults")
    collection: GoString | None = None
    item_var: GoString | None = Field(default=None, alias="itemVar")
    max_parallel: GoInt | None = Field(default=None, alias="maxParallel")
    max_iterations: GoInt | None = Field(default=None, alias="maxIterations")
    step: WorkflowStep | None = None

    def document(self) -> dict[str, Any]:
        """Vmcp's key order, with the CRD's defaults filled in (as the operator sees the spec)."""
        return _ordered(self)


class OutputProperty(VmcpSection):
    """One property of a composite tool's output (type and description required by vmcp)."""

    go_type: ClassVar[str] = "config.OutputProperty"

    type: GoString
    description: GoString = ""
    value: GoString | None = None
    properties: dict[str, OutputProperty] | None = None
    default: Any = None

    def document(self) -> dict[str, Any]:
        """Vmcp's key order."""
        return _ordered(self)


class OutputConfig(VmcpSection):
    """The output schema of a composite tool."""

    go_type: ClassVar[str] = "config.OutputConfig"

    properties: dict[str, OutputProperty]
    required: list[GoString] | None = None

    def document(self) -> dict[str, Any]:
        """Vmcp's key order."""
        return _ordered(self)


class CompositeTool(VmcpSection):
    """One composite tool (CompositeToolConfig): a named workflow of steps."""

    go_type: ClassVar[str] = "config.CompositeToolConfig"

    name: GoString
    description: GoString = ""
    parameters: dict[str, Any] | None = None
    timeout: Duration | None = None
    steps: list[WorkflowStep]
    output: OutputConfig | None = None
    annotations: ToolAnnotationsOverride | None = None

    def document(self) -> dict[str, Any]:
        """Vmcp's key order, defaults filled in."""
        return _ordered(self)


def _zero(value: object) -> bool:
    return value is False or (not isinstance(value, bool) and value in (0, "", [], {}))


def _plain(value: object) -> object:
    if isinstance(value, VmcpSection):
        return value.document()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in cast("dict[str, object]", value).items()}
    if isinstance(value, list):
        return [_plain(item) for item in cast("list[object]", value)]
    return value


_ALWAYS = frozenset({"name", "id", "steps", "properties", "type", "description"})
"""The fields Go writes even when empty (no `omitempty`)."""


def _ordered(section: VmcpSection) -> dict[str, Any]:
    """Every set field (or one with a CRD default), in the model's (vmcp's) order.

    Zero values are left out, as Go's `omitempty` leaves them out.
    """
    document: dict[str, Any] = {}
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        wire = info.alias or name
        if value is None or (wire not in _ALWAYS and _zero(value)):
            continue
        document[info.alias or name] = _plain(value)
    return document

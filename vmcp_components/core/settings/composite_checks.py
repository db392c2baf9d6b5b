"""vmcp's rules for `compositeTools` (`validateCompositeTools`, `ValidateCompositeToolConfig`).

`composite_validation.go` of vmcp v0.63.0, in its order and words: a tool vmcp would refuse at
start-up is refused here, before anything is written. Vmcp's Go template parser is not
replicated: only an unclosed `{{` is caught here (vmcp validate, in the e2e tier, sees the rest).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from vmcp_components.core.settings.composite_tools import (
    CompositeTool,
    OutputProperty,
    WorkflowStep,
)
from vmcp_components.core.settings.go_values import parse_duration
from vmcp_components.core.settings.vmcp_sections import refuse

STEP_TYPES = ("tool", "elicitation", "forEach")
ERROR_ACTIONS = ("abort", "continue", "retry")
RESPONSE_ACTIONS = ("abort", "continue", "skip_remaining")
OUTPUT_TYPES = ("string", "integer", "number", "boolean", "object", "array")
MAX_FOR_EACH_PARALLEL = 50
MAX_FOR_EACH_ITERATIONS = 1000
_TOOL_REFERENCE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
_GO_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_STEP_FIELD = re.compile(r"\.steps\.([A-Za-z0-9_]+)\.output\.([A-Za-z0-9_]+)")


def _unclosed(template: str) -> bool:
    """Go's `template: validation:1: unclosed action`, the template error caught here."""
    depth_ok, rest = True, template
    while "{{" in rest:
        rest = rest[rest.index("{{") + 2 :]
        if "}}" not in rest:
            depth_ok = False
            break
        rest = rest[rest.index("}}") + 2 :]
    return not depth_ok


def _template(where: str, template: str) -> str | None:
    if _unclosed(template):
        return (
            f"{where}: invalid template: invalid template syntax: template: validation:1: "
            "unclosed action"
        )
    return None


def _parameters(prefix: str, params: dict[str, Any] | None) -> str | None:
    if not params:
        return None
    if "type" not in params:
        return f"{prefix}.parameters: must have 'type' field (should be 'object' for JSON Schema)"
    kind = params["type"]
    if not isinstance(kind, str):
        return f"{prefix}.parameters: 'type' field must be a string"
    if kind != "object":
        return f"{prefix}.parameters: 'type' must be 'object' (got '{kind}')"
    return None


def _step_type(prefix: str, index: int, step: WorkflowStep) -> str | None:
    where = f"{prefix}[{index}]"
    if not step.given("type") and step.tool and step.message:
        return (
            f"{where} cannot have both tool and message fields - use explicit type to clarify "
            "intent"
        )
    if step.type not in STEP_TYPES:
        return f"{where}.type must be one of: tool, elicitation, forEach"
    if step.type == "tool":
        if not step.tool:
            return f"{where}.tool is required when type is tool"
        if not _TOOL_REFERENCE.match(step.tool):
            return f"{where}.tool must be a valid tool name"
    if step.type == "elicitation" and not step.message:
        return f"{where}.message is required when type is elicitation"
    if step.type == "forEach":
        return _for_each(where, step)
    return None


def _for_each(where: str, step: WorkflowStep) -> str | None:
    if step.tool:
        return f"{where}: forEach step must not have 'tool' field"
    if step.message:
        return f"{where}: forEach step must not have 'message' field"
    if not step.collection:
        return f"{where}.collection is required for forEach steps"
    problem = _template(f"{where}.collection", step.collection)
    if problem:
        return problem
    inner = step.step
    if inner is None:
        return f"{where}.step is required for forEach steps"
    if inner.type != "tool":
        return (
            f"{where}.step.type must be 'tool' (got \"{inner.type}\"); only tool inner steps "
            "are supported"
        )
    if not inner.tool:
        return f"{where}.step.tool is required for tool inner steps"
    if not _TOOL_REFERENCE.match(inner.tool):
        return f"{where}.step.tool must be a valid tool name"
    for name, value in (inner.arguments or {}).items():
        if isinstance(value, str):
            problem = _template(f"{where}.step.arguments[{name}]", value)
            if problem:
                return problem
    if step.item_var:
        if not _GO_IDENTIFIER.match(step.item_var):
            return f'{where}.itemVar must be a valid Go identifier (got "{step.item_var}")'
        if step.item_var == "index":
            return f"{where}.itemVar cannot be 'index' (reserved)"
    for key, value, cap in (
        ("maxParallel", step.max_parallel or 0, MAX_FOR_EACH_PARALLEL),
        ("maxIterations", step.max_iterations or 0, MAX_FOR_EACH_ITERATIONS),
    ):
        if value < 0:
            return f"{where}.{key} must be non-negative"
        if value > cap:
            return f"{where}.{key} must be <= {cap} (got {value})"
    return None


def _step(prefix: str, index: int, step: WorkflowStep, ids: set[str]) -> str | None:
    where = f"{prefix}[{index}]"
    problem = _step_type(prefix, index, step)
    for name, value in (step.arguments or {}).items():
        if problem is None and isinstance(value, str):
            problem = _template(f"{where}.arguments[{name}]", value)
    for key, value in (("condition", step.condition), ("message", step.message)):
        if problem is None and value:
            problem = _template(f"{where}.{key}", value)
    if problem:
        return problem
    for dependency in step.depends_on or []:
        if dependency not in ids:
            return f'{where}.dependsOn references unknown step "{dependency}"'
    on_error = step.on_error
    if on_error is not None and on_error.action:
        if on_error.action not in ERROR_ACTIONS:
            return f"{where}.onError.action must be one of: abort, continue, retry"
        if on_error.action == "retry" and (on_error.retry_count or 0) < 1:
            return f"{where}.onError.retryCount must be at least 1 when action is retry"
    if step.type == "elicitation":
        for key, handler in (("onDecline", step.on_decline), ("onCancel", step.on_cancel)):
            if handler is not None and handler.action not in RESPONSE_ACTIONS:
                return f"{where}.{key}.action must be one of: abort, continue, skip_remaining"
    return None


def _cycle(prefix: str, steps: list[WorkflowStep]) -> str | None:
    graph = {step.id: list(step.depends_on or []) for step in steps}
    done: set[str] = set()

    def visit(node: str, path: set[str]) -> bool:
        if node in path:
            return True
        if node in done:
            return False
        done.add(node)
        return any(visit(nxt, path | {node}) for nxt in graph.get(node, []))

    for step in steps:  # vmcp walks a Go map (any order): the first step in the list is named
        if step.id not in done and visit(step.id, set()):
            return f'{prefix}: dependency cycle detected involving step "{step.id}"'
    return None


def _steps(prefix: str, steps: list[WorkflowStep]) -> str | None:
    ids: set[str] = set()
    for index, step in enumerate(steps):
        if not step.id:
            return f"{prefix}[{index}].id is required"
        if step.id in ids:
            return f'{prefix}[{index}].id "{step.id}" is duplicated'
        ids.add(step.id)
    for index, step in enumerate(steps):
        problem = _step(prefix, index, step, ids)
        if problem:
            return problem
    return _cycle(prefix, steps)


def _refs(*templates: str | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for template in templates:
        for match in _STEP_FIELD.finditer(template or ""):
            if match.groups() not in found:
                found.append((match.group(1), match.group(2)))
    return found


def _output_values(properties: dict[str, OutputProperty] | None) -> list[str]:
    values: list[str] = []
    for prop in (properties or {}).values():
        values += [prop.value or "", *_output_values(prop.properties)]
    return values


def _default_results(prefix: str, tool: CompositeTool) -> str | None:
    skippable = {
        step.id: set(step.default_results or {})
        for step in tool.steps
        if step.condition or (step.on_error is not None and step.on_error.action == "continue")
    }
    if not skippable:
        return None
    users = [
        (f"step {step.id}", _refs(step.condition, *(step.arguments or {}).values(), step.message))
        for step in tool.steps
    ]
    if tool.output is not None:
        users.append(("output", _refs(*_output_values(tool.output.properties))))
    for user, refs in users:
        for step_id, field in refs:
            if step_id in skippable and field not in skippable[step_id]:
                return (
                    f'{prefix}[{step_id}].defaultResults[{field}] is required: step "{step_id}" '
                    f'may be skipped and field "{field}" is referenced by {user}'
                )
    return None


def tool_problems(prefix: str, tool: CompositeTool) -> list[str]:
    """`ValidateCompositeToolConfig`: every problem of one tool, in vmcp's order."""
    problems: list[str] = []
    if not tool.name:
        problems.append(f"{prefix}.name is required")
    if not tool.description:
        problems.append(f"{prefix}.description is required")
    if not tool.steps:
        problems.append(f"{prefix}.steps must have at least one step")
    if tool.timeout and parse_duration(tool.timeout) < 0:
        problems.append(f"{prefix}.timeout cannot be negative")
    problem = _parameters(prefix, tool.parameters)
    if problem:
        problems.append(problem)
    if tool.steps:
        for problem in (
            _steps(f"{prefix}.steps", tool.steps),
            _default_results(f"{prefix}.steps", tool),
        ):
            if problem:
                problems.append(problem)
    for name, prop in (tool.output.properties if tool.output else {}).items():
        if prop.type not in OUTPUT_TYPES:  # the CRD's enum
            problems.append(
                f"{prefix}.output.properties.{name}.type must be one of: {', '.join(OUTPUT_TYPES)}"
            )
    return problems


def check_tools(tools: list[CompositeTool] | None, where: str = "compositeTools") -> None:
    """`validateCompositeTools`: names unique, then each tool; raises vmcp's reason."""
    seen: set[str] = set()
    for index, tool in enumerate(tools or []):
        if tool.name in seen:
            raise refuse(
                f"duplicate composite tool name: {tool.name}; give each composite tool its own name"
            )
        seen.add(tool.name)
        problems = tool_problems(f"{where}[{index}]", tool)
        if problems:
            raise refuse("validation failed: " + "; ".join(problems))


def _checked(tools: list[CompositeTool] | None) -> list[CompositeTool] | None:
    check_tools(tools)
    return tools


CompositeTools = Annotated[list[CompositeTool] | None, AfterValidator(_checked)]
"""The `compositeTools` setting: the list, checked as a whole as vmcp does."""

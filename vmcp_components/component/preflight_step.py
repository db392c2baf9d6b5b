"""The `preflight` setting inside `pulumi preview` and `up`: probe the rendering's backends.

Runs between the render and the children, in a worker thread (the probes have their own event
loop), so the children's inputs wait for it: under `strict` a failure fails the run before any
child reaches the engine, as a skip does under `strict`; under `warn` each failure is a Pulumi
warning. The probes run without Secret header values: the component never reads a Secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pulumi

from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.render import Rendering
from vmcp_components.errors import VmcpError


def preflighted(
    rendering: pulumi.Output[Rendering],
    inventory: pulumi.Output[Inventory],
    mode: str,
    resource: pulumi.Resource,
    fail: Callable[[str], Exception],
) -> pulumi.Output[Rendering]:
    """`rendering`, once its backends are probed; `fail(message)` is raised under `strict`."""

    async def value() -> Any:
        # Here, not at the top: the MCP client stack costs every run that never probes 0.3 s.
        from vmcp_components.preflight.runner import preflight  # noqa: PLC0415

        if not await rendering.is_known():
            return None
        rendered, objects = await rendering.future(), await inventory.future()
        assert rendered is not None
        assert objects is not None
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(None, preflight, rendered, objects)
        except VmcpError as error:  # the optional extra is missing
            if mode == "strict":
                raise fail(f"preflight: {error}") from None
            pulumi.log.warn(f"preflight not run: {error}", resource=resource)
            return rendered
        problems = report.problem_lines()
        if problems and mode == "strict":
            raise fail("preflight failed: " + "; ".join(problems))
        for problem in problems:
            pulumi.log.warn(f"preflight: {problem}", resource=resource)
        pulumi.log.info(
            f"preflight: {len(report.results)} backends probed, {len(report.failures)} failed, "
            f"{len(report.tools.served)} tools served",
            resource=resource,
        )
        return rendered

    return pulumi.Output(
        rendering.resources(), value(), rendering.is_known(), rendering.is_secret()
    )

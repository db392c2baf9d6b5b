"""Pulumi Output plumbing for plain data: derive and join without searching values for Outputs.

`Output.apply` and `Output.all` pass every result through `Output.from_input`, which walks a
returned dict or list and wraps each nested dict in Outputs of its own, in case one holds an
Output. The values here (object bodies read from the cluster, the rendering, the status) are
plain data, so that walk only costs time: for a 1,000-member group it made most of the Python
work of a preview. These helpers keep the resources, known-ness and secretness of their sources
and skip the walk; `detached` drops the resources where a value is wanted without the ordering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import pulumi

T = TypeVar("T")
U = TypeVar("U")


def derived(source: pulumi.Output[T], fn: Callable[[T], U]) -> pulumi.Output[U]:
    """`fn` over `source`'s value, for a plain result; unknown while `source` is unknown."""

    async def known() -> bool:
        return await source.is_known()

    async def value() -> Any:
        if not await source.is_known():
            return None
        # Only a preview can hold unknowns; elsewhere the SDK's search for them is skipped.
        return fn(await source.future(with_unknowns=not pulumi.runtime.is_dry_run()))  # type: ignore[arg-type]

    return pulumi.Output(source.resources(), value(), known(), source.is_secret())


def joined(sources: Sequence[pulumi.Output[Any]]) -> pulumi.Output[list[Any]]:
    """The values of `sources` as one list; known when all are, secret when any is."""

    async def gather(attribute: str) -> list[Any]:
        return list(await asyncio.gather(*(getattr(s, attribute)() for s in sources)))

    async def resources() -> set[pulumi.Resource]:
        found: set[pulumi.Resource] = set()
        for resources in await gather("resources"):
            found |= resources
        return found

    async def known() -> bool:
        return all(await gather("is_known"))

    async def secret() -> bool:
        return any(await gather("is_secret"))

    async def value() -> list[Any]:
        return await gather("future") if await known() else []

    return pulumi.Output(resources(), value(), known(), secret())


def detached(source: pulumi.Output[T]) -> pulumi.Output[T]:
    """`source`'s value, known-ness and secretness without its resources.

    A resource whose inputs come from a detached Output does not list `source`'s resources as
    dependencies: no ordering on them, and no dependency lists of their size in the state.
    """

    async def value() -> T:
        return cast(T, await source.future())  # None only while unknown

    return pulumi.Output(set(), value(), source.is_known(), source.is_secret())

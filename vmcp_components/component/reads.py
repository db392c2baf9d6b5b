"""Pulumi get-calls for the objects the derivation reads, exposing their whole body.

`pulumi_kubernetes`' own `.get` helpers expose only the properties of their kind (and
`CustomResource.get` only `id` and `urn` in Python), and they send no properties with the read.
Given no properties, the kubernetes provider treats a read as an import: it decodes its whole
package schema (several MB of JSON) on every read, about 0.1 s of CPU each, to fill in the
inputs it then stores. An `ObjectRead` names the object it reads (apiVersion, kind, name and
namespace), which the provider takes as the read's inputs: the same live object comes back,
without the decoding, and the stack keeps only those identifying inputs for each read.

The read is a plain `pulumi.CustomResource`: the SDK records a stack trace (about 1 KB in the
state) only for resources of a subclass, and for a read declared inside the component it would
point at the component's own code. The engine serialises the whole state after every step, so
each byte per read counts once per member on every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import pulumi

from vmcp_components.core.cluster.kinds import CONFIG_MAP

PROVIDER_VERSION = version("pulumi-kubernetes")
"""The kubernetes plugin version the installed SDK asks for, as its own get-calls request it."""

READS_IN_FLIGHT = 32
"""Reads declared and not yet finished, at most. The SDK tracks each Output it makes (seven per
read) until it completes, and whenever one completes it waits again on all the others: with
every read declared at once, a 1,000-member preview spent over a minute of CPU there. The
engine finishes reads one at a time (it saves the state after each), so a window of reads
keeps it as busy as all of them would."""


def _sections(kind: str) -> tuple[str, ...]:
    """What a read of `kind` exposes besides apiVersion and kind; absent ones stay out.

    Each one is an Output the SDK tracks until the program ends, so only what the kind has.
    """
    return ("metadata", "data") if kind == CONFIG_MAP.kind else ("metadata", "spec", "status")


@dataclass(frozen=True)
class ObjectRead:
    """An existing namespaced object, read by kind, namespace and name; never changed."""

    resource: pulumi.CustomResource
    api_version: str
    kind: str

    @classmethod
    def declare(
        cls,
        resource_name: str,
        api_version: str,
        kind: str,
        *,
        namespace: str,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> ObjectRead:
        """Read `namespace/name` of `kind` (`api_version` as `group/version`, or `v1`)."""
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(id=f"{namespace}/{name}", version=PROVIDER_VERSION)
        )
        identity: dict[str, Any] = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
        }
        # The SDK makes an Output attribute for each property named here, inputs or not.
        properties = {**dict.fromkeys(_sections(kind)), **identity}
        resource = pulumi.CustomResource(
            f"kubernetes:{type_module(api_version)}:{kind}", resource_name, properties, opts
        )
        return cls(resource, api_version, kind)

    async def resolved(self) -> tuple[dict[str, Any], bool, bool]:
        """The object as the API server returned it (camelCase), known, secret.

        In preview the SDK reports a property that the engine returned no value for as unknown
        (an entry with no `status` yet), although the read itself is done (its URN is known):
        such a property is absent, not unknown. Outside preview the SDK already says so. The
        body is secret when any property is.
        """
        resource = self.resource
        keys = _sections(self.kind)
        properties: list[pulumi.Output[Any]] = [getattr(resource, key) for key in keys]
        # The engine resolves every property of a read at once, so awaiting them one by one
        # costs no time, and no task each as `asyncio.gather` would make (thousands of them).
        # Only a preview can hold unknowns: elsewhere the value is taken as it is, without the
        # SDK's walk of the whole body for them.
        dry_run = pulumi.runtime.is_dry_run()
        known, secret, values = True, False, list[Any]()
        for p in properties:
            known = await p.is_known() and known
            secret = await p.is_secret() or secret
            values.append(await p.future(with_unknowns=not dry_run))
        if not known and dry_run:
            known = await resource.urn.is_known()
        found = {key: found for key, found in zip(keys, values, strict=True) if found}
        body: dict[str, Any] = {"apiVersion": self.api_version, "kind": self.kind, "metadata": {}}
        body.update(found)
        return body, known, secret


@dataclass(frozen=True)
class ReadRequest:
    """One object to read: the read's resource name, then the object's identity."""

    resource_name: str
    api_version: str
    kind: str
    namespace: str
    name: str


def read_all(
    requests: Sequence[ReadRequest],
    opts: pulumi.ResourceOptions | None = None,
    in_flight: int = READS_IN_FLIGHT,
) -> pulumi.Output[tuple[dict[str, Any], ...]]:
    """Read every request, in order, with at most `in_flight` reads declared and unfinished.

    The bodies come back in the order of `requests`, as a tuple: the SDK searches an Output's
    list or dict value for unknowns each time the value is made or awaited, a tuple it takes as
    it is (the bodies hold none). They are known when every read is, and secret when any is.
    A read is declared only once an earlier one has finished, so the SDK never holds more than
    `in_flight` reads' Outputs at once (see `READS_IN_FLIGHT`).
    """
    reads: list[ObjectRead] = []

    async def run() -> list[tuple[dict[str, Any], bool, bool]]:
        slots = asyncio.Semaphore(in_flight)

        async def one(read: ObjectRead) -> tuple[dict[str, Any], bool, bool]:
            try:
                return await read.resolved()
            finally:
                slots.release()

        pending: list[asyncio.Future[tuple[dict[str, Any], bool, bool]]] = []
        for request in requests:
            await slots.acquire()
            read = ObjectRead.declare(
                request.resource_name,
                request.api_version,
                request.kind,
                namespace=request.namespace,
                name=request.name,
                opts=opts,
            )
            reads.append(read)
            pending.append(asyncio.ensure_future(one(read)))
        return list(await asyncio.gather(*pending))

    outcome = asyncio.ensure_future(run())

    async def resources() -> set[pulumi.Resource]:
        await outcome
        return {read.resource for read in reads}

    async def known() -> bool:
        return all(known for _, known, _ in await outcome)

    async def secret() -> bool:
        return any(secret for _, _, secret in await outcome)

    async def value() -> tuple[dict[str, Any], ...]:
        return tuple(body for body, _, _ in await outcome) if await known() else ()

    return pulumi.Output(resources(), value(), known(), secret())


def type_module(api_version: str) -> str:
    """The provider's type-token module: `core/v1` for the core group, else `group/version`."""
    return api_version if "/" in api_version else f"core/{api_version}"

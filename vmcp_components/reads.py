"""Pulumi get-calls for the objects the derivation reads, exposing their whole body.

`pulumi_kubernetes`' own `.get` helpers expose only the properties of their kind (and
`CustomResource.get` only `id` and `urn` in Python), and they send no properties with the read.
Given no properties, the kubernetes provider treats a read as an import: it decodes its whole
package schema (several MB of JSON) on every read, about 0.1 s of CPU each, to fill in the
inputs it then stores. `ObjectRead` names the object it reads (apiVersion, kind, name and
namespace), which the provider takes as the read's inputs: the same live object comes back,
without the decoding, and the stack keeps only those identifying inputs for each read.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Any

import pulumi

PROVIDER_VERSION = version("pulumi-kubernetes")
"""The kubernetes plugin version the installed SDK asks for, as its own get-calls request it."""

_CONTENT_KEYS = ("spec", "status", "data")
"""Top-level sections a read exposes besides its identity; absent ones stay out of the body."""


class ObjectRead(pulumi.CustomResource):
    """An existing namespaced object, read by kind, namespace and name; never changed."""

    api_version: pulumi.Output[str]
    kind: pulumi.Output[str]
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]
    data: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        *,
        namespace: str,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Read `namespace/name` of `kind` (`api_version` as `group/version`, or `v1`)."""
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(id=f"{namespace}/{name}", version=PROVIDER_VERSION)
        )
        self._api_version = api_version
        self._kind = kind
        identity = {
            "api_version": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
        }
        super().__init__(
            f"kubernetes:{_type_module(api_version)}:{kind}",
            resource_name,
            {**identity, **dict.fromkeys(_CONTENT_KEYS)},
            opts,
        )

    def translate_output_property(self, prop: str) -> str:
        """Map the wire's `apiVersion` to the attribute `api_version`."""
        return "api_version" if prop == "apiVersion" else prop

    def translate_input_property(self, prop: str) -> str:
        """Map the attribute `api_version` to the wire's `apiVersion`."""
        return "apiVersion" if prop == "api_version" else prop

    def body(self) -> pulumi.Output[dict[str, Any]]:
        """The object as the API server returned it (camelCase), for the Inventory.

        In preview the SDK reports a property that the engine returned no value for as unknown
        (an entry with no `status` yet), although the read itself is done (its URN is known):
        such a property is absent, not unknown. Outside preview the SDK already says so. The
        body is secret when any property is.
        """
        keys = ("metadata", *_CONTENT_KEYS)
        properties: list[pulumi.Output[Any]] = [getattr(self, key) for key in keys]
        identity = {"apiVersion": self._api_version, "kind": self._kind}

        async def known() -> bool:
            if all(await asyncio.gather(*(p.is_known() for p in properties))):
                return True
            return pulumi.runtime.is_dry_run() and await self.urn.is_known()

        async def secret() -> bool:
            return any(await asyncio.gather(*(p.is_secret() for p in properties)))

        async def value() -> dict[str, Any]:
            values = await asyncio.gather(*(p.future() for p in properties))
            found = {key: found for key, found in zip(keys, values, strict=True) if found}
            return {**identity, "metadata": {}, **found}

        return pulumi.Output({self}, value(), known(), secret())


def _type_module(api_version: str) -> str:
    """The provider's type-token module: `core/v1` for the core group, else `group/version`."""
    return api_version if "/" in api_version else f"core/{api_version}"

"""Pulumi get-calls for the ToolHive objects, exposing their whole body (spec and status).

`pulumi_kubernetes.apiextensions.CustomResource.get` exposes only `id` and `urn` in Python:
the SDK makes output resolvers only for properties named at construction. These read-only
classes name them, so a read records the object in the stack and hands its spec and status to
the derivation, with the CRD's camelCase keys unchanged.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pulumi

from vmcp_components.kinds import ToolHiveKind
from vmcp_components.outputs import derived, joined

PROVIDER_VERSION = version("pulumi-kubernetes")
"""The kubernetes plugin version the installed SDK asks for, as its own get-calls request it."""

_PROPERTIES = ("api_version", "kind", "metadata", "spec", "status")
_BODY_KEYS = ("metadata", "spec", "status")


class ToolHiveObjectRead(pulumi.CustomResource):
    """An existing ToolHive object of one kind, read by `<namespace>/<name>`; never changed."""

    api_version: pulumi.Output[str]
    kind: pulumi.Output[str]
    metadata: pulumi.Output[dict[str, Any]]
    spec: pulumi.Output[dict[str, Any]]
    status: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        kind: ToolHiveKind[Any],
        resource_name: str,
        object_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Read the object `object_id` (`<namespace>/<name>`) of `kind`."""
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(id=object_id, version=PROVIDER_VERSION)
        )
        self._kind = kind
        super().__init__(
            f"kubernetes:{kind.api_version}:{kind.kind}",
            resource_name,
            dict.fromkeys(_PROPERTIES),
            opts,
        )

    def translate_output_property(self, prop: str) -> str:
        """Map the wire's `apiVersion` to the attribute `api_version`."""
        return "api_version" if prop == "apiVersion" else prop

    def translate_input_property(self, prop: str) -> str:
        """Map the attribute `api_version` to the wire's `apiVersion`."""
        return "apiVersion" if prop == "api_version" else prop

    def body(self) -> pulumi.Output[dict[str, Any]]:
        """The object as the API server returned it (camelCase), for the Inventory."""
        parts = joined([read_value(self, getattr(self, key)) for key in _BODY_KEYS])
        kind = self._kind
        return derived(parts, lambda values: _body(kind.api_version, kind.kind, *values))


def read_value(resource: pulumi.CustomResource, output: pulumi.Output[Any]) -> pulumi.Output[Any]:
    """A property of a read, None where the live object lacks it.

    In preview the SDK reports a property that the engine returned no value for as unknown (an
    entry with no `status` yet), although the read itself is done (its URN is known): such a
    property is absent, not unknown. Outside preview the SDK already says so; the value keeps
    its secretness either way.
    """

    async def value() -> Any:
        return await output.future()

    async def known() -> bool:
        if await output.is_known():
            return True
        return pulumi.runtime.is_dry_run() and await resource.urn.is_known()

    return pulumi.Output({resource}, value(), known(), output.is_secret())


def _body(api_version: str, kind: str, metadata: Any, spec: Any, status: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": dict(metadata or {}),
    }
    if spec is not None:
        body["spec"] = spec
    if status is not None:
        body["status"] = status
    return body

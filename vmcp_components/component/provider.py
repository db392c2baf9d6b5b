"""The `vmcp` provider: hosts `VirtualMCPServer` for programs in any Pulumi language.

`python -m vmcp_components.component.provider <engine address>` is the plugin
`pulumi-resource-vmcp` (see `bin/`): it serves the schema `schema.py` generates from the
argument model and constructs `vmcp:index:VirtualMCPServer` with the same class Python programs
use. Inputs arrive in the schema's camelCase names, which the model accepts as they are; numbers
are made integers again where the schema says so (`schema.conform`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pulumi
from pulumi.provider import ConstructResult, Provider
from pulumi.provider.server import main as serve

from vmcp_components.component.schema import OUTPUTS, conform, package_schema, provider_version
from vmcp_components.component.virtual_mcp_server import COMPONENT_TYPE, VirtualMCPServer
from vmcp_components.core.naming import snake_case
from vmcp_components.errors import VmcpError


class VmcpProvider(Provider):
    """The component provider of package `vmcp`."""

    def __init__(self, version: str) -> None:
        """Serve the schema of provider `version`."""
        self._schema = package_schema(version)
        super().__init__(version, json.dumps(self._schema))

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        """Declare the component `name` of `resource_type` and return its outputs."""
        if resource_type != COMPONENT_TYPE:
            raise pulumi.RunError(f"the vmcp provider has no resource type {resource_type!r}")
        args = self.conformed(inputs)
        try:
            # Other languages see only the outputs: plain children, the same resources.
            component = VirtualMCPServer(name, args, options, typed_children=False)
        except VmcpError as error:
            raise pulumi.RunError(str(error)) from None
        state = {key: getattr(component, snake_case(key)) for key in OUTPUTS}
        return ConstructResult(urn=component.urn, state=state)

    def conformed(self, inputs: pulumi.Inputs) -> dict[str, Any]:
        """`inputs` with integers where the schema says integer; InputPropertyError if not."""
        properties = self._schema["resources"][COMPONENT_TYPE]["inputProperties"]
        conformed: dict[str, Any] = {}
        for key, value in inputs.items():
            try:
                conformed[key] = conform(value, properties.get(key, {}), self._schema["types"])
            except ValueError as error:
                raise pulumi.InputPropertyError(key, str(error)) from None
        return conformed


def main() -> None:
    """Serve the provider on the port it prints (the plugin protocol)."""
    serve(VmcpProvider(provider_version()), sys.argv[1:])


if __name__ == "__main__":
    main()

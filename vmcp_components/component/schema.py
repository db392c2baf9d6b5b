"""The provider's Pulumi package schema, generated from `VirtualMCPServerArgs`.

The pydantic model is the one source of truth: every field becomes an input property under its
camelCase alias, with its type (nested models become object types, `Literal`s enums, `int | str`
a `oneOf`, free-form mappings `Any`) and the docstring written under it as its description. The
cluster keys (`kubeconfig`, secret; `context`) are added, and the outputs are the component's
status. Only the arguments the component accepts as Outputs are `Input`s; every other setting
decides what is declared and is `plain`. `conform` is the reverse direction: the engine sends
every number as a float, so a value arriving where the schema says integer becomes an int again.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import metadata
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

import pulumi
from pydantic import BaseModel

from vmcp_components.component.virtual_mcp_server import (
    CLUSTER_KEYS,
    COMPONENT_TYPE,
    INPUT_KEYS,
    VirtualMCPServer,
)
from vmcp_components.core.naming import snake_case
from vmcp_components.core.settings.args import VirtualMCPServerArgs

DISTRIBUTION = "vmcp-components"
PACKAGE = COMPONENT_TYPE.split(":", 1)[0]
Spec = dict[str, Any]
ANY: Spec = {"$ref": "pulumi.json#/Any"}
_PRIMITIVES: dict[object, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}

CLUSTER_PROPERTIES: dict[str, Spec] = {
    "kubeconfig": {
        "type": "string",
        "secret": True,
        "description": "Kubeconfig (its text or a path) of the cluster that both discovery and "
        "the kubernetes provider use; default: the default provider's `kubernetes:kubeconfig`.",
    },
    "context": {
        "type": "string",
        "description": "Context of `kubeconfig` to use; default: its current context.",
    },
}

_BACKEND_RECORD = {
    "name": ("string", "Name of the group member."),
    "kind": ("string", "Its kind: MCPServerEntry, MCPServer or MCPRemoteProxy."),
    "type": ("string", "Backend type in config.yaml: `entry`, `container` or `proxy`."),
    "url": ("string", "URL the vMCP connects to."),
    "transport": ("string", "MCP transport (`streamable-http` or `sse`)."),
    "status": ("string", "From the operator's phase: `ready`, `unknown` or `unavailable`."),
    "authType": ("string", "Outgoing auth strategy, when the backend has one."),
    "caBundlePath": ("string", "Where its CA bundle is mounted, when it has one."),
    "message": ("string", "The operator's message about the member, if any."),
}
_OPTIONAL_RECORD_KEYS = ("authType", "caBundlePath", "message")
_SKIPPED_RECORD = {
    "name": ("string", "Name of the group member."),
    "kind": ("string", "Its kind."),
    "reason": ("string", "Why it was left out, and how to fix it."),
}
OUTPUTS: dict[str, Spec] = {
    "url": {"type": "string"},
    "backendCount": {"type": "integer"},
    "configChecksum": {"type": "string"},
    "discoveredBackends": {
        "type": "array",
        "items": {"$ref": f"#/types/{PACKAGE}:index:DiscoveredBackend"},
    },
    "skippedBackends": {
        "type": "array",
        "items": {"$ref": f"#/types/{PACKAGE}:index:SkippedBackend"},
    },
    "configMapName": {"type": "string"},
    "deploymentName": {"type": "string"},
}
"""The component's outputs; each description is the docstring of its attribute."""


def field_docstrings(cls: type) -> dict[str, str]:
    """The docstring written under each annotated attribute of `cls` (pydantic's convention)."""
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(cls)))
    body = cast(ast.ClassDef, tree.body[0]).body
    found: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[node.target.id] = inspect.cleandoc(after.value.value)
    return found


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


class _Builder:
    """Walks the argument model's annotations, collecting the object and enum types met."""

    def __init__(self) -> None:
        self.types: dict[str, Spec] = {}
        self._models: dict[str, type[BaseModel]] = {}
        self._building: set[str] = set()

    def _model(self, model: type[BaseModel], plain: bool) -> Spec:
        """A reference to `model`'s object type, built once (models may refer to themselves)."""
        token = f"{PACKAGE}:index:{model.__name__}"
        if self._models.setdefault(token, model) is not model:
            raise TypeError(f"two different schema types would be named {token}")
        if token not in self._building and token not in self.types:
            self._building.add(token)
            self.types[token] = self.object_type(model, plain)
        return {"$ref": f"#/types/{token}"}

    def _token(self, name: str, spec: Spec) -> Spec:
        token = f"{PACKAGE}:index:{name}"
        if self.types.setdefault(token, spec) != spec:
            raise TypeError(f"two different schema types would be named {token}")
        return {"$ref": f"#/types/{token}"}

    def type_spec(self, annotation: Any, enum_name: str, plain: bool) -> Spec:
        """The schema type of `annotation`; `enum_name` names a `Literal` if it is one.

        With `plain`, every element type is plain too (a list or map of plain values).
        """
        origin, args = get_origin(annotation), get_args(annotation)

        def element(inner: Any) -> Spec:
            spec = self.type_spec(inner, enum_name, plain)
            return {**spec, "plain": True} if plain else spec

        if origin is Annotated:
            return self.type_spec(args[0], enum_name, plain)
        if origin in (Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) == 1:
                return self.type_spec(members[0], enum_name, plain)
            return {"oneOf": [element(a) for a in members]}
        if origin is Literal:
            values = [{"value": value} for value in args]
            kind = _PRIMITIVES.get(type(cast(object, args[0])), "string")
            return self._token(enum_name, {"type": kind, "enum": values})
        if origin in (list, Sequence):
            return {"type": "array", "items": element(args[0])}
        if origin in (dict, Mapping):
            return {"type": "object", "additionalProperties": element(args[1])}
        if annotation is Any:
            return dict(ANY)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self._model(annotation, plain)
        if annotation in _PRIMITIVES:
            return {"type": _PRIMITIVES[annotation]}
        raise TypeError(f"no schema type for the annotation {annotation!r}")

    def properties(
        self, model: type[BaseModel], prefix: str, plain: Callable[[str], bool]
    ) -> tuple[dict[str, Spec], list[str]]:
        """`model`'s fields as schema properties (alias names), and the required ones."""
        docs = field_docstrings(model)
        specs: dict[str, Spec] = {}
        required: list[str] = []
        for attribute, field in model.model_fields.items():
            key = field.alias or attribute
            spec = self.type_spec(field.annotation, prefix + _pascal(key), plain(key))
            description = docs.get(attribute) or _model_doc(field.annotation)
            if description:
                spec["description"] = description
            if plain(key):
                spec["plain"] = True
            specs[key] = spec
            if field.is_required():
                required.append(key)
        return specs, required

    def object_type(self, model: type[BaseModel], plain: bool) -> Spec:
        properties, required = self.properties(model, model.__name__, lambda _key: plain)
        spec: Spec = {"type": "object", "properties": properties}
        if required:
            spec["required"] = required
        if model.__doc__:
            spec["description"] = inspect.cleandoc(model.__doc__)
        return spec


def _model_doc(annotation: Any) -> str | None:
    """The docstring of the model a field holds (for a field without one of its own)."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel) and candidate.__doc__:
            return inspect.cleandoc(candidate.__doc__)
    return None


def _record_type(fields: Mapping[str, tuple[str, str]], optional: Sequence[str], doc: str) -> Spec:
    return {
        "type": "object",
        "description": doc,
        "properties": {k: {"type": t, "description": d} for k, (t, d) in fields.items()},
        "required": [k for k in fields if k not in optional],
    }


def package_schema(version: str) -> Spec:
    """The whole package schema (`vmcp`), for provider `version` (not to be modified)."""
    return {**_package(), "version": version}


@cache
def _package() -> Spec:
    builder = _Builder()
    inputs, required = builder.properties(
        VirtualMCPServerArgs, "", lambda key: key not in INPUT_KEYS + CLUSTER_KEYS
    )
    inputs.update(CLUSTER_PROPERTIES)
    docs = field_docstrings(VirtualMCPServer)
    outputs = {key: {**spec, "description": docs[snake_case(key)]} for key, spec in OUTPUTS.items()}
    builder.types[f"{PACKAGE}:index:DiscoveredBackend"] = _record_type(
        _BACKEND_RECORD, _OPTIONAL_RECORD_KEYS, "A backend written to config.yaml."
    )
    builder.types[f"{PACKAGE}:index:SkippedBackend"] = _record_type(
        _SKIPPED_RECORD, (), "A group member left out of config.yaml."
    )
    component_doc = inspect.cleandoc(VirtualMCPServer.__doc__ or "")
    return {
        "name": PACKAGE,
        "displayName": "ToolHive vMCP (static mode)",
        "description": component_doc,
        "resources": {
            COMPONENT_TYPE: {
                "isComponent": True,
                "description": component_doc,
                "inputProperties": inputs,
                "requiredInputs": required,
                "properties": outputs,
                "required": list(outputs),
            }
        },
        "types": dict(sorted(builder.types.items())),
        "language": {
            "nodejs": {"packageName": "@vmcp-components/vmcp", "respectSchemaVersion": True},
            "go": {
                "importBasePath": "vmcp-components/sdk/go/vmcp",
                "respectSchemaVersion": True,
            },
        },
    }


def schema_text(version: str) -> str:
    """The schema as the committed `sdk/schema.json` holds it (sorted keys, 2-space indent)."""
    return json.dumps(package_schema(version), indent=2, sort_keys=True) + "\n"


# ─── the engine's values -> the model's ───


def conform(value: Any, spec: Mapping[str, Any], types_: Mapping[str, Spec]) -> Any:
    """`value` with every number the schema types as integer made an int again.

    Where the schema says `integer`, a float must be integral (the engine sends every number
    as a float); elsewhere numbers are left alone, except under `Any` (pass-through sections of
    config.yaml), where an integral float becomes an int: the wire has lost the difference, and
    vMCP's config types read `3` wherever they read `3.0`, never the other way round.
    """
    if isinstance(value, pulumi.Output):
        return cast(pulumi.Output[Any], value).apply(lambda v: conform(v, spec, types_))
    ref = spec.get("$ref")
    if ref == ANY["$ref"]:
        return _integral(value)
    if isinstance(ref, str):
        return conform(value, types_[ref.removeprefix("#/types/")], types_)
    if "oneOf" in spec:
        for option in cast(list[Spec], spec["oneOf"]):
            if option.get("type") == "integer" and _is_integral_float(value):
                return int(value)
        return value
    kind = spec.get("type")
    if kind == "integer" and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value} is not an integer")
        return int(value)
    if kind == "array" and isinstance(value, list):
        return [conform(v, spec["items"], types_) for v in cast(list[Any], value)]
    if isinstance(value, dict):
        fields = cast(dict[str, Spec], spec.get("properties", {}))
        extra = cast(Spec, spec.get("additionalProperties", {}))
        mapping = cast(dict[str, Any], value)
        return {k: conform(v, fields.get(k, extra), types_) for k, v in mapping.items()}
    return value


def _is_integral_float(value: object) -> bool:
    return isinstance(value, float) and value.is_integer()


def _integral(value: Any) -> Any:
    if _is_integral_float(value):
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in cast(list[Any], value)]
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in cast(dict[str, Any], value).items()}
    return value


def provider_version() -> str:
    """The plugin's version: the installed package's."""
    return metadata.version(DISTRIBUTION)


if __name__ == "__main__":  # `make sdk`: print the schema
    sys.stdout.write(schema_text(provider_version()))

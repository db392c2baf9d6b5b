"""Stack config -> validated settings: one reader for the Pulumi program and `render --stack`.

The program gets its config from the Pulumi CLI as strings (`"3"`, `"true"`, objects as JSON
text) under `<project>:<key>`; `settings_from_config` validates that map. `load_stack_file` reads
a `stacks/Pulumi.<env>.yaml` the way the CLI hands it to the program (the project's config
defaults from `Pulumi.yaml`, then the stack's values, each turned into that string form) and
runs the same function, so `render --stack` accepts and refuses exactly what `pulumi up` would.
Secret (`secure:`) values cannot be decrypted offline and are refused, never copied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from vmcp_components.core.settings.args import ArgsError, VirtualMCPServerArgs, parse_args
from vmcp_components.errors import VmcpError, echo

PROJECT_FILE = "Pulumi.yaml"
CLUSTER_KEYS = ("kubeconfig", "context")
"""Stack keys that pick the cluster (provider and discovery); not component arguments."""
ARG_KEYS = tuple((field.alias or key) for key, field in VirtualMCPServerArgs.model_fields.items())
"""Every component argument, as its stack config key (camelCase)."""


class StackConfigError(VmcpError):
    """The stack config is not valid; the message names the key."""


@dataclass(frozen=True)
class StackSettings:
    """A stack's validated settings: the vMCP's name, its arguments and the cluster."""

    name: str
    args: VirtualMCPServerArgs
    kubeconfig: str | None
    context: str | None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        return json.loads(value)
    return value


def settings_from_config(project: str, config: Mapping[str, Any]) -> StackSettings:
    """Validated settings from `<project>:<key>` config values; other namespaces are ignored."""
    prefix = f"{project}:"
    values: dict[str, Any] = {}
    for full_key, raw in sorted(config.items()):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if key not in ARG_KEYS + CLUSTER_KEYS:
            known = ", ".join(sorted(ARG_KEYS + CLUSTER_KEYS))
            raise StackConfigError(
                f"unknown stack config key {echo(full_key)}; known keys: {known}"
            )
        try:
            values[key] = _decode(raw)
        except json.JSONDecodeError as error:
            raise StackConfigError(
                f"stack config key {echo(full_key)} is not valid JSON: {error}"
            ) from None
    cluster = {key: values.pop(key, None) for key in CLUSTER_KEYS}
    try:
        args = parse_args(values)
    except ArgsError as error:
        raise StackConfigError(f"stack config {prefix}{error}") from None
    if args.name is None:
        raise StackConfigError(f"stack config key '{prefix}name' is required (the vMCP's name)")
    return StackSettings(args.name, args, cluster["kubeconfig"], cluster["context"])


# ─── stack files, read the way the Pulumi CLI hands them to the program ───


def _as_config_string(value: Any) -> str:
    """A config value as the program receives it: scalars as text, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise StackConfigError(f"cannot read {what} {path}: {error}") from None
    except yaml.YAMLError as error:
        raise StackConfigError(f"{what} {path} is not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{what} {path} is not a YAML mapping")
    return cast(dict[str, Any], document)


def find_project_file(stack_file: Path) -> Path:
    """`Pulumi.yaml` in the stack file's directory or the nearest parent (as the CLI looks)."""
    for directory in stack_file.resolve().parents:
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    raise StackConfigError(f"no {PROJECT_FILE} found above stack file {stack_file}")


def _project_defaults(project: dict[str, Any]) -> dict[str, Any]:
    """The defaults of the project's `config:` schema (a bare value is its own default)."""
    defaults: dict[str, Any] = {}
    schema: dict[str, Any] = project.get("config") or {}
    for key, spec in schema.items():
        if isinstance(spec, dict):
            if "default" in spec:
                defaults[key] = cast(dict[str, Any], spec)["default"]
        else:
            defaults[key] = spec
    return defaults


def _holds_secret(value: Any) -> bool:
    """A `{secure: ...}` value, at the top or anywhere inside an object or list."""
    if isinstance(value, dict):
        mapping = cast(dict[str, Any], value)
        return set(mapping) == {"secure"} or any(_holds_secret(v) for v in mapping.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in cast(list[Any], value))
    return False


def stack_file_config(stack_file: Path) -> tuple[str, dict[str, str]]:
    """(project name, config map as the program would receive it) for one stack file."""
    project_file = find_project_file(stack_file)
    project_doc = _read_yaml(project_file, "project file")
    project = project_doc.get("name")
    if not isinstance(project, str) or not project:
        raise StackConfigError(f"project file {project_file} has no name")
    stack = _read_yaml(stack_file, "stack file")
    if stack.get("environment"):
        raise StackConfigError(
            f"stack file {stack_file} imports a Pulumi ESC environment, which cannot be "
            "resolved offline; put the values in the stack file or use `pulumi preview`"
        )
    raw: dict[str, Any] = {
        f"{project}:{key}": value for key, value in _project_defaults(project_doc).items()
    }
    stack_values: dict[str, Any] = stack.get("config") or {}
    for key, value in stack_values.items():
        raw[key if ":" in key else f"{project}:{key}"] = value
    config: dict[str, str] = {}
    for full_key, value in raw.items():
        if _holds_secret(value):
            if full_key.removeprefix(f"{project}:") in CLUSTER_KEYS:
                continue  # picks the cluster only; never needed offline
            raise StackConfigError(
                f"stack config key {echo(full_key)} is a secret; render cannot decrypt it offline "
                "(nothing was read from it)"
            )
        config[full_key] = _as_config_string(value)
    return project, config


def load_stack_file(stack_file: Path) -> StackSettings:
    """Validated settings of one stack file, exactly as the program would validate them."""
    project, config = stack_file_config(stack_file)
    return settings_from_config(project, config)

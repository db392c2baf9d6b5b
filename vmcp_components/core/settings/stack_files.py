"""Stack config -> validated settings: the one loader of the program, `render --stack` and `watch`.

The program gets its config from the Pulumi CLI as strings (`"3"`, `"true"`, objects as JSON
text) under `<project>:<key>`; `settings_from_config` validates that map, for every front end:
an unknown key names the closest known one, and a key under a namespace one edit from the
project's (`vmcp-component:replicas`) is an error, not a setting silently ignored.

A stack is named (`dev`: `Pulumi.dev.yaml` in the project's `stackConfigDir`, the project found
from a directory upwards as the CLI finds it) or given as a path (`stack_path`). A stack file is
read the way the CLI reads it (`pulumi_yaml`: YAML 1.2, a key twice refused) and checked the
same way by every front end (`read_stack_file`: its top-level keys, the shape of `config:`).
Its values become the config map the CLI would hand the program (`StackFile.config`: the
project's defaults, then the stack's values, as config strings). Secret (`secure:`) values and
ESC `environment:` imports cannot be read from the file: `render` refuses them (never copying a
ciphertext), and `watch` passes a `resolve` hook that asks the Pulumi CLI for the stack's config,
decrypted and with its environments, as `pulumi up` would receive it. The program itself takes
the engine's config, and checks the stack file's shape when it finds the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from vmcp_components.core.settings import pulumi_yaml
from vmcp_components.core.settings.args import ArgsError, VirtualMCPServerArgs, parse_args
from vmcp_components.errors import VmcpError, echo

PROJECT_FILE = "Pulumi.yaml"
CLUSTER_KEYS = ("kubeconfig", "context")
"""Stack keys that pick the cluster (provider and discovery); not component arguments."""
ARG_KEYS = tuple((field.alias or key) for key, field in VirtualMCPServerArgs.model_fields.items())
"""Every component argument, as its stack config key (camelCase)."""
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
"""The top-level keys of a stack file (the CLI's `ProjectStack`)."""

Resolve = Callable[[], Mapping[str, str]]
"""The stack's whole config as the Pulumi CLI resolves it (secrets decrypted, environments in)."""


class StackConfigError(VmcpError):
    """The stack config is not valid; the message names the key."""


@dataclass(frozen=True)
class StackSettings:
    """A stack's validated settings: the vMCP's name, its arguments and the cluster."""

    name: str
    args: VirtualMCPServerArgs
    kubeconfig: str | None
    context: str | None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the insertions, deletions and substitutions from `a` to `b`."""
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (char != other))
    return row[-1]


def closest(word: str, known: tuple[str, ...] | list[str]) -> str | None:
    """The known word nearest `word`, if it is near enough to be a misspelling of it."""
    if not known:
        return None
    best = min(sorted(known), key=lambda k: edit_distance(word.lower(), k.lower()))
    return best if edit_distance(word.lower(), best.lower()) <= max(2, len(word) // 3) else None


def _unknown(what: str, word: str, known: tuple[str, ...] | list[str], prefix: str = "") -> str:
    """`unknown <what> '<prefix>word'`, then the closest known word or all the known ones."""
    near = closest(word, known)
    hint = f"did you mean '{prefix}{near}'?" if near else "known: " + ", ".join(sorted(known))
    return f"unknown {what} {echo(prefix + word)}; {hint}"


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        return json.loads(value)
    return value


def _check_namespaces(project: str, keys: list[str]) -> None:
    """A key whose namespace is one edit from the project's is a misspelt prefix."""
    for full_key in keys:
        namespace, _, key = full_key.rpartition(":")
        if namespace != project and edit_distance(namespace.lower(), project.lower()) <= 1:
            raise StackConfigError(
                f"stack config key {echo(full_key)} is under the namespace {namespace!r}, not this "
                f"project's {project!r}; did you mean '{project}:{key}'?"
            )


def settings_from_config(project: str, config: Mapping[str, Any]) -> StackSettings:
    """Validated settings from `<project>:<key>` config values; other namespaces are ignored."""
    prefix = f"{project}:"
    _check_namespaces(project, sorted(config))
    values: dict[str, Any] = {}
    for full_key, raw in sorted(config.items()):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if key not in ARG_KEYS + CLUSTER_KEYS:
            known = ARG_KEYS + CLUSTER_KEYS
            raise StackConfigError(_unknown("stack config key", key, known, prefix))
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


# ─── projects and stack files, read the way the Pulumi CLI reads them ───


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise StackConfigError(f"cannot read {what} {path}: {error}") from None
    try:
        document = pulumi_yaml.load(text)
    except pulumi_yaml.GoYamlError as error:
        raise StackConfigError(f"{what} {path} is not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackConfigError(f"{what} {path} is not a YAML mapping")
    return cast(dict[str, Any], document)


@dataclass(frozen=True)
class Project:
    """A Pulumi project: its name, its stack config directory and its config defaults."""

    name: str
    path: Path
    config_dir: Path
    defaults: Mapping[str, str]
    """Full key -> the default as the program receives it."""


def find_project_file(start: Path) -> Path:
    """`Pulumi.yaml` in `start` (a directory, or a file's directory) or the nearest parent."""
    start = start.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    raise StackConfigError(f"no {PROJECT_FILE} found in or above {start}")


def load_project(path: Path) -> Project:
    """The project of `Pulumi.yaml` at `path`."""
    document = _read_yaml(path, "project file")
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackConfigError(f"project file {path} has no name")
    schema: object = document.get("config") or {}
    defaults: dict[str, str] = {}
    for key, spec in cast(dict[str, Any], schema if isinstance(schema, dict) else {}).items():
        full_key = key if ":" in key else f"{name}:{key}"
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            entry = cast(dict[str, Any], spec)
            value = entry["default"] if "default" in entry else entry["value"]
            defaults[full_key] = pulumi_yaml.default_string(value, full_key)
        elif not isinstance(spec, dict) and spec is not None:
            defaults[full_key] = pulumi_yaml.default_string(spec, full_key)
    directory = path.parent / str(document.get("stackConfigDir") or ".")
    return Project(name, path, directory, defaults)


def stack_path(stack: str, cwd: Path | None = None) -> Path:
    """The stack file of `stack`: a path to one, or a stack name in the project of `cwd`."""
    given = Path(stack).expanduser()
    if given.suffix in (".yaml", ".yml", ".json") or given.is_file():
        if not given.is_file():
            raise StackConfigError(f"stack file {given} does not exist")
        return given
    project = load_project(find_project_file(cwd or Path()))
    name = stack.rsplit("/", 1)[-1]  # org/project/stack: the file is named after the stack
    path = project.config_dir / f"Pulumi.{name}.yaml"
    if not path.is_file():
        found = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in project.config_dir.glob("Pulumi.*.yaml")
        )
        which = ", ".join(found) if found else "none"
        raise StackConfigError(
            f"stack {stack!r} has no stack file {path}; stacks with a file there: {which} "
            "(or give the path of a stack file)"
        )
    return path


@dataclass(frozen=True)
class StackFile:
    """A stack file as the CLI reads it: its config values by full key, its environments."""

    path: Path
    project: Project
    values: Mapping[str, object]
    environment: object

    def secret_keys(self) -> list[str]:
        """Full keys whose value is, or holds, a `secure:` (encrypted) value."""
        return sorted(key for key, value in self.values.items() if _holds_secret(value))

    def config(self, resolve: Resolve | None = None) -> dict[str, str]:
        """The config map the program would receive.

        `resolve` asks the CLI for what the file cannot say; without it, a secret or an ESC
        environment is an error.
        """
        cluster = {f"{self.project.name}:{key}" for key in CLUSTER_KEYS}
        secrets = self.secret_keys()
        if resolve is not None and (self.environment or secrets):
            return dict(resolve())
        if self.environment:
            raise StackConfigError(
                "imports a Pulumi ESC environment, which cannot be resolved offline; put the "
                "values in the stack file or use `pulumi preview`"
            )
        if refused := [key for key in secrets if key not in cluster]:
            raise StackConfigError(
                f"stack config key {echo(refused[0])} is a secret; render cannot decrypt it "
                "offline (nothing was read from it)"
            )
        config = dict(self.project.defaults)
        for key, value in self.values.items():
            if key not in secrets:  # a secret kubeconfig/context: never needed offline
                config[key] = _config_string(value, key)
        return config


def _config_string(value: object, key: str) -> str:
    try:
        return pulumi_yaml.config_string(value, key)
    except pulumi_yaml.GoYamlError as error:
        raise StackConfigError(f"stack config {error}") from None


def _holds_secret(value: object) -> bool:
    """A `{secure: ...}` value, at the top or anywhere inside an object or list."""
    if isinstance(value, dict):
        mapping = cast(dict[str, Any], value)
        return set(mapping) == {"secure"} or any(_holds_secret(v) for v in mapping.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in cast(list[Any], value))
    return False


def read_stack_file(path: Path, project: Project | None = None) -> StackFile:
    """The stack file at `path` (its project: found above it), its keys checked."""
    project = project or load_project(find_project_file(path))
    document = _read_yaml(path, "stack file")
    for key in document:
        if key not in STACK_FILE_KEYS:
            raise StackConfigError(_unknown("top-level key", str(key), list(STACK_FILE_KEYS)))
    config: object = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackConfigError("`config:` must be a mapping of `<project>:<key>: value`")
    values: dict[str, object] = {}
    for key, value in cast(dict[object, object], config).items():
        if not isinstance(key, str):
            raise StackConfigError(f"config key {echo(key)} is not text; quote it")
        values[key if ":" in key else f"{project.name}:{key}"] = value
    return StackFile(path, project, values, document.get("environment"))


def load_stack(
    stack: str | Path, cwd: Path | None = None, resolve: Resolve | None = None
) -> StackSettings:
    """Validated settings of a stack (a name or a path), as the program would validate them.

    An error is prefixed with the stack file's path.
    """
    path = stack_path(str(stack), cwd)
    try:
        stack_file = read_stack_file(path)
        return settings_from_config(stack_file.project.name, stack_file.config(resolve))
    except StackConfigError as error:
        raise StackConfigError(f"{path}: {error}") from None


def stack_file_config(stack_file: Path) -> tuple[str, dict[str, str]]:
    """(project name, config map as the program would receive it) for one stack file."""
    read = read_stack_file(stack_file)
    return read.project.name, read.config()


def load_stack_file(stack_file: Path) -> StackSettings:
    """Validated settings of one stack file, exactly as the program would validate them."""
    project, config = stack_file_config(stack_file)
    return settings_from_config(project, config)


def program_settings(
    project: str, config: Mapping[str, str], stack: str, cwd: Path
) -> StackSettings:
    """The program's settings: the engine's `config`, validated.

    The stack file, when this project in `cwd` has one for `stack`, is checked for the mistakes
    the CLI lets through (a misspelt top-level key).
    """
    try:
        path = stack_path(stack, cwd)
    except StackConfigError:
        path = None  # no file here (remote config, --config-file): the engine's config is all
    if path is not None:
        try:
            read_stack_file(path)
        except StackConfigError as error:
            raise StackConfigError(f"{path}: {error}") from None
    return settings_from_config(project, config)

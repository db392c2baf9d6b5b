"""A file holding the component's own argument mapping (`render --args`), read safely.

The mapping is what a platform stack passes to `VirtualMCPServer(name, {...})`, written as YAML
or JSON (JSON is YAML). It is read with the snapshot loader's guards (size limit, a key twice,
alias bombs) and validated by `parse_args`; `kubeconfig` and `context` pick a cluster, which an
offline render has no use for, so they are set aside here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import yaml

from vmcp_components.core.cluster.snapshot import LOADER, MAX_SNAPSHOT_BYTES
from vmcp_components.core.settings.args import ArgsError, VirtualMCPServerArgs, parse_args
from vmcp_components.errors import VmcpError

CLUSTER_KEYS = ("kubeconfig", "context")
"""Arguments that pick the cluster (discovery and provider); not needed offline."""


def offline_args(values: Mapping[str, Any] | VirtualMCPServerArgs) -> VirtualMCPServerArgs:
    """The component's argument mapping (or model) as validated arguments, cluster keys aside."""
    if isinstance(values, VirtualMCPServerArgs):
        return values
    return parse_args({key: value for key, value in values.items() if key not in CLUSTER_KEYS})


def load_args_text(text: str, source: str) -> VirtualMCPServerArgs:
    """The arguments written in `text` (a YAML or JSON mapping); ArgsError names the problem."""
    if len(text) > MAX_SNAPSHOT_BYTES:
        raise ArgsError(f"{source}: larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB")
    try:
        document: object = yaml.load(text, Loader=LOADER)  # noqa: S506 - the guarded safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "the text cannot be read as YAML"
        raise ArgsError(f"{source}: not valid YAML or JSON{place}: {problem}") from None
    except RecursionError:
        raise ArgsError(f"{source}: nested too deeply to read") from None
    if not isinstance(document, dict):
        raise ArgsError(
            f"{source}: expected a mapping of the component's arguments (namespace: ..., "
            f"group: ..., ...), got {type(document).__name__}"
        )
    try:
        return offline_args(cast("dict[str, Any]", document))
    except VmcpError as error:
        raise ArgsError(f"{source}: {error}") from None

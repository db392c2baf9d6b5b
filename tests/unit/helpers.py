"""Render helpers for the unit tests: every rendering is checked the way vMCP would read it.

`render_checked` renders, then parses `config.yaml` back out of the ConfigMap (the text vMCP
actually reads) and runs the vMCP validator on it, and checks the invariants that tie the
objects together (checksums, backend count, CA paths that land on mounted files).
"""

from __future__ import annotations

import importlib
import os
import posixpath
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import clock, factories
from tests.invariants import assert_invariants
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.output.vmcp_config import validate_config
from vmcp_components.core.render import Rendering

# The module itself (`from vmcp_components import render` is the same module, by name).
render_module = importlib.import_module("vmcp_components.core.render")

# libyaml's safe loader parses like yaml.safe_load, many times faster on big configs.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CHECKSUM_ANNOTATION = "toolhive.stacklok.dev/content-checksum"
RUNCONFIG_ANNOTATION = "toolhive.stacklok.dev/runconfig-checksum"


def config_of(rendering: Rendering) -> dict[str, Any]:
    """config.yaml as vMCP parses it."""
    text = rendering.object("ConfigMap")["data"]["config.yaml"]
    document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    assert isinstance(document, dict)
    return document


def container_of(rendering: Rendering) -> dict[str, Any]:
    """The vmcp container (the only one, unless a podTemplateSpec adds others)."""
    containers = rendering.object("Deployment")["spec"]["template"]["spec"]["containers"]
    [vmcp] = [container for container in containers if container["name"] == "vmcp"]
    return vmcp


def env_of(rendering: Rendering) -> list[dict[str, Any]]:
    return container_of(rendering)["env"]


def env_names(rendering: Rendering) -> list[str]:
    return [item["name"] for item in env_of(rendering)]


def env_by_name(rendering: Rendering) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in env_of(rendering)}


def backends_by_name(rendering: Rendering) -> dict[str, dict[str, Any]]:
    return {backend["name"]: backend for backend in config_of(rendering)["backends"]}


def skipped_by_name(rendering: Rendering) -> dict[str, str]:
    return {item["name"]: item["reason"] for item in rendering.status["skippedBackends"]}


def check_rendering(rendering: Rendering) -> None:
    """The invariants every rendering must satisfy, including vMCP's own config validator.

    `tests/invariants.py` checks the objects independently of the renderer (unique names, mounts
    and env vars that exist, the API server's name rules).
    """
    assert_invariants(rendering.objects)
    document = config_of(rendering)
    validate_config(document)
    config_map = rendering.object("ConfigMap")
    checksum = config_map["metadata"]["annotations"][CHECKSUM_ANNOTATION]
    template = rendering.object("Deployment")["spec"]["template"]
    assert template["metadata"]["annotations"][RUNCONFIG_ANNOTATION] == checksum
    assert rendering.status["configChecksum"] == checksum
    assert rendering.status["backendCount"] == len(document["backends"])
    assert [b["name"] for b in rendering.status["discoveredBackends"]] == [
        b["name"] for b in document["backends"]
    ]
    # Every caBundlePath names a file that a read-only ConfigMap volume really puts there.
    mounts = {m["mountPath"]: m for m in container_of(rendering)["volumeMounts"]}
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    for backend in document["backends"]:
        path = backend.get("caBundlePath")
        if path is None:
            continue
        mount = mounts[posixpath.dirname(path)]
        assert mount["readOnly"] is True
        items = volumes[mount["name"]]["configMap"]["items"]
        assert {"key": posixpath.basename(path), "path": posixpath.basename(path)} in items


def update_golden_requested() -> bool:
    """True when `UPDATE_GOLDEN` asks the golden tests to rewrite their files.

    Refused (the test fails) when `CI` is set: there the files would be compared with
    themselves and the golden tests could not fail.
    """
    if os.environ.get("UPDATE_GOLDEN", "") in ("", "0"):
        return False
    if os.environ.get("CI", "") not in ("", "0", "false"):
        pytest.fail("UPDATE_GOLDEN is refused when CI is set: run `make golden` locally")
    return True


def render_checked(inventory: Inventory, *, name: str = "eng-tools", **args: Any) -> Rendering:
    """Render with factories.args(**args) and check the result (see check_rendering)."""
    rendering = render_module.render(inventory, name, factories.args(**args))
    check_rendering(rendering)
    return rendering


# ─── the CLI as a real subprocess ───


@dataclass(frozen=True)
class CliRun:
    """One finished `python -m vmcp_components` process."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ExampleRun:
    """The CLI run on examples/snapshot.yaml and the status file it was given."""

    run: CliRun
    status_file: Path


def start_cli(arguments: list[str]) -> subprocess.Popen[str]:
    """Start `python -m vmcp_components ARGUMENTS` from the repository root."""
    return subprocess.Popen(
        [sys.executable, "-m", "vmcp_components", *arguments],
        cwd=factories.ROOT,
        env=clock.subprocess_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def finish_cli(process: subprocess.Popen[str]) -> CliRun:
    stdout, stderr = process.communicate(timeout=120)
    return CliRun(process.returncode, stdout, stderr)


def example_arguments(snapshot: Path = factories.EXAMPLE_SNAPSHOT) -> list[str]:
    """`render` for the example group, as `make demo` and the golden files use it."""
    return [
        "render",
        "--snapshot",
        str(snapshot),
        "--name",
        "eng-tools",
        "--namespace",
        "toolhive-system",
        "--group",
        "engineering-team",
    ]

"""The distributions: `uv build` makes a wheel and an sdist that install into fresh virtualenvs
and work there (console script, `python -m`, the lazy top level, `py.typed`, SPDX licence).

Offline: a fresh venv gets the dependencies at the versions uv.lock pins (`uv sync --frozen
--no-install-project`, from the uv cache `make setup` filled; the cache's index pages need not
list those versions, so a plain resolve could not run offline), then the distribution itself
with `uv pip install --offline --no-deps`, and `uv pip check` proves its requirements are met.
Each venv runs from a directory outside the repository, so the installed package answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests import clock, factories
from tests.unit.helpers import example_arguments

GOLDEN = factories.ROOT / "tests" / "golden" / "eng-tools.yaml"
VERSION = tomllib.loads((factories.ROOT / "pyproject.toml").read_text("utf-8"))["project"][
    "version"
]
SMOKE = """
import importlib.metadata as md, pathlib, sys
import vmcp_components
from vmcp_components import VirtualMCPServer, VirtualMCPServerArgs
assert VirtualMCPServerArgs(namespace="ns", group="g").group == "g"
assert VirtualMCPServer.__name__ == "VirtualMCPServer"
package = pathlib.Path(vmcp_components.__file__).parent
assert (package / "py.typed").is_file()
assert not str(package).startswith(sys.argv[1]), package
meta = md.metadata("vmcp-components")
print(vmcp_components.__version__, meta["License-Expression"], meta.get_all("License-File"))
"""


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], check=False, capture_output=True
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    pytest.fail("uv is not installed (make setup installs it)")


def _run(command: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    _run([*_uv(), "build", "--offline", "--out-dir", out, factories.ROOT], factories.ROOT)
    (wheel,) = out.glob("vmcp_components-*.whl")
    (sdist,) = out.glob("vmcp_components-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_distribution_installs_offline_and_works(
    dist: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    uv = _uv()
    locked_deps = [*uv, "sync", "--frozen", "--offline", "--no-install-project"]
    _run(
        [*locked_deps, "--no-default-groups", "--python", sys.executable, "--quiet"],
        factories.ROOT,
        env={"UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    python = venv / "bin" / "python"
    _run(
        [*uv, "pip", "install", "--offline", "--no-deps", "--python", python, dist[kind]], tmp_path
    )
    _run([*uv, "pip", "check", "--python", python], tmp_path)

    version, licence, files = _run([python, "-c", SMOKE, str(factories.ROOT)], tmp_path).split(
        " ", 2
    )
    assert (version, licence, files.strip()) == (VERSION, "Apache-2.0", "['LICENSE']")
    assert _run([venv / "bin" / "vmcp-components", "--version"], tmp_path) == (
        f"vmcp-components {VERSION}\n"
    )
    render = example_arguments()
    expected = GOLDEN.read_text(encoding="utf-8")
    at_test_time = clock.subprocess_env(base={})
    assert _run([venv / "bin" / "vmcp-components", *render], tmp_path, at_test_time) == expected
    assert _run([python, "-m", "vmcp_components", *render], tmp_path, at_test_time) == expected

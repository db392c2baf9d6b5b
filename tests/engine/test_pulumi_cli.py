"""The program's stack files under the real Pulumi CLI: config-schema validation and errors.

What the CLI checks before the program touches a cluster: that `Pulumi.yaml` and the stack
files under `stacks/` pass its config-schema validation, that it enforces the schema, and that
the program's own config errors reach the user without a traceback. The stacks point at a
kubeconfig that does not exist, so no run gets as far as the cluster.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.harness import ROOT, Engine

pytestmark = pytest.mark.engine


@dataclass(frozen=True)
class Project:
    path: Path
    env: dict[str, str]


@pytest.fixture
def project(tmp_path: Path, engine: Engine) -> Project:
    """A copy of the program (the CLI writes into stack files), with stacks dev and prod in a
    local file backend of its own."""
    (tmp_path / "state").mkdir()
    env = {
        **engine.env,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "KUBECONFIG": str(tmp_path / "no-such-kubeconfig"),
    }
    for item in ("Pulumi.yaml", "__main__.py", "stacks"):
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(source, tmp_path / item)
        else:
            shutil.copy(source, tmp_path / item)
    made = Project(tmp_path, env)
    for stack in ("dev", "prod"):
        pulumi(made, "stack", "init", stack, check=True)
    return made


def pulumi(project: Project, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["pulumi", *args, "--non-interactive"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def preview(project: Project, stack: str) -> str:
    result = pulumi(project, "preview", "--stack", stack)
    return result.stdout + result.stderr


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_pass_the_cli_config_validation(project: Project, stack: str) -> None:
    output = preview(project, stack)
    assert "validating stack config" not in output, output
    assert f"vmcp-components-{stack}" in output, output  # the program ran and registered its stack


def _set_stack_value(project: Project, stack: str, key: str, value: str | None) -> None:
    path = project.path / "stacks" / f"Pulumi.{stack}.yaml"
    lines = [
        line
        for line in path.read_text().splitlines()
        if not line.startswith(f"  vmcp-components:{key}:")
    ]
    if value is not None:
        lines.insert(lines.index("config:") + 1, f"  vmcp-components:{key}: {value}")
    path.write_text("\n".join(lines) + "\n")


def test_the_cli_enforces_the_project_config_schema(project: Project) -> None:
    _set_stack_value(project, "dev", "strict", '"maybe"')
    output = preview(project, "dev")
    assert "validating stack config" in output
    assert "strict" in output
    assert "boolean" in output


def test_a_required_key_missing_from_the_stack_is_refused(project: Project) -> None:
    _set_stack_value(project, "dev", "group", None)
    output = preview(project, "dev")
    assert "missing configuration value 'group'" in output, output


def test_the_programs_own_config_error_reaches_the_user(project: Project) -> None:
    _set_stack_value(project, "dev", "replica", "2")
    output = preview(project, "dev")
    assert "unknown stack config key 'vmcp-components:replica'" in output, output
    assert "Traceback" not in output

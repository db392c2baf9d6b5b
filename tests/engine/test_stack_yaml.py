"""The stack-file loader reads what the real Pulumi CLI reads: `pulumi config --json` is the oracle.

A stack of this project (its real `Pulumi.yaml`, a file backend, no cluster needed) gets a stack
file holding a table of tricky values (YAML 1.1 booleans, floats Go rewrites, octal and hex,
timestamps, nulls, nested objects with keys Go sorts and characters it escapes); every value the
CLI hands over must equal, byte for byte, the string `stack_files.stack_file_config` produces.
A key written twice must be refused by both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.engine.harness import Engine, EngineProject, copy_program
from tests.unit.test_stack_config import GO_VALUES
from vmcp_components.core.settings.stack_files import StackConfigError, stack_file_config

pytestmark = pytest.mark.engine

STACK = "parity"


@pytest.fixture(scope="module")
def project(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> EngineProject:
    path = tmp_path_factory.mktemp("stack-yaml")
    copy_program(path)
    return EngineProject(path, engine)


def _stack_with(project: EngineProject, lines: list[str]) -> tuple[auto.Stack, Path]:
    """The stack, its file holding what `stack init` wrote (the salt) plus `lines` of config."""
    project.state_dir.mkdir(parents=True, exist_ok=True)
    (project.path / "stacks").mkdir(exist_ok=True)
    stack = auto.Stack.create_or_select(STACK, project.workspace())
    path = project.path / "stacks" / f"Pulumi.{STACK}.yaml"
    kept = [
        line
        for line in (path.read_text() if path.exists() else "").splitlines()
        if line.startswith("encryptionsalt:")
    ]
    path.write_text("\n".join([*kept, "config:", *lines]) + "\n")
    return stack, path


def test_every_tricky_value_reaches_the_program_as_the_cli_hands_it_over(
    project: EngineProject,
) -> None:
    keys = {f"parity:v{index:02d}": value for index, (value, _) in enumerate(GO_VALUES)}
    stack, path = _stack_with(project, [f"  {key}: {value}" for key, value in keys.items()])
    from_cli = {key: item.value for key, item in stack.get_all_config().items()}
    _, ours = stack_file_config(path)
    mismatches = {
        keys[key]: (from_cli.get(key), ours.get(key))
        for key in keys
        if from_cli.get(key) != ours.get(key)
    }
    assert mismatches == {}
    # the project's defaults, as the CLI applies them, too
    assert {k: v for k, v in from_cli.items() if not k.startswith("parity:")} == {
        k: v for k, v in ours.items() if not k.startswith("parity:")
    }


def test_a_key_twice_is_refused_by_both(project: EngineProject) -> None:
    stack, path = _stack_with(project, ["  parity:twice: 1", "  parity:twice: 2"])
    with pytest.raises(auto.CommandError, match="already defined"):
        stack.get_all_config()
    with pytest.raises(StackConfigError, match="already defined"):
        stack_file_config(path)

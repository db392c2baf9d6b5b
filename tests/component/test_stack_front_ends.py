"""One stack loader, three front ends: the program, `render --stack` and `watch` read the same
stack file to the same settings, or refuse it with the same error text.

Each case is a stack file in a project of its own. The program gets the config the Pulumi CLI
would hand it (for a secret or an ESC environment, written out here as the CLI resolves it; for
the rest, the loader's own map, which the engine tier compares with `pulumi config --json`), on
Pulumi's mock engine, with the stack file next to it. `render --stack` runs as the command
line does; `watch` loads the stack the way `run_watch` does, its CLI hook answering with that same
resolved config. Where the file holds what only the CLI can resolve (a secret, an environment),
`render` refuses it offline with its own error, and says so.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest

from tests.component.conftest import EXAMPLE, install
from vmcp_components import cli
from vmcp_components.component import program
from vmcp_components.core.settings.stack_files import (
    StackConfigError,
    StackSettings,
    load_stack,
    stack_file_config,
)
from vmcp_components.errors import VmcpError
from vmcp_components.watch.command import load_settings

PROJECT = (
    "name: vmcp-components\nstackConfigDir: stacks\n"
    "config:\n  strict: {type: boolean, default: false}\n"
)
BASE = "config:\n  vmcp-components:namespace: tools\n  vmcp-components:name: eng-tools\n"
GROUP = "  vmcp-components:group: engineering-team\n"
RESOLVED_BASE = {
    "vmcp-components:namespace": "tools",
    "vmcp-components:name": "eng-tools",
    "vmcp-components:group": "engineering-team",
    "vmcp-components:strict": "false",
}


@dataclass(frozen=True)
class Case:
    text: str
    error: str | None = None
    """The error every front end gives (None: they all give the same settings)."""
    resolved: dict[str, str] | None = None
    """The config as the Pulumi CLI resolves it, when the file alone cannot say."""
    offline: str | None = None
    """render's own error, for what it cannot resolve offline."""


CASES = {
    "plain": Case(BASE + GROUP + "  vmcp-components:replicas: 2\n"),
    "group-42": Case(BASE + "  group: 42\n"),
    "yaml-1.2": Case(BASE + GROUP + "  vmcp-components:podLabels: {mode: no, flag: on}\n"),
    "unknown-key": Case(
        BASE + GROUP + "  vmcp-components:replica: 2\n",
        "unknown stack config key 'vmcp-components:replica'; did you mean "
        "'vmcp-components:replicas'?",
    ),
    "misspelt-prefix": Case(
        BASE + GROUP + "  vmcp-component:replicas: 2\n",
        "stack config key 'vmcp-component:replicas' is under the namespace 'vmcp-component', "
        "not this project's 'vmcp-components'; did you mean 'vmcp-components:replicas'?",
    ),
    "top-level-typo": Case(
        "confg:\n  vmcp-components:namespace: tools\n",
        "unknown top-level key 'confg'; did you mean 'config'?",
    ),
    "wrong-type": Case(
        BASE + GROUP + "  vmcp-components:replicas: many\n",
        "stack config vmcp-components:replicas: Input should be a valid integer, unable to parse "
        "string as an integer (got 'many'); write a whole number without quotes, e.g. 2",
    ),
    "secure-value": Case(
        BASE + GROUP + "  vmcp-components:image: {secure: v1:AAAAcGhlcnRleHQ=}\n",
        resolved={**RESOLVED_BASE, "vmcp-components:image": "registry.example/vmcp:v1"},
        offline="stack config key 'vmcp-components:image' is a secret; render cannot decrypt it "
        "offline (nothing was read from it)",
    ),
    "esc-environment": Case(
        "environment: [platform/vmcp]\n" + BASE,
        resolved=RESOLVED_BASE,
        offline="imports a Pulumi ESC environment, which cannot be resolved offline; put the "
        "values in the stack file or use `pulumi preview`",
    ),
}


def _stack(tmp_path: Path, case: Case) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.test.yaml"
    path.write_text(case.text, encoding="utf-8")
    return path


def _without(path: Path, message: str) -> str:
    return message.removeprefix(f"{path}: ")


def _program(path: Path, case: Case, monkeypatch: pytest.MonkeyPatch) -> StackSettings | str:
    monkeypatch.chdir(path.parent.parent)  # the language host runs the program in the project
    try:
        config = case.resolved if case.resolved is not None else _file_config(path)
    except StackConfigError:  # a top-level typo: the CLI reads no config, only the defaults
        config = {"vmcp-components:strict": "false"}
    install([], config=config)
    try:
        return program.load_stack_settings("vmcp-components")
    except pulumi.RunError as error:
        return _without(path, str(error))


def _file_config(path: Path) -> dict[str, str]:
    return stack_file_config(path)[1]


def _render(path: Path, capsys: pytest.CaptureFixture[str]) -> StackSettings | str:
    """The settings `render --stack` renders, or the `error:` line it prints."""
    try:
        name, args = cli._target(argparse.Namespace(stack="test"))  # pyright: ignore[reportPrivateUsage]
    except VmcpError as error:
        message = str(error)
    else:
        return StackSettings(name, args, None, None)
    code = cli.main(["render", "--stack", "test", "--snapshot", str(EXAMPLE)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"error: {message}\n")
    return _without(path, message)


def _watch(path: Path, case: Case) -> StackSettings | str:
    asked: list[str] = []

    def cli_config() -> dict[str, str]:
        asked.append("config")
        assert case.resolved is not None, "the CLI is asked only for what the file cannot say"
        return case.resolved

    try:
        return load_settings("test", path.parent.parent, cli_config)
    except StackConfigError as error:
        return _without(path, str(error))
    finally:
        assert asked == (["config"] if case.resolved else [])


@pytest.mark.parametrize("name", list(CASES))
def test_the_three_front_ends_agree(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = CASES[name]
    path = _stack(tmp_path, case)
    from_program = _program(path, case, monkeypatch)
    from_watch = _watch(path, case)
    from_render = _render(path, capsys)
    if case.error is not None:
        assert from_program == from_watch == from_render == case.error
        return
    assert isinstance(from_program, StackSettings), from_program
    assert from_watch == from_program
    if case.offline is not None:
        assert from_render == case.offline
    else:
        assert from_render == StackSettings(from_program.name, from_program.args, None, None)


def test_yaml_1_2_values_reach_the_settings_as_the_cli_gives_them(tmp_path: Path) -> None:
    path = _stack(tmp_path, CASES["yaml-1.2"])
    settings = load_stack(path)
    assert settings.args.pod_labels == {"mode": "no", "flag": "on"}
    (tmp_path / "g").mkdir()
    assert load_stack(_stack(tmp_path / "g", CASES["group-42"])).args.group == "42"

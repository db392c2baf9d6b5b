"""The command's surface: help names the command that was run, `--stack` replaces the target
options, and a command is required."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import factories
from vmcp_components.cli import main


def _help(argv: list[str], capsys: pytest.CaptureFixture[str], **kwargs: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv, **kwargs)
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_help_names_the_console_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert _help(["--help"], capsys).startswith("usage: vmcp-components [-h]")
    text = _help(["render", "--help"], capsys)
    assert text.startswith("usage: vmcp-components render ")
    assert "vmcp-components render --stack stacks/Pulumi.prod.yaml" in text
    assert "python -m" not in text


def test_python_dash_m_names_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vmcp_components", "render", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=factories.ROOT,
    )
    assert result.stdout.startswith("usage: python -m vmcp_components render ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "error: a command is required (render, snapshot, preflight, watch) (see --help)\n"),
        (
            ["render", "--snapshot", "s.yaml", "--stack", "st.yaml", "--name", "x", "--strict"],
            "error: --stack takes its settings from the stack file; drop --name, --strict "
            "(see --help)\n",
        ),
        (
            ["render", "--snapshot", "s.yaml", "--name", "x"],
            "error: the following arguments are required: --namespace, --group (see --help)\n",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr() == ("", message)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import vmcp_components

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"vmcp-components {vmcp_components.__version__}\n"

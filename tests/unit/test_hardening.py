"""Hardening against hostile or sloppy input (issue #13): each test names the hole it closes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.helpers import example_arguments
from vmcp_components.args import ArgsError, parse_args, vmcp_name
from vmcp_components.cli import main
from vmcp_components.stack_config import StackConfigError, load_stack_file

VALID = {"namespace": "toolhive-system", "group": "engineering-team"}


# ─── 1. full-match validation: `$` also matches before a final newline ───


def test_a_vmcp_name_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ArgsError, match="not a valid vMCP name"):
        vmcp_name("eng-tools\n")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("namespace", "toolhive-system\n"),
        ("group", "engineering-team\n"),
        ("name", "eng-tools\n"),
        ("serviceAccount", "my-sa\n"),
        ("priorityClassName", "high\n"),
        ("entries", ["corp\n"]),
        ("imagePullSecrets", ["regcred\n"]),
        ("podLabels", {"tier": "gw\n"}),
        ("podLabels", {"tier\n": "gw"}),
    ],
)
def test_args_with_a_trailing_newline_are_refused(key: str, value: object) -> None:
    with pytest.raises(ArgsError, match="is not a valid"):
        parse_args({**VALID, key: value})


@pytest.mark.parametrize("option", ["--name", "--namespace", "--group"])
def test_cli_options_with_a_trailing_newline_exit_2(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = example_arguments()
    index = arguments.index(option) + 1
    arguments[index] += "\n"

    code = main(arguments)

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "is not a valid" in err


def test_a_stack_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: vmcp-components\n", encoding="utf-8")
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(
        "config:\n"
        "  vmcp-components:namespace: toolhive-system\n"
        "  vmcp-components:group: engineering-team\n"
        '  vmcp-components:name: "eng-tools\\n"\n',
        encoding="utf-8",
    )
    with pytest.raises(StackConfigError, match="not a valid vMCP name"):
        load_stack_file(path)

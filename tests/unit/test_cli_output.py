"""What the `render` command writes where: a warning line per skipped member (none with
`--quiet`), and nothing on stdout or in the status file unless both can be written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import factories
from vmcp_components.cli import main

SKIPPED = (
    'warning: skipped MCPServerEntry "cloud-metadata": remote URL host is not allowed: '
    "IP address 169.254.169.254"
)


def _render(*extra: str) -> list[str]:
    return [
        "render",
        "--snapshot",
        str(factories.EXAMPLE_SNAPSHOT),
        "--name",
        "eng-tools",
        "--namespace",
        factories.NAMESPACE,
        "--group",
        factories.GROUP,
        *extra,
    ]


def test_each_skipped_member_is_one_warning_line_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = tmp_path / "status.json"
    assert main(_render("--status-file", str(status_file))) == 0
    out, err = capsys.readouterr()
    assert out
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(SKIPPED)
    skipped = json.loads(status_file.read_text(encoding="utf-8"))["skippedBackends"]
    assert [s["name"] for s in skipped] == ["cloud-metadata"]
    assert lines[0].endswith(skipped[0]["reason"])


def test_quiet_prints_no_warning_and_keeps_the_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = tmp_path / "status.json"
    assert main(_render("--quiet", "--status-file", str(status_file))) == 0
    out, err = capsys.readouterr()
    assert (bool(out), err) == (True, "")
    assert json.loads(status_file.read_text(encoding="utf-8"))["skippedBackends"]


def test_a_status_file_that_is_a_directory_fails_before_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    code = main(_render("--status-file", str(target)))
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"error: cannot write status file {target}: it is a directory; name a file, e.g. "
        f"{target / 'status.json'}\n"
    )
    assert list(target.iterdir()) == []  # no staged file left behind

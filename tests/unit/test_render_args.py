"""The component's own argument mapping, offline: `render --args FILE` and the documented
`vmcp_components.render(snapshot, args, name=...)`, both equal to what the component renders
for the same mapping (the mock-engine proof of that is `tests/component`), refusing bad
input with one message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import vmcp_components
from tests import factories
from vmcp_components.cli import dump_objects, main
from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import parse_args
from vmcp_components.errors import VmcpError

ARGS: dict[str, Any] = {
    "namespace": factories.NAMESPACE,
    "group": factories.GROUP,
    "replicas": 2,
    "podLabels": {"tier": "gateway"},
    "kubeconfig": "/home/me/.kube/prod",  # picks a cluster: ignored offline
    "context": "prod",
}


def _expected(name: str = "eng-tools") -> str:
    settings = parse_args({k: v for k, v in ARGS.items() if k not in ("kubeconfig", "context")})
    text = factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8")
    return dump_objects(render(load_snapshot(text, factories.NAMESPACE), name, settings))


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_render_args_prints_what_the_component_renders_for_the_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    path = tmp_path / f"args.{form}"
    path.write_text(yaml.safe_dump(ARGS) if form == "yaml" else json.dumps(ARGS))
    snapshot = str(factories.EXAMPLE_SNAPSHOT)
    code = main(["render", "--snapshot", snapshot, "--args", str(path), "--name", "eng-tools"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out == _expected()


def test_the_name_in_the_mapping_wins_like_in_the_component(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump({**ARGS, "name": "tools"}))
    code = main(["render", "--snapshot", str(factories.EXAMPLE_SNAPSHOT), "--args", str(path)])
    assert (code, capsys.readouterr().out) == (0, _expected("tools"))


@pytest.mark.parametrize(
    ("text", "extra", "fragment"),
    [
        ("[1, 2]", [], "expected a mapping of the component's arguments"),
        ("namespace: [", [], "not valid YAML or JSON at line 2, column 1"),
        ("namespace: a\nnamespace: b\n", [], "duplicate key"),
        (yaml.safe_dump({**ARGS}), [], "no vMCP name; set `name` in it or --name"),
        (
            "namespace: toolhive-system\ngroup: engineering-team\npodLabels: {inject: true}\n",
            ["--name", "x"],
            'podLabels.inject: Input should be a valid string (got True); quote it ("true")',
        ),
        (yaml.safe_dump(ARGS), ["--name", "x", "--group", "g"], "--args takes its settings"),
        (yaml.safe_dump(ARGS), ["--name", "x", "--stack", "s.yaml"], "--args and --stack"),
    ],
)
def test_bad_arguments_are_one_error_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, extra: list[str], fragment: str
) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(text)
    argv = ["render", "--snapshot", str(factories.EXAMPLE_SNAPSHOT), "--args", str(path), *extra]
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own refusals
        code = exited.code
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert fragment in err


def test_the_package_render_is_the_documented_function() -> None:
    text = factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8")
    from_text = vmcp_components.render(text, ARGS, name="eng-tools")
    inventory = load_snapshot(text, factories.NAMESPACE)
    from_inventory = vmcp_components.render(inventory, ARGS, name="eng-tools")
    assert dump_objects(from_text) == dump_objects(from_inventory) == _expected()
    assert from_text.status == from_inventory.status
    assert "render" in vmcp_components.__all__


def test_the_package_render_refuses_a_mismatch_with_a_clear_error() -> None:
    inventory = load_snapshot(factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"), "other")
    with pytest.raises(VmcpError, match="the inventory is of namespace 'other'"):
        vmcp_components.render(inventory, ARGS, name="eng-tools")
    with pytest.raises(VmcpError, match="no vMCP name"):
        vmcp_components.render(inventory, ARGS)


def test_importing_render_loads_no_pulumi() -> None:
    code = "import sys; from vmcp_components import render; assert 'pulumi' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)

"""`render --stack` equals the program: for every stack file, the objects `vmcp-components render
--stack FILE --snapshot S` prints are exactly the objects the Pulumi program (`__main__.py`)
registers on the mock engine with that stack's config, and a bad stack file fails both with
the same message.

The stack config reaches the program the way the Pulumi CLI hands it over (strings, objects as
JSON, Pulumi.yaml defaults filled in): `stack_config.stack_file_config` builds that map from the
file, so the program here reads the same values `pulumi up` would give it.
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from tests.component.conftest import EXAMPLE, ROOT, install, run_program
from tests.component.test_component import ints
from vmcp_components.cli import main, run_render
from vmcp_components.component import virtual_mcp_server as component
from vmcp_components.core.settings.stack_files import load_stack_file, stack_file_config

STACKS = [
    ROOT / "stacks" / "Pulumi.dev.yaml",
    ROOT / "stacks" / "Pulumi.prod.yaml",
    *sorted((ROOT / "tests" / "golden").glob("*.stack.yaml")),
]


def snapshot_for(stack: Path, tmp: Path) -> Path:
    """The example group, renamed to the stack's group; the bad member dropped for strict stacks."""
    args = load_stack_file(stack).args
    items = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["items"]
    if args.strict:
        items = [item for item in items if item["metadata"]["name"] != "cloud-metadata"]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
    path = tmp / "snapshot.yaml"
    path.write_text(text.replace("name: engineering-team\n", f"name: {args.group}\n"), "utf-8")
    return path


def program_objects(config: dict[str, str], snapshot: Path, monkeypatch: Any) -> list[Any]:
    """What `__main__.py` registers for `config`, with the cluster holding `snapshot`."""
    objects = yaml.safe_load(snapshot.read_text("utf-8"))["items"]
    engine = install(objects, config=config)
    monkeypatch.setattr(component, "ClusterDiscovery", lambda **_: engine.discovery)
    run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")))
    return [
        ints(create.inputs)
        for create in engine.cluster.creates
        if create.typ.startswith("kubernetes:") and not create.typ.startswith("pulumi:")
    ]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


@pytest.mark.parametrize("stack", STACKS, ids=lambda path: path.name)
def test_render_stack_prints_what_the_program_declares(
    stack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = snapshot_for(stack, tmp_path)
    options = argparse.Namespace(stack=stack, snapshot=snapshot)
    rendered = list(yaml.safe_load_all(run_render(options)[0]))
    _, config = stack_file_config(stack)
    declared = program_objects(config, snapshot, monkeypatch)
    assert sorted(declared, key=_key) == sorted(rendered, key=_key)


def test_the_prod_stack_renders_its_settings(tmp_path: Path) -> None:
    stack = ROOT / "stacks" / "Pulumi.prod.yaml"
    options = argparse.Namespace(stack=stack, snapshot=snapshot_for(stack, tmp_path))
    objects = {obj["kind"]: obj for obj in yaml.safe_load_all(run_render(options)[0])}
    assert objects["Deployment"]["spec"]["replicas"] == 3
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    config = yaml.safe_load(objects["ConfigMap"]["data"]["config.yaml"])
    assert config["aggregation"]["conflictResolutionConfig"] == {"prefixFormat": "{workload}__"}


BAD_STACKS = {
    "unknown-key": "  vmcp-components:replica: 2\n",
    "wrong-type": "  vmcp-components:replicas: many\n",
    "bad-setting": "  vmcp-components:tolerations:\n    - {operator: Equal, value: x}\n",
    "bad-label": "  vmcp-components:podLabels: {toolhive-name: other}\n",
}
BASE = (
    "config:\n"
    "  vmcp-components:namespace: toolhive-system\n"
    "  vmcp-components:group: engineering-team\n"
    "  vmcp-components:name: eng-tools\n"
)


@pytest.mark.parametrize("case", list(BAD_STACKS))
def test_a_bad_stack_fails_render_and_program_with_the_same_message(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text("utf-8"), "utf-8")
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(BASE + BAD_STACKS[case], encoding="utf-8")
    code = main(["render", "--stack", str(stack), "--snapshot", str(EXAMPLE)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    _, config = stack_file_config(stack)
    with pytest.raises(pulumi.RunError) as raised:
        program_objects(config, EXAMPLE, monkeypatch)
    assert err == f"error: {stack}: {raised.value}\n"

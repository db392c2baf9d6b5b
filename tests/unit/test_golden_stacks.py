"""Golden files for the workload settings: `render --stack tests/golden/<case>.stack.yaml`.

Each `<case>.stack.yaml` is a stack file (validated exactly as the program validates stack
config) rendered over examples/snapshot.yaml; the output must equal `<case>.yaml` and
`<case>.status.json` byte for byte. `UPDATE_GOLDEN=1` (`make golden`) rewrites them, and is
refused when CI is set; review the diff by hand. The default-settings golden files
(eng-tools.*) are tests/unit/test_golden.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests import factories
from tests.unit.helpers import check_rendering, update_golden_requested
from vmcp_components.cli import main
from vmcp_components.core.backends.backend import GroupBackends
from vmcp_components.core.render import Rendering

GOLDEN = factories.ROOT / "tests" / "golden"
CASES = sorted(path.name.removesuffix(".stack.yaml") for path in GOLDEN.glob("*.stack.yaml"))


def test_there_are_golden_stack_cases() -> None:
    assert {"workload", "openshift"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_stack_case_matches_its_golden_files(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = tmp_path / "status.json"
    stack = GOLDEN / f"{case}.stack.yaml"
    code = main(
        [
            "render",
            "--stack",
            str(stack),
            "--snapshot",
            str(factories.EXAMPLE_SNAPSHOT),
            "--status-file",
            str(status_file),
            "--quiet",  # the skip warnings are in the status file
        ]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    status = status_file.read_text(encoding="utf-8")
    golden_yaml, golden_status = GOLDEN / f"{case}.yaml", GOLDEN / f"{case}.status.json"
    if update_golden_requested():
        golden_yaml.write_text(out, encoding="utf-8")
        golden_status.write_text(status, encoding="utf-8")
    assert out == golden_yaml.read_text(encoding="utf-8")
    assert status == golden_status.read_text(encoding="utf-8")
    objects = tuple(yaml.safe_load_all(out))
    empty = GroupBackends(group="engineering-team", backends=())
    check_rendering(Rendering(objects=objects, status=yaml.safe_load(status), derivation=empty))


@pytest.mark.parametrize("ci", ["1", "true"])
def test_update_golden_is_refused_under_ci(ci: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="UPDATE_GOLDEN is refused when CI is set"):
        update_golden_requested()
    monkeypatch.delenv("CI")
    assert update_golden_requested()

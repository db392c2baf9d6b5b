"""Golden files for the example snapshot, compared byte for byte.

`render --snapshot examples/snapshot.yaml --name eng-tools --namespace toolhive-system
--group engineering-team` must print exactly tests/golden/eng-tools.yaml and write exactly
tests/golden/eng-tools.status.json. `UPDATE_GOLDEN=1` (`make golden`) rewrites both, and is
refused when CI is set; review the diff by hand against reference §3.4 and §4 before committing.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.unit.helpers import ExampleRun, check_rendering, update_golden_requested
from vmcp_components.core.backends.backend import GroupBackends
from vmcp_components.core.render import Rendering

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
GOLDEN_YAML = GOLDEN / "eng-tools.yaml"
GOLDEN_STATUS = GOLDEN / "eng-tools.status.json"


def test_example_output_matches_the_golden_files(example_run: ExampleRun) -> None:
    run = example_run.run
    assert run.returncode == 0, run.stderr
    status_text = example_run.status_file.read_text(encoding="utf-8")
    if update_golden_requested():
        GOLDEN.mkdir(parents=True, exist_ok=True)
        GOLDEN_YAML.write_text(run.stdout, encoding="utf-8")
        GOLDEN_STATUS.write_text(status_text, encoding="utf-8")

    assert run.stdout == GOLDEN_YAML.read_text(encoding="utf-8")
    assert status_text == GOLDEN_STATUS.read_text(encoding="utf-8")


def test_golden_objects_pass_the_rendering_checks() -> None:
    # The golden text is itself checked: vMCP's validator, checksums, CA paths on mounts.
    objects = tuple(yaml.safe_load_all(GOLDEN_YAML.read_text(encoding="utf-8")))
    status = yaml.safe_load(GOLDEN_STATUS.read_text(encoding="utf-8"))
    empty = GroupBackends(group="engineering-team", backends=())
    check_rendering(Rendering(objects=objects, status=status, derivation=empty))

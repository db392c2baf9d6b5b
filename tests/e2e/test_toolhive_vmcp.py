"""The real `vmcp` of ToolHive v0.63.0 accepts every config we render (`vmcp validate`).

Each config is validated with the env its own Deployment gives the pod (the `secretKeyRef`
variables set to a placeholder: vmcp requires every `clientSecretEnv`/`headerValueEnv` it names
to be set). Covered: the golden rendering, the example rendered by the CLI, every rendering the
fast tier (tests/unit, tests/component) makes, and, through tests/e2e/conftest.py, every
rendering of this e2e session. The control proves vmcp would refuse what the operator writes.

`vmcp` is built by scripts/toolhive with two stand-ins for modules the Go proxy refuses
(`toolhive-core/redisconn`, `jwx-go/jwkfetch`; see tests/e2e/toolhive.py): `validate` loads and
checks the config only and reaches neither.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import clock
from tests.e2e import toolhive
from tests.e2e.toolhive import ToolHive, pod_env, vmcp_validate

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "eng-tools.yaml"


def _pair(objects: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    by_kind = {obj["kind"]: obj for obj in objects}
    return by_kind["ConfigMap"], by_kind["Deployment"]


def _accepted(run: subprocess.CompletedProcess[str]) -> None:
    assert run.returncode == 0, f"vmcp validate refused our config:\n{run.stdout}\n{run.stderr}"


def test_the_golden_rendering_passes(real_toolhive: ToolHive, tmp_path: Path) -> None:
    config_map, deployment = _pair(list(yaml.safe_load_all(GOLDEN.read_text())))
    _accepted(vmcp_validate(real_toolhive, tmp_path, config_map, deployment))


def test_the_example_rendered_by_the_cli_passes(real_toolhive: ToolHive, tmp_path: Path) -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "vmcp_components", "render", "--snapshot",
         str(ROOT / "examples" / "snapshot.yaml"), "--name", "eng-tools",
         "--namespace", "toolhive-system", "--group", "engineering-team"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=120,
        env=clock.subprocess_env(),
    )  # fmt: skip
    config_map, deployment = _pair(list(yaml.safe_load_all(cli.stdout)))
    assert "type: entry" in config_map["data"]["config.yaml"]
    _accepted(vmcp_validate(real_toolhive, tmp_path, config_map, deployment))


def test_every_config_the_fast_tier_renders_passes(real_toolhive: ToolHive, tmp_path: Path) -> None:
    kept = tmp_path / "renderings"
    kept.mkdir()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "tests.e2e.collect_renderings", "-m", "not e2e and not engine",
         "tests/unit", "tests/component"],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=1800,
        env={**os.environ, "VMCP_COLLECT_RENDERINGS": str(kept)},
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:]
    renderings = sorted(kept.glob("*.json"))
    assert len(renderings) >= 40, f"only {len(renderings)} renderings kept"
    refused = []
    for path in renderings:
        pair = json.loads(path.read_text())
        run = vmcp_validate(
            real_toolhive, tmp_path / path.stem, pair["ConfigMap"], pair["Deployment"]
        )
        if run.returncode != 0:
            refused.append(f"{path.name}: {run.stderr.strip()[-600:]}")
    assert not refused, f"{len(refused)} of {len(renderings)} refused:\n" + "\n".join(refused)


def test_vmcp_refuses_what_the_operator_would_write(
    real_toolhive: ToolHive, tmp_path: Path
) -> None:
    """The control: without `type: entry` next to a caBundlePath (the operator's output), or
    without a secret env var the Deployment provides, the same config is refused."""
    config_map, deployment = _pair(list(yaml.safe_load_all(GOLDEN.read_text())))
    document = yaml.safe_load(config_map["data"]["config.yaml"])
    for backend in document["backends"]:
        backend.pop("type", None)
    untyped = {**config_map, "data": {"config.yaml": yaml.safe_dump(document, sort_keys=False)}}
    run = vmcp_validate(real_toolhive, tmp_path / "untyped", untyped, deployment)
    assert run.returncode != 0
    assert 'caBundlePath is only valid when type is "entry"' in run.stdout + run.stderr

    env = pod_env(deployment, toolhive.PLACEHOLDER_SECRETS)
    del env["TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH"]
    run = vmcp_validate(real_toolhive, tmp_path / "no-secret", config_map, deployment, env=env)
    assert run.returncode != 0
    assert "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH" in run.stdout + run.stderr

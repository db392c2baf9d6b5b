"""Stack files read as the Pulumi CLI hands them to the program: the project's defaults, keys
without the project prefix, values as config strings; secrets and ESC environments refused
(render cannot decrypt or resolve them, and never copies them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from vmcp_components.core.settings.stack_files import (
    StackConfigError,
    load_stack_file,
    stack_file_config,
)

PROJECT = "name: vmcp-components\nconfig:\n  strict: {type: boolean, default: true}\n"
BASE = (
    "config:\n"
    "  vmcp-components:namespace: toolhive-system\n"
    "  group: engineering-team\n"
    "  vmcp-components:name: eng-tools\n"
)


def stack(tmp_path: Path, extra: str = "", project: str = PROJECT) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(project, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "Pulumi.test.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    return path


def test_values_reach_the_program_as_config_strings(tmp_path: Path) -> None:
    extra = "  vmcp-components:replicas: 2\n  vmcp-components:podLabels: {tier: gw}\n"
    project, config = stack_file_config(stack(tmp_path, extra))
    assert project == "vmcp-components"
    assert config == {
        "vmcp-components:strict": "true",  # the project's default
        "vmcp-components:namespace": "toolhive-system",
        "vmcp-components:group": "engineering-team",  # no prefix: the project's key
        "vmcp-components:name": "eng-tools",
        "vmcp-components:replicas": "2",
        "vmcp-components:podLabels": '{"tier":"gw"}',  # as Go's encoding/json writes it
    }
    settings = load_stack_file(tmp_path / "stacks" / "Pulumi.test.yaml")
    assert settings.args.strict is True
    assert settings.args.replicas == 2


@pytest.mark.parametrize(
    "extra",
    [
        "  vmcp-components:image: {secure: AAABAGNpcGhlcnRleHQ=}\n",
        "  vmcp-components:incomingAuth:\n"
        "    type: oidc\n"
        "    oidc: {clientSecret: {secure: AAAB}}\n",
    ],
    ids=["top-level", "nested"],
)
def test_a_secret_value_is_refused_and_not_copied(tmp_path: Path, extra: str) -> None:
    with pytest.raises(StackConfigError, match="is a secret; render cannot decrypt it") as raised:
        load_stack_file(stack(tmp_path, extra))
    assert "AAAB" not in str(raised.value)


def test_a_secret_kubeconfig_is_not_needed_offline(tmp_path: Path) -> None:
    settings = load_stack_file(stack(tmp_path, "  vmcp-components:kubeconfig: {secure: AAAB}\n"))
    assert settings.kubeconfig is None


def test_an_esc_environment_is_refused(tmp_path: Path) -> None:
    path = stack(tmp_path)
    path.write_text("environment: [prod-secrets]\n" + BASE, encoding="utf-8")
    with pytest.raises(StackConfigError, match="Pulumi ESC environment"):
        load_stack_file(path)


def test_a_stack_file_outside_a_project_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.lost.yaml"
    path.write_text(BASE, encoding="utf-8")
    with pytest.raises(StackConfigError, match=r"no Pulumi.yaml found in or above"):
        load_stack_file(path)


def test_the_repositorys_stacks_load() -> None:
    dev = load_stack_file(factories.ROOT / "stacks" / "Pulumi.dev.yaml")
    prod = load_stack_file(factories.ROOT / "stacks" / "Pulumi.prod.yaml")
    assert (dev.args.replicas, dev.args.strict) == (1, False)
    assert (prod.args.replicas, prod.args.strict, prod.context) == (3, True, "prod-cluster")

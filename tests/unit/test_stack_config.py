"""Stack files read as the Pulumi CLI reads them and hands them to the program: YAML 1.2, the
project's defaults, keys without the project prefix, values as config strings; secrets and ESC
environments refused offline (render cannot decrypt or resolve them, and never copies them);
a stack named in the project's stackConfigDir, or given as a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories
from vmcp_components.core.settings.stack_files import (
    StackConfigError,
    load_stack,
    load_stack_file,
    stack_file_config,
    stack_path,
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


# ─── read as the Pulumi CLI reads it (Go's yaml.v3, then its YAML rewrite and Go's JSON) ───

GO_VALUES = [
    # (YAML value, what the program receives)
    ("no", "no"),
    ("on", "on"),
    ("yes", "yes"),
    ("off", "off"),
    ("y", "y"),
    ("True", "true"),
    ("1.10", "1.1"),
    ("3.0", "3"),
    ("1e6", "1000000"),
    ("0x1F", "31"),
    ("0o17", "15"),
    ("0777", "511"),
    ("08", "8"),
    ("1_000", "1000"),
    ("", ""),
    ("~", ""),
    ("'007'", "007"),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.1 -0500 -0500"),
    ("2020-1-2", "2020-01-02 00:00:00 +0000 UTC"),
    ("2020-02-30", "2020-02-30"),
    ("18446744073709551616", "18446744073709552000"),
    (
        "{b: 1.0, a: no, c: '<&>', d: [1e21, 1e-7, 0.000001, null]}",
        '{"a":"no","b":1,"c":"\\u003c\\u0026\\u003e","d":[1e+21,1e-7,0.000001,null]}',
    ),
    ("{1: x, true: y}", '{"1":"x","true":"y"}'),
]


@pytest.mark.parametrize(("value", "expected"), GO_VALUES, ids=[v for v, _ in GO_VALUES])
def test_values_are_read_and_handed_over_as_the_cli_does(
    tmp_path: Path, value: str, expected: str
) -> None:
    _, config = stack_file_config(stack(tmp_path, f"  vmcp-components:image: {value}\n"))
    assert config["vmcp-components:image"] == expected


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "  vmcp-components:name: other\n",
            r"line 5: key 'vmcp-components:name' is already "
            r"defined at line 4; keep one of them",
        ),
        ("  vmcp-components:image: !!int 3\n", r"the YAML tag '!!int' is not supported"),
        ("  vmcp-components:podLabels: {x: .inf}\n", r"\.inf is not a number JSON can hold"),
        ("  vmcp-components:image: [\n", r"not valid YAML: line 6, column 1"),
    ],
    ids=["duplicate", "tag", "infinity", "syntax"],
)
def test_what_the_cli_refuses_is_refused(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(StackConfigError, match=message):
        stack_file_config(stack(tmp_path, extra))


def test_a_stack_is_a_name_in_the_project_or_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = PROJECT + "stackConfigDir: stacks\n"
    path = stack(tmp_path, project=project)
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(BASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "stacks")  # the project is found upwards, as the CLI does
    assert stack_path("test") == tmp_path / "stacks" / "Pulumi.test.yaml"
    assert stack_path("org/vmcp-components/test") == tmp_path / "stacks" / "Pulumi.test.yaml"
    assert stack_path(str(path)) == path
    assert load_stack("test").args == load_stack(path).args
    with pytest.raises(StackConfigError) as missing:
        stack_path("staging")
    assert str(missing.value) == (
        f"stack 'staging' has no stack file {tmp_path / 'stacks' / 'Pulumi.staging.yaml'}; stacks "
        "with a file there: prod, test (or give the path of a stack file)"
    )
    with pytest.raises(StackConfigError, match=r"stack file nowhere\.yaml does not exist"):
        stack_path("nowhere.yaml")

"""A value of the wrong type anywhere in the arguments: one message naming the key path and the
fix, from `parse_args`, from `VirtualMCPServerArgs.model_validate` (a ValidationError, never a
TypeError or AttributeError from a validator) and from `render --stack`, with exit 2."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests import factories
from vmcp_components.cli import main
from vmcp_components.core.settings.args import ArgsError, VirtualMCPServerArgs, parse_args

BASE = {"namespace": factories.NAMESPACE, "group": factories.GROUP}

CASES: list[tuple[dict[str, Any], str]] = [
    (
        {"podLabels": {"sidecar.istio.io/inject": True}},
        'podLabels["sidecar.istio.io/inject"]: Input should be a valid string (got True); '
        'quote it ("true") so YAML reads it as text',
    ),
    (
        {"labels": {"version": 1.10}},
        "labels.version: Input should be a valid string (got 1.1); quote it as you wrote it, "
        'e.g. "1.10"',
    ),
    ({"podAnnotations": {"port": 8080}}, "podAnnotations.port: Input should be a valid string"),
    ({"nodeSelector": {1: "a"}}, "nodeSelector[1] (the key): Input should be a valid string"),
    (
        {"serviceAnnotations": {"since": datetime.date(2024, 1, 2)}},
        "serviceAnnotations.since: Input should be a valid string (got datetime.date(2024, 1, 2)); "
        'quote it ("2024-01-02")',
    ),
    (
        {"podLabels": {"tier": None}},
        "podLabels.tier: Input should be a valid string (got None); "
        'give it a value, or write "" for an empty string',
    ),
    (
        {"labels": "tier=gw"},
        "labels: Input should be a valid dictionary (got 'tier=gw'); write a mapping",
    ),
    (
        {"replicas": "two"},
        "replicas: Input should be a valid integer, unable to parse string as an "
        "integer (got 'two'); write a whole number without quotes",
    ),
    ({"strict": "maybe"}, "strict: Input should be a valid boolean"),
    ({"entries": "fetch"}, "entries: Input should be a valid list (got 'fetch'); write a list"),
    ({"tolerations": [{"key": True}]}, "tolerations[0].key: Input should be a valid string"),
    (
        {"imagePullSecrets": [7]},
        'imagePullSecrets[0]: Input should be a valid string (got 7); quote it ("7")',
    ),
    (
        {"resources": {"limits": {"cpu": True}}},
        "resources.limits.cpu: Input should be a valid string (got True); quote it",
    ),
    (
        {
            "topologySpreadConstraints": [
                {"maxSkew": "1", "topologyKey": 5, "whenUnsatisfiable": "DoNotSchedule"}
            ]
        },
        "topologySpreadConstraints[0].topologyKey: Input should be a valid string (got 5)",
    ),
    (
        {"podDisruptionBudget": {"enabled": "no way"}},
        "podDisruptionBudget.enabled: Input should be a valid boolean",
    ),
]


@pytest.mark.parametrize(("settings", "message"), CASES, ids=[str(c[0]) for c in CASES])
def test_a_wrong_type_is_one_message_with_the_key_path_and_the_fix(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ArgsError) as raised:
        parse_args({**BASE, **settings})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("settings", "message"), CASES, ids=[str(c[0]) for c in CASES])
def test_model_validate_raises_a_validation_error_not_a_crash(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError):
        VirtualMCPServerArgs.model_validate({**BASE, **settings})


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: vmcp-components\n", encoding="utf-8")
    stack = tmp_path / "Pulumi.test.yaml"
    stack.write_text(
        "config:\n"
        "  vmcp-components:name: eng-tools\n"
        f"  vmcp-components:namespace: {factories.NAMESPACE}\n"
        f"  vmcp-components:group: {factories.GROUP}\n" + config,
        encoding="utf-8",
    )
    return stack


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "  vmcp-components:podLabels: {sidecar.istio.io/inject: true}\n",
            'podLabels["sidecar.istio.io/inject"]: Input should be a valid string (got True); '
            'quote it ("true")',
        ),
        (
            "  vmcp-components:labels: {version: 1.10}\n",
            "labels.version: Input should be a valid string (got 1.1); quote it as you wrote it",
        ),
    ],
)
def test_render_stack_with_a_wrong_type_is_one_error_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    stack = _project(tmp_path, config)
    code = main(["render", "--snapshot", str(factories.EXAMPLE_SNAPSHOT), "--stack", str(stack)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err

"""Byte-for-byte determinism (DESIGN: "sort all per-backend lists by name").

Checks: rendering the same snapshot twice gives identical text; the example snapshot with its
items shuffled (several seeds), or split into separate YAML documents, gives byte-identical
stdout and status through the CLI entry point; the order of map keys in the input does not
matter; env-clash skip reasons do not depend on the input order.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import factories
from tests.unit.helpers import example_arguments, render_checked
from vmcp_components.cli import dump_objects, main

Raw = dict[str, Any]


def _cli_output(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    status_file = snapshot.with_suffix(".status.json")
    code = main([*example_arguments(snapshot), "--status-file", str(status_file), "--quiet"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out, status_file.read_text(encoding="utf-8")


def _shuffled(items: list[Raw], seed: int) -> list[Raw]:
    result = list(items)
    random.Random(seed).shuffle(result)  # noqa: S311 - input order for a test, not crypto
    return result


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rendering_twice_is_byte_identical() -> None:
    objects = factories.example_objects()
    first = render_checked(factories.inventory(*objects))
    second = render_checked(factories.inventory(*objects))
    assert dump_objects(first) == dump_objects(second)
    assert json.dumps(first.status) == json.dumps(second.status)


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    snapshot = tmp_path_factory.mktemp("example") / "snapshot.yaml"
    snapshot.write_text(factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8"), encoding="utf-8")
    status_file = snapshot.with_suffix(".status.json")
    out = io.StringIO()  # capsys is per test; this fixture is per module
    with contextlib.redirect_stdout(out):
        assert main([*example_arguments(snapshot), "--status-file", str(status_file)]) == 0
    return out.getvalue(), status_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shuffled_example_snapshot_gives_identical_output(
    seed: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    example_output: tuple[str, str],
) -> None:
    items = _shuffled(factories.example_objects(), seed)
    assert [o["metadata"]["name"] for o in items] != [
        o["metadata"]["name"] for o in factories.example_objects()
    ]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})

    assert _cli_output(_write(tmp_path / "shuffled.yaml", text), capsys) == example_output


def test_example_as_separate_documents_gives_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_output: tuple[str, str]
) -> None:
    items = _shuffled(factories.example_objects(), 7)
    text = yaml.safe_dump_all(items)
    assert _cli_output(_write(tmp_path / "documents.yaml", text), capsys) == example_output


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reverse_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(item) for item in value]
    return value


def test_map_key_order_in_the_input_does_not_matter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_output: tuple[str, str]
) -> None:
    items = [_reverse_keys(o) for o in factories.example_objects()]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
    assert _cli_output(_write(tmp_path / "reversed.yaml", text), capsys) == example_output


def test_header_and_annotation_order_does_not_matter() -> None:
    def objects(reverse: bool) -> list[Raw]:
        headers = {"X-B": "2", "X-A": "1", "x-c": "3"}
        notes = {"b.example.com/x": "1", "a.example.com/y": "2"}
        if reverse:
            headers = dict(reversed(list(headers.items())))
            notes = dict(reversed(list(notes.items())))
        secret_headers = [("X-Two", "creds", "t"), ("X-One", "creds", "t")]
        return [
            factories.group(),
            factories.secret("creds", {"t": "dg=="}),
            factories.entry(
                "e",
                plaintext=headers,
                annotations=notes,
                secret_headers=secret_headers[::-1] if reverse else secret_headers,
            ),
        ]

    first = render_checked(factories.inventory(*objects(False)))
    second = render_checked(factories.inventory(*objects(True)))
    assert dump_objects(first) == dump_objects(second)


def test_env_clash_reasons_do_not_depend_on_input_order() -> None:
    # "a-b" clashes with "a.b" on its header manifest and with "c" on its auth secret env.
    objects = [
        factories.group(),
        factories.secret("one", {"client-secret": "dg=="}),
        factories.secret("two", {"client-secret": "dg=="}),
        factories.token_exchange("x-y", secret="one"),
        factories.token_exchange("x.y", secret="two"),
        factories.entry("a-b", plaintext={"X": "1"}, auth="x-y"),
        factories.entry("a.b", plaintext={"X": "2"}),
        factories.entry("c", auth="x.y"),
        factories.entry("ok"),
    ]
    outcomes = set()
    for seed in range(8):
        shuffled = _shuffled(objects, seed)
        rendering = render_checked(factories.inventory(*shuffled))
        outcomes.add(json.dumps(rendering.status["skippedBackends"]))
    assert len(outcomes) == 1
    [outcome] = outcomes
    assert {s["name"] for s in json.loads(outcome)} == {"a-b", "a.b", "c"}

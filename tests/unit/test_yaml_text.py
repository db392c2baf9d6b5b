"""The YAML writer (yaml_text): deterministic, safe, and the same with or without libyaml.

Checks: the libyaml emitter (used when PyYAML has it) and the pure-Python emitter write the
same bytes, including for awkward scalars; multi-line strings become `|` blocks; shared
objects are written out in full (no anchors/aliases); strings that look like other types
round-trip as strings.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests import factories
from tests.unit.helpers import render_checked
from vmcp_components import yaml_text

AWKWARD = {
    "plain": "value",
    "looks-like-bool": "true",
    "looks-like-int": "4483",
    "looks-like-null": "null",
    "empty": "",
    "braces": "{workload}_",
    "colon": "a: b",
    "hash": "# not a comment",
    "leading-space": " padded",
    "quote": 'it\'s "quoted"',
    "unicode": "naïve café ✓",
    "multi-line": "line one\nline two\n",
    "multi-line-no-newline": "one\ntwo",
    "json": '{"addPlaintextHeaders":{"X":"1"}}',
    "nested": {"list": ["a", {"b": 1}, []], "empty-map": {}},
    "number": 3,
    "bool": False,
    "none": None,
}


def _pure_dump_all(documents: list[Any]) -> str:
    """What yaml_text writes on a PyYAML without libyaml (its fallback dumper)."""
    options = dict(yaml_text._OPTIONS, Dumper=yaml_text._PureDumper)
    return yaml.dump_all(documents, **options)


def test_libyaml_is_used_when_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__, "the locked PyYAML wheels ship libyaml"
    assert issubclass(yaml_text._OPTIONS["Dumper"], yaml.CSafeDumper)


def test_libyaml_and_pure_python_write_the_same_bytes() -> None:
    rendering = render_checked(factories.inventory(*factories.example_objects()))
    documents = [*rendering.objects, AWKWARD]
    assert yaml_text.dump_all(documents) == _pure_dump_all(documents)


@pytest.mark.parametrize("key", sorted(AWKWARD))
def test_every_scalar_round_trips(key: str) -> None:
    assert yaml.safe_load(yaml_text.dump({key: AWKWARD[key]})) == {key: AWKWARD[key]}


def test_multi_line_strings_are_literal_blocks() -> None:
    assert yaml_text.dump({"config.yaml": "a: 1\nb: 2\n"}) == "config.yaml: |\n  a: 1\n  b: 2\n"


def test_shared_objects_are_written_without_aliases() -> None:
    labels = {"app": "virtualmcpserver"}
    text = yaml_text.dump({"metadata": {"labels": labels}, "selector": {"matchLabels": labels}})
    assert "&" not in text
    assert "*" not in text
    assert text.count("app: virtualmcpserver") == 2


def test_key_order_is_kept() -> None:
    assert yaml_text.dump({"b": 1, "a": 2}) == "b: 1\na: 2\n"

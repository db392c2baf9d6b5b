"""The YAML writer (yaml_text): deterministic, safe, and the same with or without libyaml.

Checks: the bytes are always the pure-Python emitter's, also where libyaml's emitter writes
other bytes (so the configChecksum cannot depend on how PyYAML was built); multi-line strings
become `|` blocks; shared objects are written out in full (no anchors/aliases); strings that
look like other types round-trip as strings; the config's dump cache changes no byte.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vmcp_components.core.output import yaml_text
from vmcp_components.core.output.vmcp_config import dump_config

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


TRICKY = {
    "empty-key": {"": ""},
    "long-key": {"k" * 200: "v"},
    "astral": {"emoji": "launch 🚀 \U0001f600"},
    "nel": {"x": "a\x85b", "a\x85": 1},
    "nel-multi-line": {"x": "a\n\x85b\n", "y": "a\x85\n"},
    "carriage-return": {"b!\r": "b!\r"},
    "line-separator": {"x": "a\u2028b\n"},
    "long-line": {"x": "word " * 2000},
    "leading-trailing-space": {"x": "  padded  ", "y": "x\n  "},
    "colon-hash": {"a: b # c": "a: b # c"},
    "non-printable": {"x": "a\x01b\x7f\ufeff"},
}


def _like_yaml_text(base: type[Any]) -> type[Any]:
    """`base` set up as yaml_text sets up its dumper: our string style, no aliases."""

    class Dumper(base):
        def ignore_aliases(self, data: object) -> bool:
            return True

    Dumper.add_representer(str, yaml_text._represent_str)
    return Dumper


def _dump_all_with(base: type[Any], documents: list[Any]) -> str:
    return yaml.dump_all(documents, **dict(yaml_text._OPTIONS, Dumper=_like_yaml_text(base)))


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_strings_are_written_as_the_pure_python_emitter_writes_them(case: str) -> None:
    documents = [TRICKY[case], AWKWARD]
    text = yaml_text.dump_all(documents)
    assert text == _dump_all_with(yaml.SafeDumper, documents)
    assert list(yaml.safe_load_all(text)) == documents


def test_libyaml_would_write_other_bytes_for_some_of_them() -> None:
    """Why libyaml's emitter is never used: it disagrees with the pure-Python one."""
    differ = {
        case
        for case, document in TRICKY.items()
        if _dump_all_with(yaml.CSafeDumper, [document]) != yaml_text.dump_all([document])
    }
    assert {"empty-key", "astral", "carriage-return"} <= differ


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


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5))
def test_the_config_dump_cache_is_transparent(document: dict[str, Any]) -> None:
    """`dump_config` keeps its last texts keyed by the document's JSON: what it returns, first
    or from the cache, is always what the emitter writes for that very document."""
    expected = yaml_text.dump(document)
    assert dump_config(document) == expected
    assert dump_config(document) == expected


def test_documents_equal_in_python_but_not_in_yaml_get_their_own_text():
    # 1 == True == 1.0 and key order does not count for ==; all of them count in the YAML.
    variants = [{"a": 1, "b": 2}, {"a": True, "b": 2}, {"a": 1.0, "b": 2}, {"b": 2, "a": 1}]
    texts = [dump_config(variant) for variant in variants]
    assert texts == [yaml_text.dump(variant) for variant in variants]
    assert len(set(texts)) == len(variants)

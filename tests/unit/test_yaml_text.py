"""The YAML writer (yaml_text): deterministic, safe, and the same with or without libyaml.

Checks: the bytes are always the pure-Python emitter's, also where libyaml's emitter writes
other bytes (so the configChecksum cannot depend on how PyYAML was built); multi-line strings
become `|` blocks; shared objects are written out in full (no anchors/aliases); strings that
look like other types round-trip as strings; the config's dump cache changes no byte; the direct
block writer (yaml_block) writes exactly the emitter's bytes whenever it writes anything, and
writes the configs the product renders.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from vmcp_components.core.output import yaml_text
from vmcp_components.core.output.vmcp_config import dump_config
from vmcp_components.core.output.yaml_block import block_text

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


def _emitter_text(document: Any) -> str:
    """What PyYAML's pure-Python emitter writes, set up as yaml_text sets it up."""
    return yaml.dump(document, **dict(yaml_text._OPTIONS, Dumper=_like_yaml_text(yaml.SafeDumper)))


# Strings built to hit each of the emitter's rules: indicators first, inside and last, spaces
# around them, words and numbers the resolver reads as other types, line breaks, control and
# non-BMP characters, and lengths near the simple-key and folding limits.
YAML_WORDS = st.sampled_from(
    [
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "",
        "1e3",
        "0x1F",
        "0o17",
        "1_000",
        "+1",
        "-1",
        ".5",
        ".inf",
        "-.Inf",
        ".NaN",
        "1:20",
        "1:20.5",
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "<<",
        "=",
        "...",
        "---",
        "--- x",
        "-",
        "?",
        ":",
        "- a",
        "? a",
        ": a",
        "a:",
        "a: b",
        "a:b",
        "a #b",
        "a#b",
        "#a",
        "'a'",
        '"a"',
        "@a",
        "`a",
        "%a",
        "!a",
        "&a",
        "*a",
        "|a",
        ">a",
        "{a}",
        "[a]",
        ",a",
        "a,b",
        "http://h:80/p?q=1#f",
        " a",
        "a ",
        "k" * 100,
        "k" * 101,
        "w " * 1600,
    ]
)
YAML_CHARACTERS = st.sampled_from(
    [
        *" :#-?'\"{}[],&*!|>%@`.~0123456789aeflnrstuxyTFNY\n\r\t",
        *("\x00", "\x01", "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe"),
        *("é", "✓", "🚀"),
    ]
)
YAML_STRINGS = YAML_WORDS | st.text(YAML_CHARACTERS, max_size=12)
YAML_SCALARS = st.none() | st.booleans() | st.integers() | YAML_STRINGS | st.floats()
YAML_DOCUMENTS = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(YAML_STRINGS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=1500, derandomize=True, database=None, deadline=None)
@given(YAML_DOCUMENTS)
def test_the_block_writer_writes_the_emitters_bytes_or_nothing(document: Any) -> None:
    text = block_text(document)
    if text is not None:
        assert text == _emitter_text(document)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=8), JSON_VALUES, max_size=6))
def test_the_block_writer_on_any_text(document: dict[str, Any]) -> None:
    text = block_text(document)
    if text is not None:
        assert text == _emitter_text(document)


def _short(word: str) -> bool:
    return 0 < len(word) <= 100


PLAIN_WORDS = st.from_regex(r"[a-z][a-z0-9.-]{0,20}(/[a-z0-9_-]{1,8}){0,3}", fullmatch=True)


@settings(max_examples=150, derandomize=True, database=None, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | PLAIN_WORDS | YAML_WORDS.filter(_short),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(PLAIN_WORDS, inner, max_size=4),
        max_leaves=25,
    ).filter(lambda d: isinstance(d, dict | list) and bool(d))
)
def test_the_block_writer_takes_documents_of_names_numbers_and_flags(document: Any) -> None:
    """Not an empty promise: what configs are made of is written here (and right)."""
    assert block_text(document) == _emitter_text(document)


LINES = st.lists(
    st.from_regex(r"( {0,3}[a-z{}:#'\"-][a-z0-9 .:#'\"{}-]{0,12}[a-z0-9.:'\"{}])?", fullmatch=True),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(LINES, st.booleans(), st.sampled_from(["key", "item"]))
def test_the_block_writer_takes_multi_line_strings(
    lines: list[str], final_break: bool, where: str
) -> None:
    """Config files, policies and templates as `|` blocks, under a key or in a list."""
    text = "\n".join(lines) + ("\n" if final_break else "")
    document: Any = {"a": {"b": text}} if where == "key" else {"a": [text, {"b": text}]}
    written = block_text(document)
    if "\n" in text and text[0] not in " \n" and not text.endswith("\n\n"):
        assert written is not None
    if written is not None:
        assert written == _emitter_text(document)


@pytest.mark.parametrize("golden", ["eng-tools", "openshift", "workload"])
def test_the_goldens_are_written_by_the_block_writer(golden: str) -> None:
    """Every object of the example renderings, config.yaml's ConfigMap too."""
    text = (factories.ROOT / "tests" / "golden" / f"{golden}.yaml").read_text(encoding="utf-8")
    objects = list(yaml.safe_load_all(text))
    config_map = next(o for o in objects if o["kind"] == "ConfigMap")
    for document in [*objects, yaml.safe_load(config_map["data"]["config.yaml"])]:
        assert block_text(document) == _emitter_text(document)
    assert yaml_text.dump_all(objects) == text

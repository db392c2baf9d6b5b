"""Block YAML written directly, byte for byte as PyYAML's emitter writes it, for simple documents.

PyYAML's pure-Python emitter goes through nodes, events and a character-by-character analysis
of every scalar: about 0.3 s for a 1,000-backend config.yaml, the largest part of a large
group's own time. Most documents hold only mappings with string keys, lists, strings, integers,
booleans and nulls, which the emitter writes in block style with plain, single-quoted or `|`
scalars. `block_text` writes such a document itself, applying the emitter's own rules (and
PyYAML's own resolver, for the strings that would read back as another type), and gives up
(None) at the first thing outside them: a float, a non-printable string, a multi-line one the
emitter would write with an indicator or quoted, a key it would not write as it is, a string
long enough to be folded, an empty collection at the root. `yaml_text` then uses the emitter.
`tests/unit/test_yaml_text.py` checks on generated documents that every text written here is
the emitter's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import cast

import yaml
from yaml.resolver import Resolver

_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
# The stubs leave the resolver's method unannotated, so strict pyright calls it partially unknown.
_resolve = cast(
    "Callable[[type[yaml.Node], str, tuple[bool, bool]], str]",
    _RESOLVER.resolve,  # pyright: ignore[reportUnknownMemberType]
)
_PRINTABLE_CHARACTERS = (
    "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe"
)
"""Characters the emitter (with `allow_unicode`) writes as they are: no line break (NEL, LS
and PS are ones), no control character, no BOM."""
_PRINTABLE = re.compile(f"[{_PRINTABLE_CHARACTERS}]*")
_PRINTABLE_LINES = re.compile(f"[{_PRINTABLE_CHARACTERS}\n]*")
_LEADING_INDICATORS = "#,[]{}&*!|>'\"%@`"
_LONGEST_KEY = 100
"""The emitter writes a key as `key:` only below 128 characters with its tag (`!!str`)."""
_NEVER_FOLDED = 3_000
"""With width 4096, a string this short starting within the deepest indent allowed is never
folded at a space."""
_DEEPEST = 200
"""Nesting levels written here at most (indent 2 each); deeper documents go to the emitter."""


class _Unsupported(Exception):
    """Something the emitter writes otherwise than this module would."""


def block_text(document: object) -> str | None:
    """`document` as the emitter writes it, or None when it is not one written here."""
    if type(document) not in (dict, list) or not document:
        return None
    lines: list[str] = []
    try:
        _write(document, 0, lines, "")
    except _Unsupported:
        return None
    return "\n".join(lines) + "\n"


def _write(node: object, indent: int, lines: list[str], lead: str) -> None:
    """Append the lines of a non-empty mapping or sequence at `indent`.

    `lead` is the start of the first line when it is already begun (`- ` of a sequence item,
    indented), else empty.
    """
    if indent > 2 * _DEEPEST:
        raise _Unsupported
    pad = " " * indent
    if type(node) is dict:
        for index, (key, value) in enumerate(cast("dict[object, object]", node).items()):
            start = (lead if index == 0 and lead else pad) + _key(key) + ":"
            _write_entry(value, indent + 2, indent, lines, start)
        return
    for index, item in enumerate(cast("list[object]", node)):
        start = (lead if index == 0 and lead else pad) + "-"
        # A mapping or sequence in an item starts on the item's line, two columns in.
        _write_entry(item, indent + 2, indent + 2, lines, start)


def _write_entry(
    value: object, nested_indent: int, sequence_indent: int, lines: list[str], start: str
) -> None:
    """Finish the line `start` (`key:` or `-`) with `value`, or continue below it.

    A mapping under a key goes on the next lines at `nested_indent`; a sequence under a key at
    the key's own indent (the emitter's indentless sequences). In a sequence item both start
    on the item's line: `sequence_indent` is then the item's content column. A multi-line
    string is a `|` block whose lines are at `nested_indent`.
    """
    kind = type(value)
    if kind is str and "\n" in cast(str, value):
        header, body = _literal(cast(str, value))
        lines.append(start + " " + header)
        pad = " " * nested_indent
        lines.extend(pad + line if line else "" for line in body)
        return
    if kind is dict or kind is list:
        if not value:
            lines.append(start + (" {}" if kind is dict else " []"))
        elif start.endswith("-"):
            _write(value, sequence_indent, lines, start + " ")
        else:
            lines.append(start)
            indent = nested_indent if kind is dict else nested_indent - 2
            _write(value, indent, lines, "")
        return
    text = _scalar(value)
    if len(start) + len(text) >= _NEVER_FOLDED and " " in text:
        raise _Unsupported
    lines.append(start + " " + text)


def _key(key: object) -> str:
    if type(key) is not str or not key or len(key) > _LONGEST_KEY:
        raise _Unsupported
    return _string(key)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is str:
        return _string(cast(str, value)) if value else "''"
    raise _Unsupported


@functools.lru_cache(maxsize=1 << 16)
def _string_or_none(text: str) -> str | None:
    if len(text) > _NEVER_FOLDED or not _PRINTABLE.fullmatch(text):
        return None
    if _plain(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _literal(text: str) -> tuple[str, list[str]]:
    """The `|` header and the lines of a multi-line string, as the emitter writes them.

    Only the plain case: printable lines, none ending in a space, no leading space or break
    (the emitter adds an indentation indicator), ending in at most one break (with more it
    adds `+` and may close the stream with `...`).
    """
    if (
        not _PRINTABLE_LINES.fullmatch(text)
        or text[0] in " \n"
        or text.endswith((" ", "\n\n"))
        or " \n" in text
    ):
        raise _Unsupported
    if text.endswith("\n"):
        return "|", text[:-1].split("\n")
    return "|-", text.split("\n")


def _string(text: str) -> str:
    written = _string_or_none(text)
    if written is None:
        raise _Unsupported
    return written


def _plain(text: str) -> bool:
    """Whether the emitter writes the (printable, one-line, non-empty) `text` without quotes.

    Its analysis in block context, then its resolver: a string that would read back as a
    number, a boolean, a null, a date, ... is quoted.
    """
    first = text[0]
    followed_by_space = len(text) == 1 or text[1] == " "
    if (
        text.startswith(("---", "..."))
        or first in _LEADING_INDICATORS
        or (first in "?:-" and followed_by_space)
        or ": " in text
        or text.endswith((":", " "))
        or " #" in text
        or first == " "
    ):
        return False
    return _resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG

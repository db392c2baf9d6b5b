"""Deterministic YAML text: block style, no aliases, `|` for multi-line strings.

Sequences under a mapping key are not indented (libyaml's and kubectl's style). Always
PyYAML's pure-Python emitter, never libyaml's: the two write different bytes for some strings
(empty or long keys, characters outside the BMP, NEL, CR), so the C emitter would make the
`configChecksum` depend on how PyYAML was built. Documents made only of what that emitter writes
in block style with plain or single-quoted scalars (most of them) are written by `yaml_block`
instead, to the same bytes, in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import yaml
from yaml.representer import SafeRepresenter

from vmcp_components.core.output.yaml_block import block_text


def _represent_str(dumper: SafeRepresenter, value: str) -> yaml.ScalarNode:
    # NEL (U+0085) is a YAML line break: written raw, plain, quoted or in a block, it reads back
    # as a space or a newline. Only a double-quoted scalar escapes it (`\N`).
    style = '"' if "\x85" in value else "|" if "\n" in value else None
    # The stubs leave `value` unannotated, so strict pyright calls the method partially unknown.
    represent = cast(
        "Callable[..., yaml.ScalarNode]",
        dumper.represent_scalar,  # pyright: ignore[reportUnknownMemberType]
    )
    return represent("tag:yaml.org,2002:str", value, style=style)


class _Dumper(yaml.SafeDumper):
    """`yaml.SafeDumper` with our string style and without aliases (shared dicts written out)."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_Dumper.add_representer(str, _represent_str)

_OPTIONS: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "default_flow_style": False,
    "allow_unicode": True,
    "width": 4096,
}


def dump(document: Any) -> str:
    """`document` as one YAML document."""
    text = block_text(document)
    return cast("str", yaml.dump(document, **_OPTIONS)) if text is None else text


def dump_all(documents: Iterable[Any]) -> str:
    """`documents` as multi-document YAML (`---` between documents)."""
    listed = list(documents)
    texts = [block_text(document) for document in listed]
    if any(text is None for text in texts):
        return cast("str", yaml.dump_all(listed, **_OPTIONS))
    return "---\n".join(cast("list[str]", texts))

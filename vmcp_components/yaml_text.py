"""Deterministic YAML text: block style, no aliases, `|` for multi-line strings.

Sequences under a mapping key are not indented (libyaml's and kubectl's style). The dumper
uses libyaml's C emitter when PyYAML has it, which is several times faster on large groups;
the pure-Python emitter, used otherwise, writes the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import yaml
from yaml.representer import SafeRepresenter


def _represent_str(dumper: SafeRepresenter, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    # The stubs leave `value` unannotated, so strict pyright calls the method partially unknown.
    represent = cast(
        "Callable[..., yaml.ScalarNode]",
        dumper.represent_scalar,  # pyright: ignore[reportUnknownMemberType]
    )
    return represent("tag:yaml.org,2002:str", value, style=style)


def _dumper(base: type[SafeRepresenter]) -> type[SafeRepresenter]:
    """`base` with our string style and without aliases (shared dicts are written out)."""

    class Dumper(base):
        def ignore_aliases(self, data: object) -> bool:
            return True

    Dumper.add_representer(str, _represent_str)
    return Dumper


_PureDumper = _dumper(yaml.SafeDumper)
_Dumper = _dumper(yaml.CSafeDumper) if yaml.__with_libyaml__ else _PureDumper


_OPTIONS: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "default_flow_style": False,
    "allow_unicode": True,
    "width": 4096,
}


def dump(document: Any) -> str:
    """`document` as one YAML document."""
    return cast("str", yaml.dump(document, **_OPTIONS))


def dump_all(documents: Iterable[Any]) -> str:
    """`documents` as multi-document YAML (`---` between documents)."""
    return cast("str", yaml.dump_all(list(documents), **_OPTIONS))

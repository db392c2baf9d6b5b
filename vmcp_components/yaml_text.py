"""Deterministic YAML text: block style, no aliases, `|` for multi-line strings.

Sequences under a mapping key are not indented (libyaml's and kubectl's style). The dumper
uses libyaml's C emitter when PyYAML has it, which is several times faster on large groups;
the pure-Python emitter, used otherwise, writes the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from yaml.representer import SafeRepresenter


def _represent_str(dumper: SafeRepresenter, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dumper(base: type[yaml.SafeDumper] | type[yaml.CSafeDumper]) -> Any:
    """`base` with our string style and without aliases (shared dicts are written out)."""

    class Dumper(base):  # pyright: ignore[reportGeneralTypeIssues] - a union of two bases
        def ignore_aliases(self, data: Any) -> bool:
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
    return yaml.dump(document, **_OPTIONS)


def dump_all(documents: Iterable[Any]) -> str:
    return yaml.dump_all(list(documents), **_OPTIONS)

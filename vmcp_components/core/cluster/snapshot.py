"""Snapshot files: `kubectl get -o yaml` output read into an `Inventory`, safely.

A snapshot may come from anywhere, so reading it is guarded: a size limit checked before
parsing, duplicate keys, alias bombs and recursive aliases refused, deep nesting turned into
an error, and YAML errors that name the place and kind of problem but never echo the text (it
may be a Secret's value). libyaml's C parser is used when PyYAML has it, under the same guards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor

from vmcp_components.core.cluster.inventory import (
    Inventory,
    SnapshotError,
    build_inventory,
    mapping_or_empty,
)
from vmcp_components.errors import echo

MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024
"""A larger snapshot is refused unread (a namespace's ToolHive objects are far smaller)."""
MAX_ALIASES = 100
"""YAML alias nodes allowed in one snapshot (`kubectl get -o yaml` writes none)."""
MAX_ALIAS_EXPANSION = 100_000
"""Nodes all aliases may expand to, together: refuses a "billion laughs" document."""


def _expand(item: object) -> Iterator[object]:
    fields = mapping_or_empty(item)
    if fields.get("kind") == "List":
        items = fields.get("items")
        if not isinstance(items, list):
            raise SnapshotError("a 'kind: List' document has no 'items' list")
        for inner in cast("list[object]", items):
            yield from _expand(inner)
    else:
        yield item


def _flatten(documents: Iterable[object]) -> Iterator[object]:
    for document in documents:
        if document is not None:
            yield from _expand(document)


class _RefusedYAML(yaml.MarkedYAMLError):
    """YAML this loader refuses: a key twice in a mapping, too many aliases, a recursive one."""


class _Guards(Composer, SafeConstructor):
    """The protections every snapshot loader has, whichever parser feeds it events.

    Nodes are composed here, in Python, also over libyaml's parser: libyaml's own composer
    recurses in C and overflows the C stack on deep nesting, this one ends in a RecursionError.
    Refused: duplicate keys, more than MAX_ALIASES aliases, aliases expanding to more than
    MAX_ALIAS_EXPANSION nodes, recursive aliases, and values their YAML type cannot hold.
    """

    def __init__(self) -> None:
        Composer.__init__(self)
        self._aliases = 0
        self._expanded = 0
        self._open: set[str] = set()  # anchors of collections still being composed
        self._sizes: dict[int, int] = {}

    def _size(self, node: yaml.Node) -> int:
        """Nodes under `node` with every alias expanded (memoised: shared nodes count once)."""
        size = self._sizes.get(id(node))
        if size is None:
            if isinstance(node, yaml.SequenceNode):
                children: list[yaml.Node] = list(node.value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]  # pyright: ignore[reportUnknownVariableType, reportUnknownMemberType]
            else:
                children = []
            size = 1 + sum(self._size(child) for child in children)
            self._sizes[id(node)] = size
        return size

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            return super().compose_node(parent, index)
        event = cast(yaml.AliasEvent, self.peek_event())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        anchor = cast(str, event.anchor)
        mark = cast(yaml.Mark, event.start_mark)
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise _RefusedYAML(
                problem=f"more than {MAX_ALIASES} aliases (*name); write the values out",
                problem_mark=mark,
            )
        if anchor in self._open:
            raise _RefusedYAML(
                problem=f"alias *{echo(anchor)[1:-1]} refers to a collection that contains it",
                problem_mark=mark,
            )
        node = super().compose_node(parent, index)
        self._expanded += self._size(node) if node is not None else 0
        if self._expanded > MAX_ALIAS_EXPANSION:
            raise _RefusedYAML(
                problem=f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes; write the "
                "values out",
                problem_mark=mark,
            )
        return node

    def compose_sequence_node(self, anchor: str | None) -> yaml.Node:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._composing(anchor, super().compose_sequence_node)  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]

    def compose_mapping_node(self, anchor: str | None) -> yaml.Node:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._composing(anchor, super().compose_mapping_node)  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]

    def _composing(self, anchor: str | None, compose: Any) -> yaml.Node:
        if anchor is None:
            return compose(anchor)
        self._open.add(anchor)
        try:
            return compose(anchor)
        finally:
            self._open.discard(anchor)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # pyright: ignore[reportUnknownMemberType]
        except (ValueError, KeyError, OverflowError):  # `2020-13-45`, `!!int x`, `!!bool maybe`
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise _RefusedYAML(
                problem=f"the value is not a valid {kind}; quote it to keep it a string",
                problem_mark=node.start_mark,
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise _RefusedYAML(
                    problem=f"duplicate key {echo(key)}; a key may appear once per mapping",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


SnapshotLoader = type[yaml.SafeLoader] | type[yaml.CSafeLoader]


def _guarded(parser: type[Any]) -> SnapshotLoader:
    """`parser` (yaml.SafeLoader or yaml.CSafeLoader) with the `_Guards`."""

    class Loader(_Guards, parser):
        def __init__(self, stream: str) -> None:
            parser.__init__(self, stream)  # pyright: ignore[reportCallIssue] (Any: two bases)
            _Guards.__init__(self)

    return cast("SnapshotLoader", Loader)


LOADERS: dict[str, SnapshotLoader] = {"python": _guarded(yaml.SafeLoader)}
"""The snapshot loaders by parser; libyaml's C parser, when PyYAML has it, reads 3x faster."""
if yaml.__with_libyaml__:
    LOADERS["libyaml"] = _guarded(yaml.CSafeLoader)
LOADER = LOADERS.get("libyaml", LOADERS["python"])
"""The loader `load_snapshot` uses."""

_NOT_YAML_TEXT = re.compile(r"[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character no YAML stream may hold (YAML 1.1 `c-printable`), as both parsers check it."""
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_PYYAML_LITERAL = re.compile(r"'(?:<[a-z ]+>|[ !,.:>\[\]{}])'")
"""Quoted text PyYAML writes itself: token names (`'<scalar>'`) and indicator characters."""
_DANGLING = re.compile(r",? but (?:found|got)$")
"""What is left of `..., but found %r` once the input is taken out."""


def load_snapshot(text: str, namespace: str, source: str = "snapshot") -> Inventory:
    """Read `kubectl get -o yaml` output (a List) or multi-document YAML into an Inventory.

    Refused with a SnapshotError: over MAX_SNAPSHOT_BYTES, not YAML, a key twice in a mapping,
    more than MAX_ALIASES aliases or a recursive one, nesting too deep for the parser. A YAML
    error names the line, column and kind of problem, never the text there (it may be a
    Secret's value).
    """
    if len(text) > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"{source}: {snapshot_too_large()}")
    if bad := _NOT_YAML_TEXT.search(text):  # before encoding: a lone surrogate cannot be
        raise SnapshotError(
            f"{source}: not valid YAML{_place(text, bad.start())}: a control character or "
            "other character YAML does not allow; write it as an escape in a double-quoted "
            "string"
        )
    if len(text.encode("utf-8")) > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"{source}: {snapshot_too_large()}")
    try:
        return _load(text, namespace, source)
    except RecursionError:
        raise SnapshotError(
            f"{source}: nested too deeply to read; a Kubernetes object is a few levels deep"
        ) from None


def snapshot_too_large() -> str:
    """The message for a snapshot over MAX_SNAPSHOT_BYTES."""
    return (
        f"larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB; snapshot only the group's "
        "namespace and the kinds render reads"
    )


def _place(text: str, index: int) -> str:
    """` at line L, column C` of character `index` of `text`."""
    line, column = text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)
    return f" at line {line}, column {column}"


def _problem(error: yaml.YAMLError) -> str:
    """The kind of problem, without the input PyYAML quotes in its messages."""
    problem = getattr(error, "problem", None)
    if not isinstance(problem, str):
        return "the text cannot be read as YAML"
    if isinstance(error, _RefusedYAML):
        return problem  # ours: echoes only keys and anchor names, bounded
    kept = _QUOTED.sub(lambda m: m[0] if _PYYAML_LITERAL.fullmatch(m[0]) else "", problem)
    return _DANGLING.sub("", " ".join(kept.split()))


def _load(text: str, namespace: str, source: str) -> Inventory:
    try:
        documents: list[object] = list(yaml.load_all(text, Loader=LOADER))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SnapshotError(f"{source}: not valid YAML{place}: {_problem(error)}") from None
    objects = list(_flatten(documents))
    if not objects:
        raise SnapshotError(f"{source}: holds no Kubernetes objects")
    return build_inventory(namespace, objects, source)

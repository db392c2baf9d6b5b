"""The objects of one namespace that derivation may look at, parsed once, typed.

An `Inventory` is the pure boundary between "where the objects came from" (a `kubectl get -o
yaml` snapshot, lightkube, or Pulumi get-calls) and the derivation. `build_inventory` is the
one place raw objects are parsed: each ToolHive object becomes its model, or a `Malformed`
with the precise schema problem (a malformed member is skipped with it later); a ConfigMap
keeps its `data`; a Secret keeps only the names of its keys, its values are dropped here and
never stored. Nothing downstream looks at a raw object again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor

from vmcp_components.errors import VmcpError, echo
from vmcp_components.kinds import BY_KIND, ToolHiveKind
from vmcp_components.models import Malformed, WireModel, parse_object

CORE_KINDS = ("ConfigMap", "Secret")
MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024
"""A larger snapshot is refused unread (a namespace's ToolHive objects are far smaller)."""
MAX_ALIASES = 100
"""YAML alias nodes allowed in one snapshot (`kubectl get -o yaml` writes none)."""
MAX_ALIAS_EXPANSION = 100_000
"""Nodes all aliases may expand to, together: refuses a "billion laughs" document."""

Model = TypeVar("Model", bound=WireModel)


class SnapshotError(VmcpError):
    """The objects cannot be read as Kubernetes objects (not a mapping, no name, duplicates)."""


@dataclass(frozen=True)
class Inventory:
    """Parsed objects of one namespace, by kind and name; Secrets as key names only."""

    namespace: str
    toolhive: Mapping[str, Mapping[str, WireModel | Malformed]] = field(
        default_factory=dict[str, Mapping[str, WireModel | Malformed]]
    )
    """ToolHive objects by kind, then name: the model, or `Malformed` when the schema fails."""
    config_maps: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict[str, Mapping[str, str]]
    )
    """ConfigMap `data` by ConfigMap name."""
    secret_keys: Mapping[str, frozenset[str]] = field(default_factory=dict[str, frozenset[str]])
    """The key names of each Secret; values are never kept."""

    def of_kind(self, kind: ToolHiveKind[Model]) -> Mapping[str, Model | Malformed]:
        """The objects of `kind` by name."""
        return cast("Mapping[str, Model | Malformed]", self.toolhive.get(kind.kind, {}))

    def get(self, kind: ToolHiveKind[Model], name: str) -> Model | Malformed | None:
        """The object `name` of `kind`, None when the namespace has none."""
        return self.of_kind(kind).get(name)


def _mapping(section: object) -> Mapping[object, object]:
    return cast("Mapping[object, object]", section) if isinstance(section, Mapping) else {}


def _key_names(section: object) -> frozenset[str]:
    return frozenset(key for key in _mapping(section) if isinstance(key, str))


def _config_map_data(section: object) -> dict[str, str]:
    items = _mapping(section).items()
    return {k: str(v) for k, v in items if isinstance(k, str) and v is not None}


def build_inventory(
    namespace: str,
    objects: Iterable[object],
    source: str,
    secret_keys: Mapping[str, frozenset[str]] | None = None,
) -> Inventory:
    """Parse the objects of `namespace`; other namespaces and unknown kinds are ignored.

    `secret_keys` adds Secrets already reduced to key names (discovery's plan).
    """
    toolhive: dict[str, dict[str, WireModel | Malformed]] = {}
    config_maps: dict[str, dict[str, str]] = {}
    keys: dict[str, frozenset[str]] = dict(secret_keys or {})
    seen: set[tuple[str, str]] = set()
    for index, obj in enumerate(objects):
        where = f"{source}: object #{index + 1}"
        raw, kind, name, obj_namespace = _identity(obj, where)
        if (kind not in BY_KIND and kind not in CORE_KINDS) or (
            obj_namespace or namespace
        ) != namespace:
            continue
        _check_api_version(raw, kind, f"{where} ({kind} {echo(name)})")
        if (kind, name) in seen:
            raise SnapshotError(
                f"{source}: {kind} {echo(name)} appears twice in namespace {echo(namespace)}"
            )
        seen.add((kind, name))
        for section in ("data", "stringData") if kind in CORE_KINDS else ():
            if not isinstance(raw.get(section) or {}, Mapping):
                raise SnapshotError(f"{where} ({kind} {echo(name)}): {section} is not a mapping")
        if kind == "Secret":
            keys[name] = _key_names(raw.get("data")) | _key_names(raw.get("stringData"))
        elif kind == "ConfigMap":
            config_maps[name] = _config_map_data(raw.get("data"))
        else:
            toolhive.setdefault(kind, {})[name] = parse_object(BY_KIND[kind].model, raw)
    return Inventory(namespace, toolhive, config_maps, keys)


def extend_inventory(inventory: Inventory, objects: Iterable[object], source: str) -> Inventory:
    """`inventory` plus objects of kinds it does not hold yet (each parsed once, here)."""
    more = build_inventory(inventory.namespace, objects, source)
    return Inventory(
        inventory.namespace,
        {**inventory.toolhive, **more.toolhive},
        {**inventory.config_maps, **more.config_maps},
        {**inventory.secret_keys, **more.secret_keys},
    )


def _identity(obj: object, where: str) -> tuple[Mapping[str, Any], str, str, str | None]:
    """(the object, kind, name, namespace), or SnapshotError when it is not a Kubernetes object."""
    if not isinstance(obj, dict):
        raise SnapshotError(
            f"{where}: expected a Kubernetes object (a mapping), got {type(obj).__name__}"
        )
    raw = cast("dict[str, Any]", obj)
    kind, api_version, metadata = raw.get("kind"), raw.get("apiVersion"), raw.get("metadata")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        raise SnapshotError(
            f"{where}: not a Kubernetes object (needs string 'apiVersion' and 'kind')"
        )
    meta = _mapping(metadata)
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        raise SnapshotError(f"{where}: {kind} has no metadata.name")
    if namespace is not None and not isinstance(namespace, str):
        raise SnapshotError(f"{where}: {kind} {echo(name)} has a non-string metadata.namespace")
    return raw, kind, name, namespace


def _check_api_version(obj: Mapping[str, Any], kind: str, where: str) -> None:
    api_version = obj["apiVersion"]
    expected = ["v1"] if kind in CORE_KINDS else list(BY_KIND[kind].accepted_api_versions)
    if api_version not in expected:
        raise SnapshotError(f"{where}: apiVersion {echo(api_version)} is not one of {expected}")


def _expand(item: object) -> Iterator[object]:
    fields = _mapping(item)
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

"""YAML read the way the Pulumi CLI reads a stack file, and values as the CLI hands them over.

The CLI (Go, `gopkg.in/yaml.v3`) reads YAML 1.2's core schema, not PyYAML's YAML 1.1: only
`true`/`false` (and their `True`/`TRUE` spellings) are booleans, so `yes`, `no`, `on`, `off` and
`y` stay strings; `~`, `null` and the empty value are null; integers are decimal, `0x`, `0o`,
`0b` or a leading `0` (octal), with `_` allowed anywhere; a timestamp is only a plain
`YYYY-M-D[(T|t| )h:m:s[.frac][zone]]`; a key twice in one mapping is an error.

The CLI then writes the stack back as YAML and reads it again into its config map: a value that
is a scalar reaches the program as Go prints it (`3.0` as `3`, `1e6` as `1000000`, a timestamp
as `time.Time.String()` does), a null as the empty string, and a list or mapping as the JSON Go's
`encoding/json` writes (keys sorted, `<`, `>`, `&` escaped, numbers as Go prints them).
`config_string` produces exactly that text, so a setting is validated on the string the program
will receive (the engine tier compares it with `pulumi config --json`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import yaml

from vmcp_components.errors import echo

_PLAIN = "tag:vmcp,2025:go-plain"
_CORE = "tag:yaml.org,2002:"
_STR = f"{_CORE}str"
_INT = re.compile(r"[-+]?(0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?(Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?))?"
)
_KEYWORDS: dict[str, object] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}


class GoYamlError(ValueError):
    """The text is not YAML the Pulumi CLI reads, or holds a value it cannot hand over."""


@dataclass(frozen=True)
class Timestamp:
    """A plain YAML timestamp, as the CLI reads it: kept as its RFC 3339 text (Go's format)."""

    text: str

    def go_string(self) -> str:
        """As Go's `time.Time.String()` prints it, which is what a top-level value becomes.

        `2001-12-14 21:59:43.1 -0500 -0500`: a parsed offset is a zone without a name, so Go
        repeats the offset; UTC (`Z`, or no zone at all) is `+0000 UTC`.
        """
        date, _, rest = self.text.partition("T")
        zone_at = len(rest) - 1 if rest.endswith("Z") else len(rest) - 6
        clock, zone = rest[:zone_at], rest[zone_at:]
        if zone == "Z":
            return f"{date} {clock} +0000 UTC"
        offset = zone.replace(":", "")
        return f"{date} {clock} {offset} {offset}"


def _timestamp(value: str) -> Timestamp | None:
    """The timestamp yaml.v3 reads from a plain scalar (Go's `time.Parse`), or None."""
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    groups = match.groups()
    year, month, day = (int(g) for g in groups[:3])
    clock = groups[3:6] if groups[3] is not None else groups[8:11]
    fraction = groups[6] if groups[3] is not None else groups[11]
    hour, minute, second = (int(g) if g is not None else 0 for g in clock)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (1 <= month <= 12 and 1 <= day <= days[month - 1]):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    digits = (fraction or "")[:9].ljust(9, "0").rstrip("0")
    zone = groups[7] or "Z"
    if zone in ("+00:00", "-00:00"):
        zone = "Z"
    frac = f".{digits}" if digits else ""
    clock_text = f"{hour:02d}:{minute:02d}:{second:02d}{frac}"
    return Timestamp(f"{year:04d}-{month:02d}-{day:02d}T{clock_text}{zone}")


def _go_int(text: str) -> int:
    """An integer as Go's `strconv.ParseInt(text, 0, 64)` reads it (its range unchecked)."""
    sign, digits = (text[0], text[1:]) if text[0] in "+-" else ("", text)
    prefix = digits[1:2].lower() if digits[:1] == "0" else ""
    if prefix in ("b", "o", "x"):
        number = int(digits[2:], {"b": 2, "o": 8, "x": 16}[prefix])
    elif digits[:1] == "0" and len(digits) > 1:
        number = int(digits[1:], 8)  # a leading 0: octal, as YAML 1.1 and Go read it
    else:
        number = int(digits)
    return -number if sign == "-" else number


def resolve_plain(value: str) -> object:
    """What yaml.v3 reads an unquoted scalar as (its `resolve`, YAML 1.2 core schema)."""
    if value in _KEYWORDS:
        return _KEYWORDS[value]
    hint = value[:1]
    if hint == ".":
        return float(value) if _DOT_FLOAT.fullmatch(value) else value
    if not hint or not ((hint.isdigit() and hint.isascii()) or hint in "+-"):
        return value
    if stamp := _timestamp(value):
        return stamp
    plain = value.replace("_", "")
    if _INT.fullmatch(plain):
        number = _go_int(plain)
        if -(2**63) <= number < 2**63 or (plain[0] not in "+-" and number < 2**64):
            return number  # int64, else uint64 (no sign); larger: a float
    if _FLOAT.fullmatch(plain):
        number = float(plain)
        if not math.isinf(number):  # Go refuses an overflow: the scalar stays a string
            return number
    return value


def _digits(number: float) -> tuple[str, int]:
    """The shortest digits of `abs(number)` (non-zero) and the decimal point's place in them."""
    sign_digits = Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(str(d) for d in sign_digits.digits)
    return digits, len(digits) + int(sign_digits.exponent)


def _exponent_form(digits: str, point: int, width: int) -> str:
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    exp = point - 1
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{width}d}"


def _fixed_form(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return f"{digits[:point]}.{digits[point:]}"


def go_yaml_float(number: float) -> str:
    """`number` as yaml.v3 writes it (Go's `strconv.FormatFloat(f, 'g', -1, 64)`)."""
    if math.isnan(number):
        return ".nan"
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        return f"{sign}0"
    digits, point = _digits(number)
    exp = point - 1
    text = _exponent_form(digits, point, 2) if exp < -4 or exp >= 6 else _fixed_form(digits, point)
    return sign + text


def go_config_float(number: float) -> str:
    """A top-level float as the CLI hands it over (Go's `strconv.FormatFloat(f, 'f', -1, 64)`).

    The shortest digits that read back as the same float, never in exponent form: `1e6` is
    `1000000`, 2^64 is `18446744073709552000`.
    """
    if math.isnan(number) or math.isinf(number):
        return {".inf": "+Inf", "-.inf": "-Inf"}.get(go_yaml_float(number), "NaN")
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        return f"{sign}0"
    return sign + _fixed_form(*_digits(number))


def _go_json_float(number: float, where: str) -> str:
    """`number` as Go's encoding/json writes it."""
    if math.isnan(number) or math.isinf(number):
        raise GoYamlError(
            f"{where}: {go_yaml_float(number)} is not a number JSON can hold; quote it"
        )
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    if number == 0:
        return f"{sign}0"
    digits, point = _digits(number)
    if abs(number) < 1e-6 or abs(number) >= 1e21:
        text = _exponent_form(digits, point, 2)
        text = re.sub(r"e-0(\d)$", r"e-\1", text)
    else:
        text = _fixed_form(digits, point)
    return sign + text


def _rewritten(value: object) -> object:
    """A scalar as the CLI reads it back after writing the stack as YAML (`1.0` becomes `1`)."""
    if isinstance(value, float):
        return resolve_plain(go_yaml_float(value))
    return value


def _go_text(value: object) -> str:
    """A scalar as Go's `fmt.Sprint` (`%v`) writes it: keys of a mapping, project defaults."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        text = go_yaml_float(value)
        return {".inf": "+Inf", "-.inf": "-Inf", ".nan": "NaN"}.get(text, text)
    if isinstance(value, Timestamp):
        return value.text
    return "<nil>" if value is None else str(value)


def _plain_data(value: object, where: str) -> object:
    """The value as Go's JSON writes it, as Python data (keys as text, scalars rewritten)."""
    value = _rewritten(value)
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        return {
            _go_text(_rewritten(key)): _plain_data(item, f"{where}.{key}")
            for key, item in mapping.items()
        }
    if isinstance(value, list):
        return [
            _plain_data(item, f"{where}[{i}]") for i, item in enumerate(cast("list[object]", value))
        ]
    if isinstance(value, Timestamp):
        return value.text
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise GoYamlError(
            f"{where}: {go_yaml_float(value)} is not a number JSON can hold; quote it"
        )
    return value


def _json_string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    for char in "<>&\u2028\u2029":  # Go escapes these for HTML and JavaScript
        quoted = quoted.replace(char, f"\\u{ord(char):04x}")
    return quoted


def _json(data: object) -> str:
    if isinstance(data, dict):
        items = sorted(cast("dict[str, object]", data).items())
        return "{" + ",".join(f"{_json_string(k)}:{_json(v)}" for k, v in items) + "}"
    if isinstance(data, list):
        return "[" + ",".join(_json(v) for v in cast("list[object]", data)) + "]"
    if isinstance(data, str):
        return _json_string(data)
    if isinstance(data, float):
        return _go_json_float(data, "")
    return json.dumps(data)  # bool, None, int


def go_json(value: object, where: str = "value") -> str:
    """`value` as Go's `json.Marshal` writes it (after the CLI's YAML rewrite)."""
    return _json(_plain_data(value, where))


def config_string(value: object, where: str = "value") -> str:
    """A stack file's config value as the program receives it."""
    if isinstance(value, dict | list):
        return go_json(cast("object", value), where)
    value = _rewritten(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return go_config_float(value)
    if isinstance(value, Timestamp):
        return value.go_string()
    return _go_text(value)


def default_string(value: object, where: str = "value") -> str:
    """A project `config:` default as the program receives it (Go's `%v`, or JSON)."""
    if isinstance(value, dict | list):
        return go_json(cast("object", value), where)
    return _go_text(_rewritten(value))


# ─── the loader ───


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with yaml.v3's scalar rules and its duplicate-key check."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        resolve = cast("Callable[[Any, Any, Any], str]", super().resolve)  # pyright: ignore[reportUnknownMemberType]
        return resolve(kind, value, implicit)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise GoYamlError(
                        f"line {line}: key {echo(key_node.value)} is already defined at line "
                        f"{seen[key_node.value]}; keep one of them"
                    )
                seen[key_node.value] = line
        self.flatten_mapping(node)
        construct = cast("Callable[..., object]", self.construct_object)  # pyright: ignore[reportUnknownMemberType]
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = construct(key_node, deep=deep)
            if isinstance(key, dict | list):
                line = key_node.start_mark.line + 1
                raise GoYamlError(f"line {line}: a key that is a list or a mapping; use text")
            # Go keeps 1 and true apart, then writes each key as text (`%v`): so do we, at once
            text = key if isinstance(key, str) else _go_text(_rewritten(key))
            mapping[text] = construct(value_node, deep=deep)
        return mapping


def _construct_plain(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    return resolve_plain(loader.construct_scalar(cast("yaml.ScalarNode", node)))


def _refuse_tag(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> object:
    shown = echo(tag.replace(_CORE, "!!"))
    raise GoYamlError(
        f"line {node.start_mark.line + 1}: the YAML tag {shown} is not supported in a stack "
        "file; write the value plainly, or quote it to make it a string"
    )


_KEPT = (None, _STR, "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
_Loader.yaml_constructors = {
    tag: construct for tag, construct in yaml.SafeLoader.yaml_constructors.items() if tag in _KEPT
}
"""Only strings, lists and mappings by tag (YAML 1.1's `!!bool` and friends are not Go's)."""
_Loader.add_constructor(_PLAIN, _construct_plain)
_Loader.add_multi_constructor("", _refuse_tag)  # pyright: ignore[reportUnknownMemberType]


def load(text: str) -> object:
    """The YAML document in `text`, read as the Pulumi CLI reads it."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader with Go's rules
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise GoYamlError(f"{place}{error.problem or 'the text cannot be read as YAML'}") from None
    except yaml.YAMLError as error:
        raise GoYamlError(str(error)) from None
    except RecursionError:
        raise GoYamlError("nested too deeply to read") from None

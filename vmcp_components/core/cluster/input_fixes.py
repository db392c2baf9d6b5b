"""How to fix a value of the wrong type, said the way the user wrote it: in YAML.

Settings and objects are mostly written in YAML, where an unquoted `true`, `1.10`, `8080` or
`2024-01-01` is not text. pydantic says what it expected ("Input should be a valid string");
`type_fix` adds what to write instead ("quote it: "true""), for every type error a setting can
get. Pure: it looks at one pydantic error item, never at a model.
"""

from __future__ import annotations

import datetime
import math

from pydantic_core import ErrorDetails

_STRING_ERRORS = frozenset({"string_type", "string_sub_type"})
_INTEGER_ERRORS = frozenset({"int_type", "int_parsing", "int_from_float"})
_NUMBER_ERRORS = frozenset({"float_type", "float_parsing"})
_BOOL_ERRORS = frozenset({"bool_type", "bool_parsing"})
_MAPPING_ERRORS = frozenset({"dict_type", "model_type", "model_attributes_type", "mapping_type"})
_LIST_ERRORS = frozenset({"list_type", "tuple_type", "set_type", "iterable_type"})


def yaml_text(value: object) -> str | None:
    """How an unquoted YAML scalar that was read as `value` is written, if it is one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, datetime.date):  # datetime is a date too
        return value.isoformat()
    return None


def _quote_fix(got: object) -> str:
    if got is None:
        return 'give it a value, or write "" for an empty string'
    written = yaml_text(got)
    if written is None:
        return "write it as a quoted string"
    if isinstance(got, float):
        return (
            'quote it as you wrote it, e.g. "1.10" (YAML reads an unquoted 1.10 as the number 1.1)'
        )
    return f'quote it ("{written}") so YAML reads it as text'


def type_fix(item: ErrorDetails) -> str | None:
    """What to write instead, for a pydantic type error; None for other errors."""
    kind, got = item["type"], item.get("input")
    if kind in _STRING_ERRORS:
        return _quote_fix(got)
    if kind in _INTEGER_ERRORS:
        return "write a whole number without quotes, e.g. 2"
    if kind in _NUMBER_ERRORS:
        return "write a number without quotes, e.g. 0.5"
    if kind in _BOOL_ERRORS:
        return "write true or false, without quotes"
    if kind in _MAPPING_ERRORS:
        return "write a mapping of keys to values (key: value)"
    if kind in _LIST_ERRORS:
        return 'write a list, e.g. [a, b] or one "- item" per line'
    return None

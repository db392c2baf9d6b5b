"""Scalars as vmcp v0.63.0 reads them from config.yaml: Go durations, Go ints, strict strings.

`parse_duration` and `format_duration` are Go's `time.ParseDuration` and `Duration.String`
(`src/time/format.go` and `time.go`, the same in go1.26.8 and in go1.27.3, which builds vmcp),
error texts included, so render refuses a duration exactly where vmcp does, in vmcp's words.

The field types are stricter than yaml.v3 where yaml.v3 would silently change the value: it
decodes any scalar into a string (`prefixFormat: 1.10` arrives as `1.1` in a stack file) and
truncates `3.5` into an int. Those are refused with the fix; an integral float (the Pulumi
provider protocol sends every number as a float) is taken as the int it is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StrictBool, StrictStr
from pydantic_core import PydanticCustomError

_NS = 1
_UNITS: dict[bytes, int] = {
    b"ns": _NS,
    b"us": 1_000,
    "µ".encode() + b"s": 1_000,  # U+00B5 micro sign
    "μ".encode() + b"s": 1_000,  # U+03BC Greek mu
    b"ms": 1_000_000,
    b"s": 1_000_000_000,
    b"m": 60 * 1_000_000_000,
    b"h": 3600 * 1_000_000_000,
}
_MAX_INT64 = (1 << 63) - 1
SECOND = 1_000_000_000


class DurationError(ValueError):
    """Go's own message for a string `time.ParseDuration` refuses."""


def go_quote(text: str) -> str:
    """Go's `time.quote`: double quotes, non-ASCII and control bytes as hex escapes."""
    out = ['"']
    for char in text:
        if ord(char) >= 0x80 or char < " ":
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + char if char in '"\\' else char)
    out.append('"')
    return "".join(out)


def _error(message: str, original: str) -> DurationError:
    return DurationError(f"time: {message} {go_quote(original)}")


def _leading_int(s: bytes) -> tuple[int | None, bytes]:
    x, i = 0, 0
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        if x > (1 << 63) // 10:
            return None, s
        x = x * 10 + s[i] - 0x30
        if x > 1 << 63:
            return None, s
        i += 1
    return x, s[i:]


def _leading_fraction(s: bytes) -> tuple[int, float, bytes]:
    x, scale, i, overflow = 0, 1.0, 0, False
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        if not overflow:
            if x > _MAX_INT64 // 10:
                overflow = True
            else:
                y = x * 10 + s[i] - 0x30
                if y > 1 << 63:
                    overflow = True
                else:
                    x, scale = y, scale * 10
        i += 1
    return x, scale, s[i:]


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration string (`1m30s`, `-5s`, `0`), or DurationError."""
    original, s = text, text.encode("utf-8", "surrogatepass")
    total, negative = 0, False
    if s[:1] in (b"-", b"+"):
        negative, s = s[:1] == b"-", s[1:]
    if s == b"0":
        return 0
    if not s:
        raise _error("invalid duration", original)
    while s:
        if not (s[:1] == b"." or 0x30 <= s[0] <= 0x39):
            raise _error("invalid duration", original)
        before = len(s)
        whole, s = _leading_int(s)
        if whole is None:
            raise _error("invalid duration", original)
        pre, post, fraction, scale = before != len(s), False, 0, 1.0
        if s[:1] == b".":
            s = s[1:]
            before = len(s)
            fraction, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise _error("invalid duration", original)
        i = 0
        while i < len(s) and not (s[i] == 0x2E or 0x30 <= s[i] <= 0x39):
            i += 1
        if i == 0:
            raise _error("missing unit in duration", original)
        unit_text, s = s[:i], s[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            name = unit_text.decode("utf-8", "surrogateescape")
            raise _error(f"unknown unit {go_quote(name)} in duration", original)
        if whole > (1 << 63) // unit:
            raise _error("invalid duration", original)
        value = whole * unit
        if fraction > 0:
            value += int(float(fraction) * (float(unit) / scale))
            if value > 1 << 63:
                raise _error("invalid duration", original)
        total += value
        if total > 1 << 63:
            raise _error("invalid duration", original)
    if negative:
        return -total
    if total > _MAX_INT64:
        raise _error("invalid duration", original)
    return total


def _frac(value: int, precision: int) -> tuple[str, int]:
    digits, printing = "", False
    for _ in range(precision):
        digit = value % 10
        printing = printing or digit != 0
        if printing:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printing else ""), value


def format_duration(nanoseconds: int) -> str:
    """Go's `Duration.String` (`1m0s`, `1.5s`, `500ms`, `-2h0m0s`)."""
    u = -nanoseconds if nanoseconds < 0 else nanoseconds
    sign = "-" if nanoseconds < 0 else ""
    if u < SECOND:
        if u == 0:
            return "0s"
        unit, precision = ("ns", 0) if u < 1_000 else ("µs", 3) if u < 1_000_000 else ("ms", 6)
        fraction, whole = _frac(u, precision)
        return f"{sign}{whole}{fraction}{unit}"
    fraction, whole = _frac(u, 9)
    text = f"{whole % 60}{fraction}s"
    minutes = whole // 60
    if minutes > 0:
        text = f"{minutes % 60}m{text}"
        if minutes // 60 > 0:
            text = f"{minutes // 60}h{text}"
    return sign + text


def _duration(value: object) -> object:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "go_duration",
            "must be a Go duration string such as 30s, 1m30s or 500ms (quote it)",
        )
    try:
        parse_duration(value)
    except DurationError as error:
        raise PydanticCustomError(
            "go_duration",
            "invalid duration: {reason}; write a Go duration such as 30s, 1m30s or 500ms",
            {"reason": str(error)},
        ) from None
    return value


def _integer(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "go_int", "must be a whole number (vmcp reads it as a Go int; do not quote it)"
        )
    if not -(1 << 63) <= value <= _MAX_INT64:
        raise PydanticCustomError("go_int", "is out of the range of a Go int (64 bits)")
    return value


GoDuration = Annotated[str, BeforeValidator(_duration)]
"""A duration as written (`2m` stays `2m`, so the config keeps the user's text)."""
GoInt = Annotated[int, BeforeValidator(_integer)]
GoString = StrictStr
GoBool = StrictBool

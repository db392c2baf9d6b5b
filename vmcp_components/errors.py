"""The error convention: a bad member is a value, a run that cannot go on is a `VmcpError`.

- `Problem`: why one object cannot be used, as a value. Whoever holds the object decides what it
  means: a member's problems become its `Skipped`; a problem in the user's own configuration
  (an auth config named in `outgoingAuth`) becomes a `VmcpError`.
- `Skipped`: a group member left out, with the reason (what, where, how to fix).
- `MemberWarning`: a group member kept, with something to fix before it breaks.
- `VmcpError`: the whole run fails; the message says what, where and how to fix.

No other exception crosses a module boundary. An input value echoed in a message goes through
`echo`, so a message never carries more than `ECHO_LIMIT` characters of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ECHO_LIMIT = 200
"""At most this many characters of an input value are echoed in an error message."""


def echo(value: object) -> str:
    """`repr(value)`, cut to ECHO_LIMIT characters (marked with `...`)."""
    text = repr(value)
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 3] + "..."


LIST_LIMIT = 10
"""At most this many names are listed in a message (`listing`)."""


def listing(names: Iterable[str]) -> str:
    """`"a", "b"`, sorted, at most LIST_LIMIT of them (then `and N more`), or `none`."""
    shown = sorted(set(names))
    if not shown:
        return "none"
    text = ", ".join(f'"{echo(name)[1:-1]}"' for name in shown[:LIST_LIMIT])
    more = len(shown) - LIST_LIMIT
    return text + (f" and {more} more" if more > 0 else "")


class VmcpError(Exception):
    """A problem the user must fix; the message says what, where, and how."""


@dataclass(frozen=True)
class Problem:
    """Why one object cannot be used; `reason` is one readable sentence."""

    reason: str


@dataclass(frozen=True, order=True)
class Skipped:
    """A group member left out of `config.yaml`, with the reason."""

    name: str
    kind: str
    reason: str


@dataclass(frozen=True, order=True)
class MemberWarning:
    """A group member kept in `config.yaml`, with what should be fixed (never a secret value)."""

    name: str
    kind: str
    message: str

    def line(self) -> str:
        """The warning as one line, naming the member."""
        return f'{self.kind} "{self.name}": {self.message}'

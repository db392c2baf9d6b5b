"""Property test of the arguments (issue #21): any argument mapping, written as YAML or given
to `parse_args`, is accepted or refused with one message; never a traceback.

Hypothesis builds mappings over every setting of `VirtualMCPServerArgs` (its camelCase keys,
plus a few unknown ones) with valid values, values of the wrong type at the top and nested
inside (a label value `true`, a quantity `[1]`, a toleration key `7`), and YAML-special scalars
written unquoted into the file (`yes`, `1.10`, `2020-01-01`, `~`, `.inf`, `0x1F`, `!!int x`).
`render --args` runs in-process: exit 0 or 2; exit 2 is one `error:` line and no output.
`parse_args` raises ArgsError and nothing else. Derandomized, bounded.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import factories
from vmcp_components.cli import main
from vmcp_components.core.settings.args import ArgsError, VirtualMCPServerArgs, parse_args

KEYS = [
    *sorted((field.alias or name) for name, field in VirtualMCPServerArgs.model_fields.items()),
    *("confg", "podLabel"),
]
YAML_SCALARS = [
    *("yes", "no", "on", "off", "true", "False", "~", "null", "", "1.10", "010", "0x1F"),
    *("1e3", ".inf", "-.nan", "2020-01-01", "2020-13-45", "12:30:00", "!!int x", "!!bool maybe"),
    *("'quoted'", '"x"', "[a, 1]", "{a: 1}", "- x", "&a 1", "*a", "é", "🚀"),
]
NESTED_KEYS = [
    "requests",
    "limits",
    "cpu",
    "key",
    "operator",
    "enabled",
    "minAvailable",
    "app.kubernetes.io/part-of",
    "sidecar.istio.io/inject",
    "type",
    "name",
    "default",
]

scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-3, 70000),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.one_of(st.sampled_from(NESTED_KEYS), st.text(max_size=6)), inner, max_size=3
        ),
    ),
    max_leaves=8,
)
mappings = st.one_of(
    st.just({}),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=2),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=6),
).map(lambda extra: {"namespace": factories.NAMESPACE, "group": factories.GROUP, **extra})


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """A mapping as YAML, with some values replaced by unquoted YAML-special scalars."""
    mapping = draw(mappings)
    text = yaml.safe_dump(mapping, allow_unicode=True)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(KEYS))
        scalar = draw(st.sampled_from(YAML_SCALARS))
        nested = draw(st.sampled_from(NESTED_KEYS))
        line = draw(st.sampled_from([f"{key}: {scalar}", f"{key}: {{{nested}: {scalar}}}"]))
        kept = [row for row in text.splitlines() if not row.startswith(f"{key}:")]
        text = "\n".join(kept) + "\n"
        text += line + "\n"
    return text


def _render(text: str) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "args.yaml"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        argv = [
            "render",
            "--snapshot",
            str(factories.EXAMPLE_SNAPSHOT),
            "--args",
            str(path),
            "--name",
            "eng-tools",
        ]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        return code, out.getvalue(), err.getvalue()


COMMON = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@COMMON
@given(yaml_texts())
def test_render_args_is_exit_0_or_one_error_line(text: str) -> None:
    code, out, err = _render(text)
    event(f"exit {code}")
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert out == ""
        assert err.startswith("error: ")
        assert err.count("\n") == 1, err
    else:
        assert out.startswith("apiVersion: ")
        assert all(line.startswith("warning: ") for line in err.splitlines()), err


@COMMON
@given(mappings)
def test_parse_args_raises_args_error_or_nothing(mapping: dict[str, Any]) -> None:
    message = None
    try:
        parse_args(mapping)
    except ArgsError as error:
        message = str(error)
    event("accepted" if message is None else "refused")
    if message is not None:
        assert message
        assert "\n" not in message

"""Hardening against hostile or sloppy input (issue #13): each test names the hole it closes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import example_arguments, render_checked, render_module
from vmcp_components import inventory, naming
from vmcp_components.args import ArgsError, parse_args, vmcp_name
from vmcp_components.cli import main
from vmcp_components.inventory import SnapshotError, load_snapshot
from vmcp_components.render import RenderError
from vmcp_components.stack_config import StackConfigError, load_stack_file

VALID = {"namespace": "toolhive-system", "group": "engineering-team"}


@pytest.fixture(params=sorted(inventory.LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with each snapshot loader (libyaml's C parser and pure Python)."""
    name: str = request.param
    monkeypatch.setattr(inventory, "LOADER", inventory.LOADERS[name])
    return name


def test_both_loaders_are_tested_and_libyaml_is_preferred() -> None:
    assert set(inventory.LOADERS) == {"libyaml", "python"}, "the locked PyYAML ships libyaml"
    assert inventory.LOADER is inventory.LOADERS["libyaml"]


# ─── 1. full-match validation: `$` also matches before a final newline ───


def test_a_vmcp_name_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ArgsError, match="not a valid vMCP name"):
        vmcp_name("eng-tools\n")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("namespace", "toolhive-system\n"),
        ("group", "engineering-team\n"),
        ("name", "eng-tools\n"),
        ("serviceAccount", "my-sa\n"),
        ("priorityClassName", "high\n"),
        ("entries", ["corp\n"]),
        ("imagePullSecrets", ["regcred\n"]),
        ("podLabels", {"tier": "gw\n"}),
        ("podLabels", {"tier\n": "gw"}),
    ],
)
def test_args_with_a_trailing_newline_are_refused(key: str, value: object) -> None:
    with pytest.raises(ArgsError, match="is not a valid"):
        parse_args({**VALID, key: value})


@pytest.mark.parametrize("option", ["--name", "--namespace", "--group"])
def test_cli_options_with_a_trailing_newline_exit_2(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = example_arguments()
    index = arguments.index(option) + 1
    arguments[index] += "\n"

    code = main(arguments)

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "is not a valid" in err


def test_a_stack_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: vmcp-components\n", encoding="utf-8")
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(
        "config:\n"
        "  vmcp-components:namespace: toolhive-system\n"
        "  vmcp-components:group: engineering-team\n"
        '  vmcp-components:name: "eng-tools\\n"\n',
        encoding="utf-8",
    )
    with pytest.raises(StackConfigError, match="not a valid vMCP name"):
        load_stack_file(path)


# ─── 2. generated names are valid Kubernetes names ───

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@pytest.mark.parametrize("entry", ["corp.internal", "a.b.c", "x" * 60 + ".y", "corp-internal"])
def test_ca_volume_names_are_dns_labels(entry: str) -> None:
    assert _DNS_LABEL.fullmatch(naming.ca_bundle_volume_name(entry))


def test_dotted_and_dashed_entries_get_distinct_ca_volumes() -> None:
    dotted = naming.ca_bundle_volume_name("corp.internal")
    dashed = naming.ca_bundle_volume_name("corp-internal")
    assert dashed == "ca-bundle-corp-internal"  # unchanged: the operator's name
    assert dotted != dashed
    assert dotted.startswith("ca-bundle-corp-internal-")


def test_a_dotted_entry_with_a_ca_bundle_renders_valid_volumes() -> None:
    rendering = render_checked(
        factories.inventory(
            factories.group(),
            factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
            factories.entry("corp.internal", ca=("corp-ca", "ca.crt")),
            factories.entry("corp-internal", ca=("corp-ca", "ca.crt")),
        )
    )
    pod = rendering.object("Deployment")["spec"]["template"]["spec"]
    names = [volume["name"] for volume in pod["volumes"]]
    assert len(set(names)) == len(names) == 3
    assert all(_DNS_LABEL.fullmatch(name) for name in names)


def test_an_invalid_generated_name_is_refused_naming_the_object(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(naming, "ca_bundle_volume_name", lambda entry: f"ca-bundle-{entry}")
    inventory = factories.inventory(
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry("corp.internal", ca=("corp-ca", "ca.crt")),
    )
    with pytest.raises(RenderError, match=r"Deployment eng-tools: volume name 'ca-bundle-corp\."):
        render_module.render(inventory, "eng-tools", factories.args())


# ─── 3. one bad member is skipped, never takes the group down ───


def _skips(*members: dict[str, Any]) -> dict[str, str]:
    rendering = render_checked(
        factories.inventory(
            factories.group(),
            factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
            factories.entry("good", url="https://good.example.com/mcp"),
            *members,
        )
    )
    assert [b["name"] for b in rendering.status["discoveredBackends"]] == ["good"]
    return {s["name"]: s["reason"] for s in rendering.status["skippedBackends"]}


def test_a_ca_key_with_dot_dot_skips_only_that_entry() -> None:
    skips = _skips(
        factories.config_map("odd-ca", {"ca..crt": factories.ca_pem()}),
        factories.entry("odd", ca=("odd-ca", "ca..crt")),
    )
    assert set(skips) == {"odd"}
    assert 'key "ca..crt"' in skips["odd"]
    assert "'..'" in skips["odd"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://files.example.com/mcp", 'must use http or https scheme, got "ftp"'),
        ("http://169.254.169.254/latest", "falls within blocked range 169.254.0.0/16"),
        ("http://localhost:8080/mcp", "matches blocked internal hostname"),
        ("http://user:pw@mcp.example.com/", "must not contain user information"),
    ],
)
def test_a_bad_status_url_skips_only_that_workload(url: str, fragment: str) -> None:
    skips = _skips(factories.server("srv", url=url), factories.proxy("prx", url=url))
    assert set(skips) == {"srv", "prx"}
    for reason in skips.values():
        assert reason.startswith("status.url ")
        assert fragment in reason


def test_an_in_cluster_status_url_is_still_accepted() -> None:
    rendering = render_checked(factories.inventory(factories.group(), factories.server("srv")))
    assert rendering.status["backendCount"] == 1


# ─── 4. strict booleans, duplicate keys ───


@pytest.mark.parametrize("value", ["yes", 1, "true", "on"])
def test_allow_private_endpoint_must_be_a_real_boolean(value: object) -> None:
    odd = factories.entry("odd", url="http://mcp.tools.svc.cluster.local/mcp")
    odd["spec"]["allowPrivateEndpoint"] = value
    skips = _skips(odd)
    assert set(skips) == {"odd"}
    assert "spec.allowPrivateEndpoint" in skips["odd"]
    assert "boolean" in skips["odd"]


SNAPSHOT_WITH_DUPLICATE_KEY = """\
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServerEntry
metadata:
  name: e
  namespace: toolhive-system
spec:
  remoteUrl: https://safe.example.com/mcp
  remoteUrl: http://169.254.169.254/
"""


def test_a_duplicate_mapping_key_in_a_snapshot_is_refused(loader: str) -> None:
    with pytest.raises(
        SnapshotError,
        match=r"snap.yaml: not valid YAML at line 8, column 3: duplicate key 'remoteUrl'",
    ):
        load_snapshot(SNAPSHOT_WITH_DUPLICATE_KEY, "toolhive-system", "snap.yaml")


# ─── 5. YAML hardening: aliases, depth, size, echoed values ───

LAUGHS = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)
MANY_ALIASES = "base: &b x\nlist: [" + ", ".join(["*b"] * 101) + "]\n"
RECURSIVE = "kind: List\nitems: &loop [*loop]\n"
DEEP = "[" * 50_000 + "]" * 50_000 + "\n"
LONG_VALUE = "apiVersion: " + "v" * 10_000 + "\nkind: MCPServerEntry\nmetadata: {name: x}\n"
BAD_VALUES = ["2020-13-45", "!!int 12x", "!!bool maybe", "!!float x1", "2020-01-01 25:00:00"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (LAUGHS, "aliases expand to more than 100000 nodes"),
        (MANY_ALIASES, "more than 100 aliases"),
        (RECURSIVE, "alias *loop refers to a collection that contains it"),
        (DEEP, "nested too deeply"),  # libyaml's own (C) composer dies of SIGSEGV here
        *((f"a: {value}\n", "not a valid") for value in BAD_VALUES),  # were ValueError/KeyError
    ],
    ids=[
        "billion-laughs",
        "many-aliases",
        "recursive-alias",
        "deep-nesting",
        *BAD_VALUES,
    ],
)
def test_hostile_yaml_is_refused(loader: str, text: str, fragment: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        load_snapshot(text, "toolhive-system", "snap.yaml")
    assert fragment in str(raised.value)


def test_a_few_aliases_are_still_fine(loader: str) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: &m {name: a}, data: {k: v}}\n"
    )
    assert load_snapshot(text, "toolhive-system").config_maps == {"a": {"k": "v"}}


def test_an_oversized_snapshot_is_refused(loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory, "MAX_SNAPSHOT_BYTES", 1024)
    with pytest.raises(SnapshotError, match=r"snap\.yaml: larger than"):
        load_snapshot("#" * 1025, "toolhive-system", "snap.yaml")


def test_echoed_input_values_are_bounded(loader: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        load_snapshot(LONG_VALUE, "toolhive-system", "snap.yaml")
    assert len(str(raised.value)) < 400
    with pytest.raises(ArgsError) as args_raised:
        vmcp_name("x" * 10_000)
    assert len(str(args_raised.value)) < 500


@pytest.mark.parametrize(
    "text",
    [LAUGHS, MANY_ALIASES, RECURSIVE, DEEP, LONG_VALUE, SNAPSHOT_WITH_DUPLICATE_KEY, "a: !!int 1x"],
)
def test_every_refused_snapshot_is_one_error_line_and_exit_2(
    loader: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(text, encoding="utf-8")

    code = main(example_arguments(snapshot))

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert len(err) < 600


def test_the_cli_refuses_an_oversized_snapshot_without_reading_it_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "MAX_SNAPSHOT_BYTES", 1024)
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text("#" * 4096, encoding="utf-8")

    code = main(example_arguments(snapshot))

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "larger than" in err
    assert err.count("\n") == 1


# ─── 6. a YAML error never quotes the text where it happened (it may be a Secret's value) ───

MARKER = "s3cr3t-MARKER-d41d8"


def _secret(string_data: str) -> str:
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
        f"stringData:\n  token: {string_data}\n"
    )


@pytest.mark.parametrize(
    "string_data",
    [
        f"@{MARKER}",  # a character that cannot start a token
        f"{MARKER}: x",  # a mapping value where none may be
        f'"{MARKER}\\q"',  # an unknown escape
        f'"\\x{MARKER}"',  # a bad hex escape
        f"!{MARKER} x",  # an unknown tag
        f"!{MARKER}!x y",  # an undefined tag handle
        f"*{MARKER}",  # an undefined alias
        f"[{MARKER}",  # an unclosed flow sequence
        f"'{MARKER}",  # an unterminated quoted scalar
        f"{MARKER}\x01",  # a control character
        f"!!int {MARKER}",  # a value its tag cannot hold
        f"\n\t{MARKER}",  # a tab where indentation is expected
        f"&{MARKER}, x",  # an anchor followed by junk
        f"|{MARKER}",  # a bad block scalar header
    ],
)
def test_a_yaml_error_names_the_place_never_the_value(loader: str, string_data: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        load_snapshot(_secret(string_data), "toolhive-system", "snap.yaml")
    message = str(raised.value)
    assert re.match(r"snap\.yaml: not valid YAML at line \d+, column \d+: \w", message)
    assert MARKER not in message
    assert "s3cr3t" not in message.lower()
    assert "\n" not in message

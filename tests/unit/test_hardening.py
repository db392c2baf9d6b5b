"""Hardening against hostile or sloppy input (issue #13): each test names the hole it closes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import factories
from tests.unit.helpers import (
    env_by_name,
    example_arguments,
    render_checked,
    render_module,
    skipped_by_name,
)
from vmcp_components.cli import main
from vmcp_components.core import naming
from vmcp_components.core.backends import ca_bundles
from vmcp_components.core.cluster import models
from vmcp_components.core.cluster import snapshot as snapshot_file
from vmcp_components.core.cluster.inventory import SnapshotError
from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.render import RenderError, Rendering, kubectl_apply_warnings
from vmcp_components.core.settings.args import ArgsError, parse_args, vmcp_name
from vmcp_components.core.settings.stack_files import StackConfigError, load_stack_file

VALID = {"namespace": "toolhive-system", "group": "engineering-team"}


@pytest.fixture(params=sorted(snapshot_file.LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once with each snapshot loader (libyaml's C parser and pure Python)."""
    name: str = request.param
    monkeypatch.setattr(snapshot_file, "LOADER", snapshot_file.LOADERS[name])
    return name


def test_both_loaders_are_tested_and_libyaml_is_preferred() -> None:
    assert set(snapshot_file.LOADERS) == {"libyaml", "python"}, "the locked PyYAML ships libyaml"
    assert snapshot_file.LOADER is snapshot_file.LOADERS["libyaml"]


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
    monkeypatch.setattr(snapshot_file, "MAX_SNAPSHOT_BYTES", 1024)
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
    monkeypatch.setattr(snapshot_file, "MAX_SNAPSHOT_BYTES", 1024)
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text("#" * 4096, encoding="utf-8")

    code = main(example_arguments(snapshot))

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "larger than" in err
    assert err.count("\n") == 1


# ─── 6. objects as stored: etcd's request limit, client-side apply's annotation limit ───


def _heavy_entry(index: int) -> dict[str, Any]:
    """An entry that weighs on the Deployment: a CA volume and mount, three header env vars."""
    return factories.entry(
        f"remote-mcp-{index:05d}",
        ca=("corp-ca", "ca.crt"),
        plaintext={"X-Tenant-ID": f"tenant-{index:05d}"},
        secret_headers=[
            ("X-Upstream-Auth", "upstream-creds", "token"),
            ("X-Upstream-Signature", "upstream-creds", "token"),
        ],
    )


def _heavy_group(count: int) -> list[dict[str, Any]]:
    return [
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.secret("upstream-creds", {"token": "dg=="}),
        *(_heavy_entry(index) for index in range(count)),
    ]


def test_an_object_too_large_once_stored_is_refused_before_any_object_is_returned() -> None:
    # 1,450 heavy entries: the Deployment's JSON (about 1.2 MB) is under etcd's 1.5 MiB, but
    # not with the managedFields that server-side apply stores next to it.
    with pytest.raises(RenderError) as caught:
        render_module.render(
            factories.inventory(*_heavy_group(1_450)), "eng-tools", factories.args()
        )
    message = str(caught.value)
    found = re.fullmatch(
        r"group too large: Deployment eng-tools would be stored as about (\d+) bytes \((\d+) "
        r"bytes of JSON plus an estimated 50% for server-side apply's managedFields\) for 1450 "
        r"backends, over etcd's default request limit of 1572864 bytes; split the group into "
        r"several groups, each with its own vMCP, or give it fewer entries or fewer CA bundles",
        message,
    )
    assert found, message
    stored, size = int(found.group(1)), int(found.group(2))
    assert size < 1_572_864 < stored == int(size * 1.5)


def test_an_object_over_256_kib_of_json_warns_to_apply_server_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # three 100,000-byte header values: the Deployment is over 256 KiB, far under etcd's limit,
    # and each env value stays under Linux's 128 KiB per string, so the e2e tier's real vmcp
    # (which gets the Deployment's env) can still be started with it
    objects = [
        factories.group(),
        *(factories.entry(f"big-{n}", plaintext={"X-Blob": "b" * 100_000}) for n in range(3)),
    ]
    rendering = render_checked(factories.inventory(*objects))
    assert rendering.warnings == ()  # the component applies server-side: nothing to say
    (warning,) = kubectl_apply_warnings(rendering)
    assert re.fullmatch(
        r"Deployment eng-tools is \d+ bytes of JSON, over the 262144 bytes client-side "
        r"`kubectl apply` can keep in its last-applied-configuration annotation; apply the "
        r"rendered objects with `kubectl apply --server-side`",
        warning,
    )
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(yaml.safe_dump_all(objects), encoding="utf-8")

    code = main(example_arguments(snapshot))

    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("apiVersion: v1\n")
    assert err == f"warning: {warning}\n"


def test_an_env_value_linux_cannot_pass_skips_only_its_entry() -> None:
    # 131,072 bytes per `NAME=value` string (MAX_ARG_STRLEN): the real vmcp could not even be
    # exec'd with a longer one in the e2e tier (E2BIG), and neither could the container
    objects = [
        factories.group(),
        factories.entry("huge", plaintext={"X-Blob": "b" * 140_000}),
        factories.entry("large", plaintext={"X-Blob": "b" * 120_000}),
    ]
    rendering = render_checked(factories.inventory(*objects))
    assert [b["name"] for b in rendering.status["discoveredBackends"]] == ["large"]
    (skipped,) = rendering.status["skippedBackends"]
    assert skipped["name"] == "huge"
    assert re.fullmatch(
        r"env var TOOLHIVE_HEADER_FORWARD_HUGE would be \d+ bytes, over the 131072 bytes Linux "
        r"accepts for one environment string, so the vMCP container could not start; shorten "
        r"the plaintext headers or move them to headerForward.addHeadersFromSecret",
        skipped["reason"],
    )


def test_a_small_group_renders_without_size_warnings() -> None:
    rendering = render_checked(factories.inventory(*_heavy_group(10)))
    assert rendering.warnings == ()
    assert kubectl_apply_warnings(rendering) == []


# ─── 7. values at secret-reference paths are never echoed ───

MARKER = "Bearer MARKER-9f3c1e"


def _everything_said(rendering: Rendering) -> str:
    return json.dumps([rendering.objects, rendering.status, rendering.warnings])


def _misplaced_secrets() -> list[dict[str, Any]]:
    """Members and auth configs with MARKER where a {name, key} reference belongs."""
    value_ref = factories.entry("value-ref", secret_headers=[("Authorization", "s", "k")])
    value_ref["spec"]["headerForward"]["addHeadersFromSecret"][0]["valueSecretRef"] = MARKER
    whole_item = factories.entry("whole-item", secret_headers=[("Authorization", "s", "k")])
    whole_item["spec"]["headerForward"]["addHeadersFromSecret"][0] = f"Authorization: {MARKER}"
    plaintext_list = factories.entry("plaintext-list", plaintext={"Authorization": "x"})
    plaintext_list["spec"]["headerForward"]["addPlaintextHeaders"]["Authorization"] = [MARKER]
    injection = factories.header_injection("injection", header="X-Api-Key", secret="s", key="k")
    injection["spec"]["headerInjection"]["valueSecretRef"] = MARKER
    exchange = factories.token_exchange("exchange")
    exchange["spec"]["tokenExchange"]["clientSecretRef"] = MARKER
    return [
        value_ref,
        whole_item,
        plaintext_list,
        injection,
        exchange,
        factories.entry("uses-injection", auth="injection"),
        factories.entry("uses-exchange", auth="exchange"),
    ]


def test_secret_reference_fields_are_found_in_the_models() -> None:
    assert {"valueSecretRef", "clientSecretRef"} == models.SECRET_REFERENCE_FIELDS
    assert {"addHeadersFromSecret", "headerInjection", "tokenExchange"}.issubset(
        models.SECRET_CONTAINER_FIELDS
    )


def test_a_value_at_a_secret_reference_path_is_never_echoed() -> None:
    rendering = render_checked(
        factories.inventory(factories.group(), factories.entry("good"), *_misplaced_secrets())
    )
    skips = skipped_by_name(rendering)
    assert set(skips) == {
        "value-ref",
        "whole-item",
        "plaintext-list",
        "uses-injection",
        "uses-exchange",
    }
    assert MARKER not in _everything_said(rendering)
    assert "MARKER" not in _everything_said(rendering)
    for name in ("value-ref", "uses-injection", "uses-exchange"):
        assert "must be a Secret key reference {name, key}, not a value" in skips[name]
    for name in ("whole-item", "plaintext-list"):
        assert "the value is not shown: it may be a secret" in skips[name]


def test_an_outgoing_auth_config_with_a_misplaced_secret_fails_without_echoing_it() -> None:
    inventory = factories.inventory(
        factories.group(), factories.entry("good"), *_misplaced_secrets()
    )
    args = factories.args(
        outgoingAuth={
            "default": {
                "type": "externalAuthConfigRef",
                "externalAuthConfigRef": {"name": "exchange"},
            }
        }
    )
    with pytest.raises(RenderError) as caught:
        render_module.render(inventory, "eng-tools", args)
    assert "clientSecretRef: must be a Secret key reference" in str(caught.value)
    assert "MARKER" not in str(caught.value)


def test_other_invalid_values_are_still_echoed() -> None:
    entry = factories.entry("odd")
    entry["spec"]["transport"] = "carrier-pigeon"
    skips = _skips(entry)
    assert "(got 'carrier-pigeon')" in skips["odd"]


# ─── 8. plaintext headers named like credentials ───


@pytest.mark.parametrize(
    "header",
    [
        "Authorization",
        "proxy-authorization",
        "COOKIE",
        "X-Auth-Token",
        "X-Signing-Key",
        "Client-Secret",
        "XApi-Key-V2",
        "db-password",
    ],
)
def test_a_plaintext_credential_header_warns_without_its_value(header: str) -> None:
    entry = factories.entry("creds", plaintext={header: MARKER, "X-Tenant-ID": "t"})
    rendering = render_checked(factories.inventory(factories.group(), entry))
    (warning,) = rendering.warnings
    assert warning.startswith(f"MCPServerEntry \"creds\": plaintext header '{header}' looks like")
    assert "addHeadersFromSecret with a valueSecretRef" in warning
    assert "MARKER" not in warning
    assert rendering.status["backendCount"] == 1


@pytest.mark.parametrize("header", ["X-Tenant-ID", "Accept", "X-Keyboard", "Tokenizer"])
def test_other_plaintext_headers_do_not_warn(header: str) -> None:
    entry = factories.entry("plain", plaintext={header: "v"})
    assert render_checked(factories.inventory(factories.group(), entry)).warnings == ()


def test_strict_skips_a_member_with_a_plaintext_credential_header() -> None:
    inventory = factories.inventory(
        factories.group(),
        factories.entry("good"),
        factories.entry("creds", plaintext={"Authorization": MARKER}),
    )
    with pytest.raises(RenderError) as caught:
        render_module.render(inventory, "eng-tools", factories.args(strict=True))
    message = str(caught.value)
    assert "strict mode: 1 member(s)" in message
    assert "MCPServerEntry \"creds\": plaintext header 'Authorization' looks like" in message
    assert "MARKER" not in message


# ─── 9. plaintext header values reach the backend unchanged through the kubelet ───


def kubelet_expand(value: str, defined: dict[str, str]) -> str:
    """The kubelet's expansion of an env `value`, ported from Go to Python.

    A port of k8s.io/kubernetes/third_party/forked/golang/expansion (`Expand` with
    `MappingFuncFor`), because no kubelet runs here for unit tests: `$$` becomes `$`,
    `$(NAME)` becomes the value of a defined NAME and stays as written otherwise, an
    unterminated `$(` and a `$` before any other character are kept.
    """
    out: list[str] = []
    checkpoint = cursor = 0
    while cursor < len(value):
        if value[cursor] == "$" and cursor + 1 < len(value):
            out.append(value[checkpoint:cursor])
            rest = value[cursor + 1 :]
            if rest[0] == "$":
                out.append("$")
                advance = 1
            elif rest[0] == "(" and ")" in rest:
                name = rest[1 : rest.index(")")]
                out.append(defined.get(name, f"$({name})"))
                advance = rest.index(")") + 1
            else:
                out.append("$" + rest[0] if rest[0] != "(" else "$(")
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + value[checkpoint:]


@pytest.mark.parametrize(
    ("value", "expanded"),
    [("$(HOME)", "/tmp"), ("$$", "$"), ("a$b", "a$b"), ("$(NOPE)", "$(NOPE)"), ("x$", "x$")],
)
def test_the_kubelet_port_expands_as_the_kubelet(value: str, expanded: str) -> None:
    assert kubelet_expand(value, {"HOME": "/tmp"}) == expanded


def test_plaintext_header_values_reach_the_backend_exactly_as_written() -> None:
    headers = {"X-A": "$(HOME)", "X-B": "$$", "X-C": "a$b", "X-D": "$(", "X-E": "$$(HOME)$"}
    rendering = render_checked(
        factories.inventory(factories.group(), factories.entry("dollars", plaintext=headers))
    )
    value = env_by_name(rendering)["TOOLHIVE_HEADER_FORWARD_DOLLARS"]["value"]
    sent = json.loads(kubelet_expand(value, {"HOME": "/tmp"}))
    assert sent == {"addPlaintextHeaders": headers}


# ─── 10. CA bundles: parsed once per render; keys, dates and CA flag checked at `now` ───

NOW = datetime(2030, 6, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def _ca_skips(pem: str, now: datetime = NOW) -> tuple[dict[str, str], tuple[str, ...]]:
    rendering = render_module.render(
        factories.inventory(
            factories.group(),
            factories.entry("good"),
            factories.config_map("corp-ca", {"ca.crt": pem}),
            factories.entry("tls", ca=("corp-ca", "ca.crt")),
        ),
        "eng-tools",
        factories.args(),
        now=now,
    )
    return skipped_by_name(rendering), rendering.warnings


def _cert(**overrides: Any) -> str:
    values: dict[str, Any] = {"not_before": NOW - YEAR, "not_after": NOW + YEAR}
    values.update(overrides)
    return factories.certificate("Corp Root", **values)


@pytest.mark.parametrize(
    "block",
    ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"],
)
def test_a_ca_bundle_with_a_private_key_is_skipped_without_echoing_it(block: str) -> None:
    pem = _cert() + f"-----BEGIN {block}-----\nMARKERabc\n-----END {block}-----\n"
    skips, _ = _ca_skips(pem)
    assert skips["tls"].startswith('CA bundle ConfigMap "corp-ca" key "ca.crt" holds a private key')
    assert "MARKER" not in skips["tls"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"not_before": NOW - 2 * YEAR, "not_after": NOW - YEAR}, "has expired"),
        ({"not_before": NOW + timedelta(days=1)}, "is not valid yet"),
        ({"ca": False, "issuer": "Corp Root"}, "is neither a CA certificate"),
        ({"ca": None, "issuer": "Corp Root"}, "is neither a CA certificate"),
    ],
    ids=["expired", "not-yet-valid", "leaf-ca-false", "leaf-no-basic-constraints"],
)
def test_a_ca_certificate_that_cannot_anchor_trust_skips_the_entry(
    overrides: dict[str, Any], fragment: str
) -> None:
    pem = factories.certificate(
        "Leaf", **{"not_before": NOW - YEAR, "not_after": NOW + YEAR, **overrides}
    )
    skips, _ = _ca_skips(_cert() + pem)
    reason = skips["tls"]
    assert reason.startswith('CA bundle ConfigMap "corp-ca" key "ca.crt": certificate \'CN=Leaf\'')
    assert fragment in reason
    not_before = overrides.get("not_before", NOW - YEAR).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"(valid {not_before} to " in reason


@pytest.mark.parametrize("ca", [False, None])
def test_a_self_signed_server_certificate_is_accepted_as_pinned(ca: bool | None) -> None:
    skips, warnings = _ca_skips(_cert(ca=ca))
    assert (skips, warnings) == ({}, ())


def test_a_ca_certificate_expiring_within_30_days_warns() -> None:
    skips, warnings = _ca_skips(_cert(not_after=NOW + timedelta(days=12)))
    assert skips == {}
    (warning,) = warnings
    assert warning.startswith(
        'MCPServerEntry "tls": CA bundle ConfigMap "corp-ca" key "ca.crt": certificate '
        "'CN=Corp Root' (valid 2029-06-01T00:00:00Z to 2030-06-13T00:00:00Z) expires in 12 day(s)"
    )


def test_the_example_ca_is_judged_at_the_given_time() -> None:
    pem = factories.ca_pem()  # valid 2026-11-24 to 2036-11-21
    assert _ca_skips(pem, datetime(2030, 1, 1, tzinfo=UTC)) == ({}, ())
    assert "has expired" in _ca_skips(pem, datetime(2037, 1, 1, tzinfo=UTC))[0]["tls"]
    assert "expires in 20 day(s)" in _ca_skips(pem, datetime(2036, 11, 1, tzinfo=UTC))[1][0]


def test_a_shared_ca_bundle_is_parsed_once_per_render(monkeypatch: pytest.MonkeyPatch) -> None:
    parses: list[int] = []
    load = ca_bundles.x509.load_pem_x509_certificates

    def counting(data: bytes) -> list[Any]:
        parses.append(1)
        return load(data)

    monkeypatch.setattr(ca_bundles.x509, "load_pem_x509_certificates", counting)
    inventory = factories.inventory(
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        *(factories.entry(f"e{index}", ca=("corp-ca", "ca.crt")) for index in range(50)),
    )
    render_checked(inventory)
    assert len(parses) == 1
    render_checked(inventory)
    assert len(parses) == 2  # not cached across renders


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

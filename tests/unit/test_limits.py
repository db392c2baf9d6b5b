"""Every limit, on both sides, with multibyte text where bytes and characters differ.

Issue 22's mutants survived because the tests stayed far from the limits or used ASCII:
counting the env string in characters, refusing port 65535, matching cloud-metadata names
exactly instead of as suffixes, widening `*-token` to `*token`, a warning naming the wrong
env var, keeping the warnings of a backend skipped for an env clash. Each is killed here;
messages that are the contract are compared in full.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import render_checked, skipped_by_name
from vmcp_components.core import render as render_module
from vmcp_components.core.backends.remote_url import check_remote_url
from vmcp_components.core.render import RenderError, Rendering, kubectl_apply_warnings
from vmcp_components.core.settings.args import ArgsError, vmcp_name

Raw = dict[str, Any]
E = "é"  # two bytes of UTF-8, one character
MIB = 1024 * 1024


def _inventory(*members: Raw) -> Any:
    return factories.inventory(factories.group(), *members)


def _fitted(size_of: Callable[[int], int], target: int) -> int:
    """The padding n (of one-byte characters) for which `size_of(n) == target` (linear)."""
    base = size_of(0)
    assert size_of(1) == base + 1, "the size must grow by one byte per padding character"
    return target - base


# ─── one environment string: 131072 bytes with its NUL (MAX_ARG_STRLEN) ───

ENV_LIMIT = 131072


def _header_entry(pad: int) -> Raw:
    # 60,000 two-byte characters: far under the limit in characters, near it in bytes.
    return factories.entry("big.one", plaintext={"X-Blob": E * 60_000 + "x" * pad})


def _env_string_bytes(pad: int) -> int:
    manifest = json.dumps(
        {"addPlaintextHeaders": {"X-Blob": E * 60_000 + "x" * pad}},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return len(f"TOOLHIVE_HEADER_FORWARD_BIG_ONE={manifest}".encode()) + 1


@pytest.mark.parametrize("over", [0, 1])
def test_the_env_string_limit_counts_bytes_on_both_sides(over: int) -> None:
    pad = _fitted(_env_string_bytes, ENV_LIMIT) + over
    assert _env_string_bytes(pad) == ENV_LIMIT + over
    rendering = render_checked(_inventory(_header_entry(pad), factories.entry("other")))
    kept = [b["name"] for b in rendering.status["discoveredBackends"]]
    if not over:
        assert kept == ["big.one", "other"]
        return
    assert kept == ["other"]
    assert skipped_by_name(rendering) == {
        "big.one": "env var TOOLHIVE_HEADER_FORWARD_BIG_ONE would be 131073 bytes, over the "
        "131072 bytes Linux accepts for one environment string, so the vMCP container could "
        "not start; shorten the plaintext headers or move them to "
        "headerForward.addHeadersFromSecret"
    }


# ─── ports ───

PORT_MESSAGE = (
    "remote URL is invalid: the port after the host is not a number from 0 to 65535; "
    "write it as digits only, as in https://mcp.example.com:8443/"
)


@pytest.mark.parametrize("port", ["0", "1", "443", "65535"])
def test_ports_up_to_65535_are_allowed(port: str) -> None:
    assert check_remote_url(f"https://mcp.example.com:{port}/mcp") is None


@pytest.mark.parametrize("port", ["65536", "99999", "-1", "1e3"])
def test_ports_over_65535_are_refused(port: str) -> None:
    problem = check_remote_url(f"https://mcp.example.com:{port}/mcp")
    assert problem is not None
    assert problem.reason == PORT_MESSAGE


# ─── cloud metadata names, as suffixes ───

NEVER = (
    "it is never allowed, allowPrivateEndpoint does not change that; point remoteUrl at the "
    "MCP server itself"
)
METADATA_NEVER = "is a cloud metadata endpoint; " + NEVER


@pytest.mark.parametrize(
    "host",
    [
        "metadata",
        "metadata.goog",
        "x.metadata.goog",
        "a.b.metadata.goog",
        "METADATA.GOOG.",
        "instance-data",
        "a.instance-data",
        "instance-data.ec2.internal",
        "metadata.google.internal",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_cloud_metadata_names_are_refused_as_suffixes(host: str, allow_private: bool) -> None:
    problem = check_remote_url(f"http://{host}/computeMetadata/v1/", allow_private)
    assert problem is not None
    blocked = 'matches blocked internal hostname "metadata.google.internal"; ' + NEVER
    expected = blocked if host == "metadata.google.internal" else METADATA_NEVER
    assert problem.reason == f'remote URL host is not allowed: hostname "{host}" {expected}'


@pytest.mark.parametrize(
    "host",
    [
        "xmetadata.goog",
        "metadata.goog.example.com",
        "notinstance-data.example.com",
        "instance-data.example.com",
        "metadata-service.example.com",
    ],
)
def test_names_that_only_contain_a_metadata_name_are_allowed(host: str) -> None:
    assert check_remote_url(f"https://{host}/mcp") is None


# ─── plaintext headers named like credentials: each pattern, and what it must not match ───


@pytest.mark.parametrize(
    "header",
    [
        *("Authorization", "PROXY-AUTHORIZATION", "cookie"),
        *("X-Auth-Token", "-token", "X-Signing-KEY", "Client-Secret", "db-Password"),
        *("Api-Key", "X-Api-Key", "XApi-Key-V2", "x-api-keys"),
    ],
)
def test_each_credential_pattern_warns(header: str) -> None:
    rendering = render_checked(_inventory(factories.entry("e", plaintext={header: "v"})))
    assert len(rendering.warnings) == 1, rendering.warnings


@pytest.mark.parametrize(
    "header",
    [
        *("X-Authorization", "Authorizations", "Cookies", "Set-Cookie2"),
        *("XToken", "Bearertoken", "X-Token-Id", "Tokenizer"),
        *("Monkey", "X-Keyboard", "X-Key-Id", "Nosecret", "X-Secrets", "Xpassword"),
        *("X-Apikey", "Api_Key"),
    ],
)
def test_names_near_a_credential_pattern_do_not_warn(header: str) -> None:
    rendering = render_checked(_inventory(factories.entry("e", plaintext={header: "v"})))
    assert rendering.warnings == ()


def test_the_credential_warning_names_the_entry_header_and_env_var() -> None:
    entry = factories.entry("svc.api-v2", plaintext={"X-Auth-Token": "s3cr3t", "X-Tenant": "t"})
    rendering = render_checked(_inventory(entry))
    assert rendering.warnings == (
        "MCPServerEntry \"svc.api-v2\": plaintext header 'X-Auth-Token' looks like a credential: "
        "its value is written in clear text into the Deployment (env var "
        "TOOLHIVE_HEADER_FORWARD_SVC_API_V2), readable by anyone who can read the Deployment; "
        "move it to headerForward.addHeadersFromSecret with a valueSecretRef",
    )


def test_a_backend_skipped_for_an_env_clash_takes_its_warnings_with_it() -> None:
    # `a.b` and `a-b` both need TOOLHIVE_HEADER_FORWARD_A_B, with different values: both go.
    rendering = render_checked(
        _inventory(
            factories.entry("a.b", plaintext={"Authorization": "x"}),
            factories.entry("a-b", plaintext={"X-Tenant": "y"}),
            factories.entry("fine"),
        )
    )
    assert set(skipped_by_name(rendering)) == {"a.b", "a-b"}
    assert rendering.warnings == ()
    assert rendering.derivation.warnings == ()


# ─── config.yaml: at most 1 MiB of ConfigMap data, in bytes ───


def _annotated(pad: int) -> list[Raw]:
    """Five entries whose annotations (copied into config.yaml) are 1,000,000 bytes of UTF-8."""
    notes = {"example.com/notes": E * 100_000}
    entries = [factories.entry(f"e{i}", annotations=notes) for i in range(4)]
    last = {"example.com/notes": E * 100_000 + "x" * pad}
    return [*entries, factories.entry("e4", annotations=last)]


@cache  # each render of ~1 MB of YAML takes seconds; the tests only read the result
def _config_map(pad: int) -> Raw:
    return render_checked(_inventory(*_annotated(pad))).object("ConfigMap")


def _data_bytes(config_map: Raw) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in config_map["data"].items())


def _json_bytes(obj: Raw) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def _refusal(pad: int) -> str:
    with pytest.raises(RenderError) as caught:
        render_checked(_inventory(*_annotated(pad)))
    return str(caught.value)


def test_config_map_data_over_one_mib_is_refused_from_the_first_byte() -> None:
    # At exactly 1 MiB of data the data check passes, and the etcd estimate below refuses it.
    pad = _fitted(lambda n: _data_bytes(_config_map(n)), MIB)
    assert _refusal(pad).startswith(
        "group too large: ConfigMap eng-tools-vmcp-config would be stored as about "
    )
    assert _refusal(pad + 1) == (
        "group too large: the data of ConfigMap eng-tools-vmcp-config would be 1048577 bytes "
        "for 5 backends, over the 1048576-byte limit; split the group into several groups, "
        "each with its own vMCP"
    )


def test_a_config_map_at_etcds_limit_renders_and_one_byte_more_is_refused() -> None:
    pad = _fitted(lambda n: _json_bytes(_config_map(n)), MIB)
    config_map = _config_map(pad)  # stored as 1572864 bytes with the 50% estimate: the limit
    assert (_json_bytes(config_map), _data_bytes(config_map) < MIB) == (MIB, True)
    assert _refusal(pad + 1) == (
        "group too large: ConfigMap eng-tools-vmcp-config would be stored as about 1572865 "
        "bytes (1048577 bytes of JSON plus an estimated 50% for server-side apply's "
        "managedFields) for 5 backends, over etcd's default request limit of 1572864 bytes; "
        "split the group into several groups, each with its own vMCP, or give it fewer entries "
        "or fewer CA bundles"
    )


# ─── an object in etcd: its JSON plus 50% at most 1572864 bytes ───


def _blobs(pad: int) -> list[Raw]:
    """Nine entries whose header values (in the Deployment's env) are ~1 MB of UTF-8."""
    blob = E * 58_000
    entries = [factories.entry(f"h{i}", plaintext={"X-Blob": blob}) for i in range(8)]
    return [*entries, factories.entry("h8", plaintext={"X-Blob": blob + "x" * pad})]


def _deployment_json(rendering: Rendering) -> int:
    return _json_bytes(rendering.object("Deployment"))


def test_a_deployment_at_etcds_limit_renders_and_one_byte_more_is_refused() -> None:
    pad = _fitted(lambda n: _deployment_json(render_checked(_inventory(*_blobs(n)))), MIB)
    rendering = render_checked(_inventory(*_blobs(pad)))
    assert _deployment_json(rendering) == MIB  # stored as 1572864 bytes: exactly the limit
    with pytest.raises(RenderError) as caught:
        render_checked(_inventory(*_blobs(pad + 1)))
    assert str(caught.value) == (
        "group too large: Deployment eng-tools would be stored as about 1572865 bytes (1048577 "
        "bytes of JSON plus an estimated 50% for server-side apply's managedFields) for 9 "
        "backends, over etcd's default request limit of 1572864 bytes; split the group into "
        "several groups, each with its own vMCP, or give it fewer entries or fewer CA bundles"
    )


# ─── client-side kubectl apply: 256 KiB of JSON ───


def test_the_kubectl_apply_warning_starts_one_byte_over_256_kib() -> None:
    def rendering(pad: int) -> Rendering:
        blob = E * 60_000 + "x" * pad
        entries = [factories.entry(f"k{i}", plaintext={"X-Blob": blob}) for i in range(2)]
        return render_checked(_inventory(*entries))

    # two entries: each padding character adds two bytes; fit with the first entry only
    base = _deployment_json(rendering(0))
    assert _deployment_json(rendering(1)) == base + 2
    limit = 256 * 1024
    pad = (limit - base) // 2
    at = rendering(pad)
    assert _deployment_json(at) <= limit < _deployment_json(rendering(pad + 1))
    assert [w for w in kubectl_apply_warnings(at) if w.startswith("Deployment")] == []
    over = rendering(pad + 1)
    size = _deployment_json(over)
    assert [w for w in kubectl_apply_warnings(over) if w.startswith("Deployment")] == [
        f"Deployment eng-tools is {size} bytes of JSON, over the 262144 bytes client-side "
        "`kubectl apply` can keep in its last-applied-configuration annotation; apply the "
        "rendered objects with `kubectl apply --server-side`"
    ]


# ─── the vMCP's name: the Service vmcp-<name> is a DNS-1035 label (63) ───


def test_a_58_character_name_renders_and_59_is_refused() -> None:
    name = "v" * 58
    assert vmcp_name(name) == name
    rendering = render_checked(_inventory(factories.entry("e")), name=name)
    assert rendering.object("Service")["metadata"]["name"] == "vmcp-" + name
    with pytest.raises(ArgsError) as caught:
        vmcp_name(name + "v")
    assert str(caught.value).endswith(
        "is not a valid vMCP name: use at most 58 lowercase letters, digits and '-', starting "
        "and ending with a letter or digit (the Service 'vmcp-<name>' must be a DNS-1035 label)"
    )


@pytest.mark.parametrize(("length", "verbatim"), [(53, True), (54, False), (253, False)])
def test_ca_volume_names_at_the_label_limit(length: int, verbatim: bool) -> None:
    entry = ("ab." * 100)[: length - 1] + "z" if not verbatim else "a" * length
    objects = [
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry(entry, ca=("corp-ca", "ca.crt")),
    ]
    rendering = render_checked(_inventory(*objects))
    volumes = rendering.object("Deployment")["spec"]["template"]["spec"]["volumes"]
    (volume,) = (v["name"] for v in volumes if v["name"] != "vmcp-config")
    assert len(volume) <= 63
    assert (volume == f"ca-bundle-{entry}") is verbatim


# ─── CA certificates: the validity period's ends, and the 30-day expiry warning ───

AT = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def _ca_render(not_before: datetime, not_after: datetime) -> Rendering:
    pem = factories.certificate("Corp Root", not_before=not_before, not_after=not_after)
    objects = [
        factories.config_map("corp-ca", {"ca.crt": pem}),
        factories.entry("tls", ca=("corp-ca", "ca.crt")),
        factories.entry("plain"),
    ]
    return render_module.render(_inventory(*objects), "eng-tools", factories.args(), now=AT)


@pytest.mark.parametrize(
    ("not_before", "not_after", "kept"),
    [
        (AT, AT + timedelta(days=400), True),  # valid from this very second
        (AT + timedelta(seconds=1), AT + timedelta(days=400), False),
        (AT - timedelta(days=400), AT, True),  # valid until this very second
        (AT - timedelta(days=400), AT - timedelta(seconds=1), False),
    ],
    ids=["starts now", "starts in a second", "ends now", "ended a second ago"],
)
def test_a_ca_is_usable_from_its_first_to_its_last_second(
    not_before: datetime, not_after: datetime, kept: bool
) -> None:
    rendering = _ca_render(not_before, not_after)
    assert ("tls" not in skipped_by_name(rendering)) is kept


def test_the_expiry_warning_starts_one_second_inside_30_days() -> None:
    start = AT - timedelta(days=400)
    assert _ca_render(start, AT + timedelta(days=30)).warnings == ()
    rendering = _ca_render(start, AT + timedelta(days=30) - timedelta(seconds=1))
    assert rendering.warnings == (
        'MCPServerEntry "tls": CA bundle ConfigMap "corp-ca" key "ca.crt": certificate '
        "'CN=Corp Root' (valid 2029-04-27T12:00:00Z to 2030-07-01T11:59:59Z) expires in 29 "
        "day(s); replace it before then, or TLS to the backend fails",
    )

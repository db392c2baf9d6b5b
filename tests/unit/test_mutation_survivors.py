"""Tests written for the mutants `make mutation` found alive (tests/mutation/README.md).

Each test names the behaviour a surviving mutant changed without any test noticing; the
mutants that change nothing observable are listed with the reason in
tests/mutation/equivalent.md instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from vmcp_components.core import naming
from vmcp_components.core.backends.derivation import derive_backends
from vmcp_components.core.backends.remote_url import check_remote_url
from vmcp_components.core.output import vmcp_config
from vmcp_components.core.output.vmcp_config import (
    ConfigValidationError,
    build_config,
    validate_config,
)
from vmcp_components.core.render import render
from vmcp_components.errors import VmcpError


def _reason(url: str) -> str:
    problem = check_remote_url(url)
    assert problem is not None, url
    return problem.reason


# ─── remote_url: bracketed hosts, as Go's parseHost reads them ───

NOT_IPV6 = (
    "remote URL is invalid: the host in brackets is not an IPv6 address; brackets are only for "
    "IPv6 addresses, write IPv4 addresses and names without them"
)


def test_the_last_closing_bracket_ends_the_host_as_in_go() -> None:
    # Go's parseHost takes the last "]": "::1]" is the host (not an address), ":80" the port
    assert _reason("http://[::1]]:80/") == NOT_IPV6


def test_brackets_around_an_ipv4_address_are_refused_in_full() -> None:
    assert _reason("http://[192.0.2.1]/mcp") == NOT_IPV6


def test_an_ipv6_zone_is_refused_in_full() -> None:
    assert _reason("https://[fe80::1%25eth0]:8443/mcp") == (
        "remote URL host is not allowed: the IPv6 address has a zone identifier "
        '("%25..."), which means nothing for a remote server and hides the address from this '
        "check; remove it"
    )


# ─── naming: the CA volume of an entry with no letter or digit to keep ───


def test_a_volume_name_with_nothing_safe_left_is_the_digest_alone() -> None:
    digest = naming.ca_bundle_volume_name("...")[len("ca-bundle-") :]
    assert naming.ca_bundle_volume_name("...") == f"ca-bundle-{digest}"
    assert len(digest) == 8


# ─── checks: the operator's Failed phase and its conditions ───


def _failed_reason(conditions: list[dict[str, str]]) -> str:
    entry = factories.entry("broken", phase="Failed", conditions=conditions)
    result = derive_backends(
        factories.inventory(factories.group(), factories.entry("ok"), entry), factories.GROUP
    )
    (skipped,) = (s for s in result.skipped if s.name == "broken")
    return skipped.reason


def test_a_failed_entry_joins_every_failed_condition() -> None:
    reason = _failed_reason(
        [
            factories.condition("GroupRefValidated", "False", "A", "first problem"),
            factories.condition("CABundleValidated", "False", "B", ""),
            factories.condition("Valid", "False", "C", "overall"),
        ]
    )
    assert reason == "the ToolHive operator marked it Failed: first problem; B"


@pytest.mark.parametrize(
    "conditions",
    [[], [factories.condition("Valid", "True", "Checked", "all good")]],
    ids=["no conditions", "only a true Valid"],
)
def test_a_failed_entry_without_a_false_condition_says_so(conditions: list[dict[str, str]]) -> None:
    assert _failed_reason(conditions) == (
        "the ToolHive operator marked it Failed: no condition message"
    )


@pytest.mark.parametrize(
    ("key", "name"),
    [("url", "url"), ("roleRef", "role_ref"), ("configMapName", "config_map_name")],
)
def test_snake_case_turns_wire_keys_into_argument_names(key: str, name: str) -> None:
    assert naming.snake_case(key) == name


# ─── manifests: one env var, two Secret keys ───


def test_auth_configs_whose_names_normalise_alike_cannot_be_used_together() -> None:
    inventory = factories.inventory(
        factories.group(),
        factories.secret("s1", {"k": "dg=="}),
        factories.secret("s2", {"k": "dg=="}),
        factories.token_exchange("a-b", secret="s1", key="k"),
        factories.token_exchange("a.b", secret="s2", key="k"),
        factories.entry("e", auth="a.b"),
    )
    default = {"type": "externalAuthConfigRef", "externalAuthConfigRef": {"name": "a-b"}}
    with pytest.raises(VmcpError) as caught:
        render(inventory, "eng-tools", factories.args(outgoingAuth={"default": default}))
    assert str(caught.value) == (
        "env var TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_A_B would be filled from two different "
        "Secret keys; auth configs whose names normalise alike (e.g. 'a-b' and 'a.b') cannot be "
        "used together"
    )


# ─── vmcp_config: defaults filled in, and no aliasing between configs, arguments and defaults ───


def _config(**args: Any) -> dict[str, Any]:
    return build_config("eng-tools", factories.args(**args), [])


@pytest.mark.parametrize(
    ("given", "filled"),
    [
        ({"a": ""}, {"a": "x"}),
        ({"a": 0}, {"a": "x"}),
        ({"a": None}, {"a": "x"}),
        ({"a": {}}, {"a": "x"}),
        ({"a": 1}, {"a": 1}),
        ({"a": "y"}, {"a": "y"}),
    ],
)
def test_only_absent_or_empty_values_take_the_default(
    given: dict[str, Any], filled: dict[str, Any]
) -> None:
    assert vmcp_config._fill_defaults(given, {"a": "x"}) == filled


def test_filled_defaults_share_nothing_with_the_given_values_or_the_defaults() -> None:
    given = {"kept": {"deep": [1]}}
    defaults = {"added": {"deep": [2]}}
    merged = vmcp_config._fill_defaults(given, defaults)
    merged["kept"]["deep"].append(9)
    merged["added"]["deep"].append(9)
    assert (given, defaults) == ({"kept": {"deep": [1]}}, {"added": {"deep": [2]}})


def test_a_config_shares_no_mutable_part_with_the_arguments_or_the_defaults() -> None:
    aggregation = {
        "conflictResolution": "priority",
        "conflictResolutionConfig": {"priorityOrder": ["a"]},
    }
    args = factories.args(aggregation=aggregation)
    document = build_config("eng-tools", args, [])
    document["aggregation"]["conflictResolutionConfig"]["priorityOrder"].append("b")
    assert build_config("eng-tools", args, [])["aggregation"] == aggregation
    fresh = _config()
    fresh["operational"]["failureHandling"]["circuitBreaker"]["timeout"] = "9h"
    fresh["aggregation"]["conflictResolutionConfig"]["prefixFormat"] = "changed"
    again = _config()
    assert again["operational"]["failureHandling"]["circuitBreaker"]["timeout"] == "1m0s"
    assert again["aggregation"] == {
        "conflictResolution": "prefix",
        "conflictResolutionConfig": {"prefixFormat": "{workload}_"},
    }


# ─── checks: a per-backend auth override reaches an MCPServer too ───


def test_an_auth_override_names_an_mcpserver_backend() -> None:
    inventory = factories.inventory(
        factories.group(),
        factories.secret("oauth-client", {"client-secret": "dg=="}),
        factories.token_exchange("sso"),
        factories.server("github-mcp"),
    )
    override = {"type": "externalAuthConfigRef", "externalAuthConfigRef": {"name": "sso"}}
    args = factories.args(outgoingAuth={"backends": {"github-mcp": override}})
    rendering = render(inventory, "eng-tools", args)
    (record,) = rendering.status["discoveredBackends"]
    assert (record["name"], record["authType"]) == ("github-mcp", "token_exchange")


def test_a_bracket_inside_a_host_name_is_refused_in_full() -> None:
    assert _reason("http://x.example.com[::1]/") == (
        'remote URL is invalid: "[" in the host; brackets may only enclose a whole IPv6 '
        "address, as in https://[2001:db8::1]:8443/"
    )


# ─── derivation: skips keep their kind, warnings of every backend, the default is lenient ───


def test_three_backends_on_one_env_var_each_name_the_other_two() -> None:
    names = ["a-b.c", "a.b-c", "a.b.c"]
    entries = [factories.entry(n, plaintext={"X-Tenant": n}) for n in names]
    result = derive_backends(
        factories.inventory(factories.group(), factories.entry("ok"), *entries), factories.GROUP
    )
    assert [b.name for b in result.backends] == ["ok"]
    assert {s.name: (s.kind, s.reason) for s in result.skipped} == {
        name: (
            "MCPServerEntry",
            "env var TOOLHIVE_HEADER_FORWARD_A_B_C would clash with backend "
            + ", ".join(f'"{other}"' for other in names if other != name)
            + " (their names normalise to the same env var); rename one of them",
        )
        for name in names
    }


def test_an_entry_skipped_for_its_env_string_keeps_its_kind() -> None:
    huge = factories.entry("huge", plaintext={"X-Blob": "b" * 140_000})
    result = derive_backends(
        factories.inventory(factories.group(), factories.entry("ok"), huge), factories.GROUP
    )
    assert [(s.name, s.kind) for s in result.skipped] == [("huge", "MCPServerEntry")]


def test_derivation_is_lenient_by_default_and_keeps_every_backends_warnings() -> None:
    entries = [factories.entry(n, plaintext={"Authorization": "x"}) for n in ("one", "two")]
    result = derive_backends(factories.inventory(factories.group(), *entries), factories.GROUP)
    assert [b.name for b in result.backends] == ["one", "two"]
    assert [w.name for w in result.warnings] == ["one", "two"]


# ─── remote_url: more messages in full, and trailing characters that are not dots ───


def test_a_bad_percent_escape_is_quoted_as_its_three_characters() -> None:
    assert _reason("https://mcp.example.com/x%zzy") == (
        'remote URL is invalid: "%zz" in the path is not a percent-escape; write a literal "%" '
        'as "%25"'
    )


def test_a_non_ascii_host_is_refused_in_full() -> None:
    assert _reason("https://bücher.example/mcp") == (
        'remote URL host is not allowed: host "b\\u00fccher.example" has non-ASCII characters, '
        "which HTTP clients map to other names (IDNA) before resolving, so it may name an "
        "internal host; write it in ASCII, an international name in its xn-- punycode form"
    )


def test_a_url_without_an_authority_has_no_host() -> None:
    assert _reason("http:mcp.example.com/x") == "remote URL must have a valid host"


def test_only_trailing_dots_are_dropped_from_a_host() -> None:
    assert check_remote_url("https://metadata.googX/mcp") is None
    assert _reason("http://LOCALHOSTX/") == (
        'remote URL host is not allowed: hostname "LOCALHOSTX" is a single label, which only '
        "the pod's DNS search path resolves, to an in-cluster name; if the entry is meant to "
        "reach a private or in-cluster endpoint, set allowPrivateEndpoint: true on it"
    )


def test_a_dns_subdomain_may_have_253_characters() -> None:
    name = ".".join(["a" * 63] * 3) + "." + "a" * 61
    assert (len(name), naming.is_dns_subdomain(name)) == (253, True)
    assert naming.is_dns_subdomain(name + "a") is False


def test_the_config_validator_joins_its_problems_in_full() -> None:
    document = {
        "name": "n",
        "groupRef": "g",
        "incomingAuth": {"type": "anonymous"},
        "outgoingAuth": {"source": "x"},
        "backends": [{"name": "b", "url": "ftp://x", "transport": "sse"}],
    }
    with pytest.raises(ConfigValidationError) as caught:
        validate_config(document)
    assert str(caught.value) == (
        "generated vMCP config is invalid: outgoingAuth.source must be inline or discovered, "
        "got 'x'; backends[0].url must start with http:// or https://"
    )

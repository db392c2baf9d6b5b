"""Deriving a group's backends (DESIGN "Decisions on the details", reference §2 and §6.4).

Checks: members across MCPServerEntry, MCPServer and MCPRemoteProxy, other groups excluded;
the group must exist and must not be Failed; an entry marked Failed by the operator is skipped
with the operator's condition message, Valid/Pending/no-status entries are validated here;
schema, SSRF, CA bundle, auth config and header secret problems skip the entry with a precise
reason (all of them at once); a cross-kind name collision skips every object with that name;
MCPServer transport and status.url rules; metadata exactly as upstream; sorting; an explicit
entries list; and env-var clashes between names that normalise alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.factories import GROUP, NAMESPACE
from vmcp_components.core.backends.auth import DISCOVERED
from vmcp_components.core.backends.backend import Backend, GroupBackends
from vmcp_components.core.backends.derivation import derive_backends
from vmcp_components.core.backends.membership import GroupError
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.errors import Skipped

Raw = dict[str, Any]


def _derive(*objects: Raw, **kwargs: Any) -> GroupBackends:
    return derive_backends(factories.inventory(*objects), GROUP, **kwargs)


def _only_backend(result: GroupBackends) -> Backend:
    assert result.skipped == ()
    [backend] = result.backends
    return backend


def _only_skip(result: GroupBackends) -> Skipped:
    assert result.backends == ()
    [skipped] = result.skipped
    return skipped


def _ca_config_map(name: str = "corp-ca", key: str = "ca.crt") -> Raw:
    return factories.config_map(name, {key: factories.ca_pem()})


# ─── membership ───


def test_members_of_all_three_kinds_become_backends_and_other_groups_do_not() -> None:
    result = _derive(
        factories.group(),
        factories.group("sales-team"),
        factories.entry("context7"),
        factories.server("github-mcp"),
        factories.proxy("jira-proxy"),
        factories.entry("crm-tools", group_name="sales-team"),
        factories.server("sales-db", group_name="sales-team"),
        factories.proxy("sales-proxy", group_name="sales-team"),
        factories.entry("no-group-entry", group_name=None),
        factories.server("no-group-server", group_name=None),
    )

    assert result.group == GROUP
    assert result.skipped == ()
    assert [(b.name, b.kind, b.type) for b in result.backends] == [
        ("context7", "MCPServerEntry", "entry"),
        ("github-mcp", "MCPServer", "container"),
        ("jira-proxy", "MCPRemoteProxy", "proxy"),
    ]


def test_objects_of_the_group_in_another_namespace_are_not_members() -> None:
    inventory = factories.inventory(
        factories.group(),
        factories.entry("here"),
        factories.entry("elsewhere", namespace="other-team"),
    )
    assert [b.name for b in derive_backends(inventory, GROUP).backends] == ["here"]


def test_group_name_match_is_exact() -> None:
    result = _derive(
        factories.group(),
        factories.entry("exact"),
        factories.entry("upper", group_name="Engineering-Team"),
        factories.entry("prefix", group_name="engineering"),
    )
    assert [b.name for b in result.backends] == ["exact"]
    assert result.skipped == ()


# ─── the group ───


def test_a_missing_group_is_an_error_naming_group_and_namespace() -> None:
    with pytest.raises(GroupError) as caught:
        _derive(factories.group("sales-team"), factories.entry("e"))
    assert str(caught.value).startswith(f'MCPGroup "{GROUP}" not found in namespace "{NAMESPACE}"')


def test_a_group_in_another_namespace_does_not_count() -> None:
    with pytest.raises(GroupError, match="not found"):
        _derive(factories.group(namespace="other-team"), factories.entry("e"))


def test_a_failed_group_is_an_error_with_its_condition_message() -> None:
    failed = factories.group(
        phase="Failed",
        conditions=[
            factories.condition(
                "MCPServersChecked",
                "False",
                "ListMCPServersCheckFailed",
                "Failed to list MCPServers in namespace",
            )
        ],
    )
    with pytest.raises(GroupError) as caught:
        _derive(failed, factories.entry("e"))
    assert str(caught.value) == (
        f'MCPGroup "{GROUP}" in namespace "{NAMESPACE}" is Failed: '
        "Failed to list MCPServers in namespace; fix what its status conditions say (kubectl "
        "describe mcpgroup), then run again"
    )


@pytest.mark.parametrize("phase", ["Ready", "Pending", None])
def test_a_group_that_is_ready_pending_or_without_status_is_accepted(phase: str | None) -> None:
    result = _derive(factories.group(phase=phase), factories.entry("e"))
    assert [b.name for b in result.backends] == ["e"]


def test_a_malformed_group_is_a_group_error() -> None:
    with pytest.raises(GroupError, match=r"MCPGroup 'engineering-team': status\.phase"):
        _derive(factories.group(phase="Exploded"), factories.entry("e"))


# ─── entry phase ───


def test_an_entry_the_operator_marked_failed_is_skipped_with_its_condition_message() -> None:
    failed = factories.entry(
        "broken",
        phase="Failed",
        conditions=[
            factories.condition(
                "RemoteURLValidated", "True", "RemoteURLValid", "Remote URL is valid"
            ),
            factories.condition(
                "GroupRefValidated",
                "False",
                "GroupRefNotReady",
                "MCPGroup 'engineering-team' is not ready (current phase: Pending)",
            ),
            factories.condition(
                "Valid",
                "False",
                "ConfigInvalid",
                "One or more referenced resources are missing or invalid",
            ),
        ],
    )
    skipped = _only_skip(_derive(factories.group(), failed))

    assert skipped == Skipped(
        "broken",
        "MCPServerEntry",
        "the ToolHive operator marked it Failed: "
        "MCPGroup 'engineering-team' is not ready (current phase: Pending)",
    )


def test_a_failed_entry_with_only_the_overall_condition_reports_that_one() -> None:
    failed = factories.entry(
        "broken",
        phase="Failed",
        conditions=[factories.condition("Valid", "False", "ConfigInvalid", "One or more bad")],
    )
    assert _only_skip(_derive(factories.group(), failed)).reason == (
        "the ToolHive operator marked it Failed: One or more bad"
    )


def test_a_failed_entry_is_skipped_even_if_it_would_pass_our_checks() -> None:
    skipped = _only_skip(_derive(factories.group(), factories.entry("e", phase="Failed")))
    assert skipped.reason.startswith("the ToolHive operator marked it Failed")


@pytest.mark.parametrize(
    ("phase", "status"), [("Valid", "ready"), ("Pending", "unknown"), (None, "unknown")]
)
def test_valid_pending_and_unknown_entries_are_included_when_our_checks_pass(
    phase: str | None, status: str
) -> None:
    backend = _only_backend(_derive(factories.group(), factories.entry("e", phase=phase)))
    assert backend.status == status


@pytest.mark.parametrize("phase", ["Valid", "Pending", None])
def test_valid_pending_and_unknown_entries_are_still_checked_here(phase: str | None) -> None:
    # The operator may not run (or may be stale): its Valid phase is no free pass.
    bad = factories.entry("e", url="http://169.254.169.254/latest", phase=phase)
    skipped = _only_skip(_derive(factories.group(), bad))
    assert skipped.reason == (
        "remote URL host is not allowed: "
        "IP address 169.254.169.254 falls within blocked range 169.254.0.0/16; it is never "
        "allowed, allowPrivateEndpoint does not change that; point remoteUrl at the MCP server "
        "itself"
    )


# ─── schema ───


def test_an_entry_without_transport_is_skipped_with_the_field_error() -> None:
    skipped = _only_skip(_derive(factories.group(), factories.entry("e", transport=None)))
    assert skipped == Skipped(
        "e", "MCPServerEntry", "invalid MCPServerEntry 'e': spec.transport: Field required"
    )


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        ({"url": "ftp://mcp.example.com/"}, "spec.remoteUrl"),
        ({"transport": "stdio"}, "spec.transport"),
        (
            {"secret_headers": [("", "creds", "token")]},
            "spec.headerForward.addHeadersFromSecret[0].headerName",
        ),
        (
            {"secret_headers": [("X", "creds", "k"), ("X", "creds", "k")]},
            "spec.headerForward.addHeadersFromSecret",
        ),
    ],
)
def test_a_schema_invalid_entry_is_skipped_and_the_others_survive(
    change: dict[str, Any], field_path: str
) -> None:
    result = _derive(
        factories.group(),
        factories.secret("creds", {"k": "dg==", "token": "dg=="}),
        factories.entry("bad", **change),
        factories.entry("good"),
    )
    assert [b.name for b in result.backends] == ["good"]
    [skipped] = result.skipped
    assert skipped.name == "bad"
    assert skipped.reason.startswith(f"invalid MCPServerEntry 'bad': {field_path}: ")


# ─── SSRF ───


def test_ssrf_blocked_entry_is_skipped_with_the_controller_message() -> None:
    skipped = _only_skip(
        _derive(factories.group(), factories.entry("local", url="http://localhost:8080/mcp"))
    )
    assert skipped.reason == (
        'remote URL host is not allowed: hostname "localhost" matches blocked internal '
        'hostname "localhost"; it is never allowed, allowPrivateEndpoint does not change that; '
        "point remoteUrl at the MCP server itself"
    )


def test_allow_private_endpoint_admits_a_cluster_local_entry() -> None:
    url = "http://mcp.tools.svc.cluster.local:8080/mcp"
    blocked = _derive(factories.group(), factories.entry("svc", url=url))
    allowed = _derive(factories.group(), factories.entry("svc", url=url, allow_private=True))
    assert _only_skip(blocked).reason.endswith(
        'matches blocked internal hostname "cluster.local"; if the entry is meant to reach a '
        "private or in-cluster endpoint, set allowPrivateEndpoint: true on it"
    )
    assert _only_backend(allowed).url == url


# ─── CA bundle ───


def test_entry_with_a_ca_bundle_gets_the_mount_path() -> None:
    backend = _only_backend(
        _derive(factories.group(), _ca_config_map(), factories.entry("e", ca=("corp-ca", "ca.crt")))
    )
    assert backend.ca_bundle is not None
    assert backend.ca_bundle.config_map == "corp-ca"
    assert backend.ca_bundle.key == "ca.crt"
    assert backend.ca_bundle.path == "/etc/toolhive/ca-bundles/e/ca.crt"


def test_an_empty_key_means_ca_crt() -> None:
    backend = _only_backend(
        _derive(factories.group(), _ca_config_map(), factories.entry("e", ca=("corp-ca", "")))
    )
    assert backend.ca_bundle is not None
    assert backend.ca_bundle.key == "ca.crt"
    assert backend.ca_bundle.path == "/etc/toolhive/ca-bundles/e/ca.crt"


@pytest.mark.parametrize(
    ("objects", "ref", "reason"),
    [
        (
            [],
            ("corp-ca", "ca.crt"),
            f'CA bundle ConfigMap "corp-ca" not found in namespace "{NAMESPACE}"; create it '
            "there, or fix caBundleRef.configMapRef.name",
        ),
        (
            [factories.config_map("corp-ca", {"ca.crt": "x"}, namespace="other-team")],
            ("corp-ca", "ca.crt"),
            f'CA bundle ConfigMap "corp-ca" not found in namespace "{NAMESPACE}"; create it '
            "there, or fix caBundleRef.configMapRef.name",
        ),
        (
            [_ca_config_map(key="ca.crt")],
            ("corp-ca", "ca.pem"),
            'CA bundle ConfigMap "corp-ca" has no key "ca.pem"; its keys are "ca.crt": add the '
            "key, or set caBundleRef.configMapRef.key to one of them",
        ),
        (
            [_ca_config_map(key="bundle.pem")],
            ("corp-ca", ""),
            'CA bundle ConfigMap "corp-ca" has no key "ca.crt"; its keys are "bundle.pem": add the '
            "key, or set caBundleRef.configMapRef.key to one of them",
        ),
        (
            [factories.config_map("corp-ca", {"ca.crt": "not a certificate"})],
            ("corp-ca", "ca.crt"),
            'CA bundle ConfigMap "corp-ca" key "ca.crt" holds no PEM certificate that parses',
        ),
        (
            [
                factories.config_map(
                    "corp-ca",
                    {"ca.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
                )
            ],
            ("corp-ca", "ca.crt"),
            'CA bundle ConfigMap "corp-ca" key "ca.crt" holds no PEM certificate that parses',
        ),
        (
            [factories.config_map("corp-ca", {"ca.crt": ""})],
            ("corp-ca", "ca.crt"),
            'CA bundle ConfigMap "corp-ca" key "ca.crt" holds no PEM certificate that parses',
        ),
    ],
    ids=[
        "missing",
        "other-namespace",
        "key-missing",
        "empty-key-missing-ca.crt",
        "not-pem",
        "bad-der",
        "empty",
    ],
)
def test_ca_bundle_problems_skip_the_entry(
    objects: list[Raw], ref: tuple[str, str], reason: str
) -> None:
    skipped = _only_skip(_derive(factories.group(), *objects, factories.entry("e", ca=ref)))
    assert skipped == Skipped("e", "MCPServerEntry", reason)


def test_a_bundle_with_several_certificates_is_accepted() -> None:
    pem = factories.ca_pem() + factories.ca_pem()
    backend = _only_backend(
        _derive(
            factories.group(),
            factories.config_map("corp-ca", {"ca.crt": pem}),
            factories.entry("e", ca=("corp-ca", "ca.crt")),
        )
    )
    assert backend.ca_bundle is not None


# ─── auth configs ───


def test_entry_auth_config_becomes_its_strategy() -> None:
    backend = _only_backend(
        _derive(
            factories.group(),
            factories.secret("oauth-client", {"client-secret": "dg=="}),
            factories.token_exchange("salesforce-auth"),
            factories.entry("e", auth="salesforce-auth"),
        )
    )
    assert backend.auth is not None
    assert backend.auth.type == "token_exchange"
    assert backend.auth.config_name == "salesforce-auth"


@pytest.mark.parametrize(
    ("objects", "reason"),
    [
        (
            [],
            f'MCPExternalAuthConfig "the-auth" not found in namespace "{NAMESPACE}"; create it '
            "there, or fix externalAuthConfigRef.name",
        ),
        (
            [factories.auth_config("the-auth", auth_type="awsSts")],
            'MCPExternalAuthConfig "the-auth" has type "awsSts", which vmcp-components does not '
            "support in static mode (supported: tokenExchange, headerInjection, unauthenticated)",
        ),
        (
            [
                factories.secret("oauth-client", {"client-secret": "dg=="}),
                factories.token_exchange("the-auth", valid=("False", "clientSecretRef is invalid")),
            ],
            'MCPExternalAuthConfig "the-auth" is marked invalid: clientSecretRef is invalid',
        ),
        (
            [factories.token_exchange("the-auth")],
            'Secret "oauth-client" referenced for MCPExternalAuthConfig "the-auth" clientSecretRef '
            f'not found in namespace "{NAMESPACE}"; create it there, or reference an existing '
            "Secret",
        ),
        (
            [
                factories.secret("oauth-client", {"other": "dg=="}),
                factories.token_exchange("the-auth"),
            ],
            'Secret "oauth-client" has no key "client-secret" referenced for MCPExternalAuthConfig '
            '"the-auth" clientSecretRef; its keys are "other": add the key, or reference one of '
            "them",
        ),
        (
            [factories.header_injection("the-auth", header="X-API-Key", secret="api", key="k")],
            'Secret "api" referenced for MCPExternalAuthConfig "the-auth" valueSecretRef not found '
            f'in namespace "{NAMESPACE}"; create it there, or reference an existing Secret',
        ),
        (
            [factories.auth_config("the-auth")],
            'MCPExternalAuthConfig "the-auth" has type tokenExchange but no spec.tokenExchange',
        ),
        (
            [factories.auth_config("the-auth", token_exchange={"clientId": "x"})],
            "MCPExternalAuthConfig 'the-auth': spec.tokenExchange.tokenUrl: Field required",
        ),
    ],
    ids=[
        "missing",
        "unsupported-type",
        "valid-false",
        "client-secret-missing",
        "client-secret-key-missing",
        "header-injection-secret-missing",
        "no-token-exchange-section",
        "malformed",
    ],
)
def test_auth_config_problems_skip_the_entry(objects: list[Raw], reason: str) -> None:
    skipped = _only_skip(
        _derive(factories.group(), *objects, factories.entry("e", auth="the-auth"))
    )
    assert skipped == Skipped("e", "MCPServerEntry", reason)


def test_auth_config_valid_true_is_accepted() -> None:
    backend = _only_backend(
        _derive(
            factories.group(),
            factories.secret("oauth-client", {"client-secret": "dg=="}),
            factories.token_exchange("a", valid=("True", "ok")),
            factories.entry("e", auth="a"),
        )
    )
    assert backend.auth is not None


def test_a_server_with_a_broken_auth_config_is_skipped_too() -> None:
    skipped = _only_skip(_derive(factories.group(), factories.server("s", auth="nope")))
    assert skipped == Skipped(
        "s",
        "MCPServer",
        f'MCPExternalAuthConfig "nope" not found in namespace "{NAMESPACE}"; create it there, '
        "or fix externalAuthConfigRef.name",
    )


def test_an_override_wins_over_the_entry_auth_config_even_a_missing_one() -> None:
    result = _derive(
        factories.group(),
        factories.entry("e", auth="does-not-exist"),
        auth_overrides={"e": DISCOVERED},
    )
    assert _only_backend(result).auth == DISCOVERED


# ─── header secrets ───


def test_header_forward_secrets_must_exist_and_hold_the_key() -> None:
    result = _derive(
        factories.group(),
        factories.secret("has-key", {"token": "dg=="}),
        factories.secret("wrong-key", {"other": "dg=="}),
        factories.entry("ok", secret_headers=[("Authorization", "has-key", "token")]),
        factories.entry(
            "bad",
            plaintext={"X-Tenant": "t"},
            secret_headers=[
                ("Authorization", "missing", "token"),
                ("X-Api-Key", "wrong-key", "token"),
                ("X-Fine", "has-key", "token"),
            ],
        ),
    )
    assert [b.name for b in result.backends] == ["ok"]
    assert result.skipped == (
        Skipped(
            "bad",
            "MCPServerEntry",
            'Secret "missing" referenced for header "Authorization" not found in namespace '
            f'"{NAMESPACE}"; create it there, or reference an existing Secret; '
            'Secret "wrong-key" has no key "token" referenced for header "X-Api-Key"; its keys '
            'are "other": add the key, or reference one of them',
        ),
    )


def test_string_data_keys_count_as_secret_keys() -> None:
    backend = _only_backend(
        _derive(
            factories.group(),
            factories.secret("creds", string_data={"token": "plain"}),
            factories.entry("e", secret_headers=[("Authorization", "creds", "token")]),
        )
    )
    assert backend.header_forward is not None


def test_every_problem_of_an_entry_is_reported_together() -> None:
    entry = factories.entry(
        "e",
        url="http://10.0.0.8/mcp",
        ca=("missing-ca", "ca.crt"),
        auth="missing-auth",
        secret_headers=[("Authorization", "missing-secret", "token")],
    )
    reason = _only_skip(_derive(factories.group(), entry)).reason
    assert reason == "; ".join(
        [
            "remote URL host is not allowed: IP address 10.0.0.8 falls within blocked range "
            "10.0.0.0/8; if the entry is meant to reach a private or in-cluster endpoint, set "
            "allowPrivateEndpoint: true on it",
            f'CA bundle ConfigMap "missing-ca" not found in namespace "{NAMESPACE}"; create it '
            "there, or fix caBundleRef.configMapRef.name",
            f'MCPExternalAuthConfig "missing-auth" not found in namespace "{NAMESPACE}"; create '
            "it there, or fix externalAuthConfigRef.name",
            'Secret "missing-secret" referenced for header "Authorization" not found in '
            f'namespace "{NAMESPACE}"; create it there, or reference an existing Secret',
        ]
    )


# ─── name collisions across kinds ───


def test_a_name_shared_across_kinds_skips_every_object_with_that_name() -> None:
    result = _derive(
        factories.group(),
        factories.entry("shared"),
        factories.server("shared"),
        factories.proxy("shared"),
        factories.entry("alone"),
    )
    assert [b.name for b in result.backends] == ["alone"]
    reasons = {s.kind: s.reason for s in result.skipped if s.name == "shared"}
    assert set(reasons) == {"MCPServerEntry", "MCPServer", "MCPRemoteProxy"}
    assert 'MCPServer, MCPRemoteProxy "shared"' in reasons["MCPServerEntry"]
    assert 'MCPServerEntry, MCPRemoteProxy "shared"' in reasons["MCPServer"]
    assert 'MCPServerEntry, MCPServer "shared"' in reasons["MCPRemoteProxy"]
    for reason in reasons.values():
        assert reason.startswith("name collides with ")


def test_a_collision_skips_both_even_when_one_side_is_broken() -> None:
    result = _derive(
        factories.group(),
        factories.entry("shared", url="http://127.0.0.1/"),
        factories.server("shared"),
    )
    assert result.backends == ()
    assert {(s.name, s.kind) for s in result.skipped} == {
        ("shared", "MCPServerEntry"),
        ("shared", "MCPServer"),
    }
    for skipped in result.skipped:
        assert skipped.reason.startswith("name collides with ")


def test_the_same_name_in_another_group_is_no_collision() -> None:
    result = _derive(
        factories.group(),
        factories.group("sales-team"),
        factories.entry("shared"),
        factories.server("shared", group_name="sales-team"),
    )
    assert [(b.name, b.kind) for b in result.backends] == [("shared", "MCPServerEntry")]


# ─── MCPServer and MCPRemoteProxy ───


@pytest.mark.parametrize(
    ("transport", "proxy_mode", "expected"),
    [
        ("stdio", "sse", "sse"),
        ("stdio", "streamable-http", "streamable-http"),
        ("stdio", None, "streamable-http"),  # CRD default proxyMode
        (None, None, "streamable-http"),  # CRD default transport stdio
        ("sse", "streamable-http", "sse"),  # not stdio: spec.transport, not proxyMode
        ("sse", None, "sse"),
        ("streamable-http", "sse", "streamable-http"),
    ],
)
def test_server_transport_is_proxy_mode_for_stdio_else_transport(
    transport: str | None, proxy_mode: str | None, expected: str
) -> None:
    server = factories.server("s", transport=transport, proxy_mode=proxy_mode)
    assert _only_backend(_derive(factories.group(), server)).transport == expected


@pytest.mark.parametrize(("transport", "expected"), [(None, "streamable-http"), ("sse", "sse")])
def test_proxy_transport_is_its_spec_transport(transport: str | None, expected: str) -> None:
    proxy = factories.proxy("p", transport=transport)
    assert _only_backend(_derive(factories.group(), proxy)).transport == expected


def test_server_and_proxy_urls_come_from_status() -> None:
    result = _derive(
        factories.group(),
        factories.server("s", url="http://mcp-s-proxy.ns.svc.cluster.local:8080/mcp"),
        factories.proxy("p", remote_url="https://remote.example.com/", url="http://p.ns:8080/"),
    )
    assert [(b.name, b.url) for b in result.backends] == [
        ("p", "http://p.ns:8080/"),
        ("s", "http://mcp-s-proxy.ns.svc.cluster.local:8080/mcp"),
    ]


@pytest.mark.parametrize("kind", ["MCPServer", "MCPRemoteProxy"])
@pytest.mark.parametrize("url", [None, ""])
def test_server_or_proxy_without_status_url_is_skipped(kind: str, url: str | None) -> None:
    member = (
        factories.server("w", url=url) if kind == "MCPServer" else factories.proxy("w", url=url)
    )
    skipped = _only_skip(_derive(factories.group(), member))
    assert skipped == Skipped(
        "w",
        kind,
        f"{kind} has no status.url yet; the ToolHive operator sets it once the workload runs",
    )


def test_server_phase_does_not_skip_it_but_sets_its_status() -> None:
    result = _derive(
        factories.group(),
        factories.server("failed", phase="Failed"),
        factories.server("running", phase="Running"),
        factories.server("starting", phase="Pending"),
        factories.server("nostatus", phase=None),
    )
    assert {b.name: b.status for b in result.backends} == {
        "failed": "unavailable",
        "nostatus": "unknown",
        "running": "ready",
        "starting": "unknown",
    }


# ─── metadata ───


def test_entry_metadata_is_exactly_upstreams() -> None:
    annotations = {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "kubernetes.io/description": "hidden",
        "deployment.kubernetes.io/revision": "3",
        "k8s.io/something": "hidden",
        "app.kubernetes.io/part-of": "docs",  # not a hidden prefix: kept
        "example.com/owner": "docs-team",
        "group": "user-value",  # system keys override annotations
        "tool_type": "user-value",
        "workload_type": "user-value",
        "remote_url": "user-value",
        "namespace": "user-value",
        "workload_status": "user-value",
    }
    entry = factories.entry(
        "context7", url="https://mcp.context7.com/mcp", phase="Valid", annotations=annotations
    )
    backend = _only_backend(_derive(factories.group(), entry))

    assert dict(backend.metadata) == {
        "app.kubernetes.io/part-of": "docs",
        "example.com/owner": "docs-team",
        "group": GROUP,
        "namespace": NAMESPACE,
        "remote_url": "https://mcp.context7.com/mcp",
        "tool_type": "mcp",
        "workload_type": "server_entry",
    }
    assert list(backend.metadata) == sorted(backend.metadata)


def test_workload_status_is_never_written_even_if_annotated() -> None:
    entry = factories.entry("e", phase="Valid", annotations={"workload_status": "Valid"})
    backend = _only_backend(_derive(factories.group(), entry))
    assert dict(backend.metadata) == {
        "group": GROUP,
        "namespace": NAMESPACE,
        "remote_url": "https://e.example.com/mcp",
        "tool_type": "mcp",
        "workload_type": "server_entry",
    }


def test_server_metadata_is_exactly_upstreams_and_ignores_annotations() -> None:
    server = factories.server("github-mcp", annotations={"example.com/owner": "x"})
    assert dict(_only_backend(_derive(factories.group(), server)).metadata) == {
        "group": GROUP,
        "namespace": NAMESPACE,
        "tool_type": "mcp",
        "workload_type": "mcp_server",
    }


@pytest.mark.parametrize("phase", [None, "Pending", "Running", "Failed"])
def test_server_has_no_workload_status_in_any_phase(phase: str | None) -> None:
    server = factories.server("s", phase=phase)
    assert "workload_status" not in _only_backend(_derive(factories.group(), server)).metadata


def test_proxy_metadata_is_exactly_upstreams() -> None:
    proxy = factories.proxy("jira", remote_url="https://jira.example.com/mcp", phase="Ready")
    assert dict(_only_backend(_derive(factories.group(), proxy)).metadata) == {
        "group": GROUP,
        "namespace": NAMESPACE,
        "remote_url": "https://jira.example.com/mcp",
        "tool_type": "mcp",
        "workload_type": "remote_proxy",
    }


def test_entry_url_is_the_remote_url_verbatim() -> None:
    url = "https://MCP.Example.com:8443/a/../b?x=1#frag"
    assert _only_backend(_derive(factories.group(), factories.entry("e", url=url))).url == url


# ─── ordering ───


def test_backends_and_skips_are_sorted_by_name_whatever_the_input_order() -> None:
    result = _derive(
        factories.group(),
        factories.entry("zeta"),
        factories.proxy("omega", url=None),
        factories.server("mu"),
        factories.entry("alpha", url="http://127.0.0.1/"),
        factories.entry("beta"),
        factories.server("gamma", url=None),
    )
    assert [b.name for b in result.backends] == ["beta", "mu", "zeta"]
    assert [s.name for s in result.skipped] == ["alpha", "gamma", "omega"]


def test_backend_names_sort_bytewise() -> None:
    result = _derive(
        factories.group(),
        factories.entry("b"),
        factories.entry("a-b"),
        factories.entry("a1"),
        factories.entry("a"),
    )
    assert [b.name for b in result.backends] == ["a", "a-b", "a1", "b"]


# ─── explicit entry list ───


def _explicit_inventory() -> Inventory:
    return factories.inventory(
        factories.group(),
        factories.group("sales-team"),
        factories.entry("one"),
        factories.entry("two"),
        factories.entry("three"),
        factories.server("github-mcp"),
        factories.entry("crm-tools", group_name="sales-team"),
    )


def test_explicit_entries_replace_discovery() -> None:
    result = derive_backends(_explicit_inventory(), GROUP, entry_names=["two", "one"])
    assert [b.name for b in result.backends] == ["one", "two"]
    assert result.skipped == ()


def test_explicit_entries_that_are_missing_or_in_another_group_are_skipped() -> None:
    result = derive_backends(
        _explicit_inventory(), GROUP, entry_names=["one", "ghost", "crm-tools", "github-mcp"]
    )
    assert [b.name for b in result.backends] == ["one"]
    assert {s.name: s.reason for s in result.skipped} == {
        "crm-tools": 'belongs to group "sales-team", not "engineering-team"; '
        "fix spec.groupRef or the entries list",
        "ghost": f'MCPServerEntry "ghost" not found in namespace "{NAMESPACE}"; create it '
        "there, or remove it from the entries list",
        "github-mcp": f'MCPServerEntry "github-mcp" not found in namespace "{NAMESPACE}"; '
        "create it there, or remove it from the entries list",
    }


# ─── env-var clashes ───


def test_entries_whose_names_normalise_alike_with_header_forwarding_are_both_skipped() -> None:
    result = _derive(
        factories.group(),
        factories.entry("a-b", plaintext={"X-Tenant": "one"}),
        factories.entry("a.b", plaintext={"X-Tenant": "two"}),
        factories.entry("c", plaintext={"X-Tenant": "three"}),
    )
    assert [b.name for b in result.backends] == ["c"]
    assert {s.name: s.reason for s in result.skipped} == {
        "a-b": 'env var TOOLHIVE_HEADER_FORWARD_A_B would clash with backend "a.b" (their names '
        "normalise to the same env var); rename one of them",
        "a.b": 'env var TOOLHIVE_HEADER_FORWARD_A_B would clash with backend "a-b" (their names '
        "normalise to the same env var); rename one of them",
    }


@pytest.mark.parametrize(
    "other",
    [factories.entry("a-b"), factories.server("a-b"), factories.proxy("a-b")],
    ids=["entry", "server", "proxy"],
)
def test_a_backend_without_headers_would_inherit_a_namesakes_headers_so_both_are_skipped(
    other: Raw,
) -> None:
    # vMCP looks header forwarding up by the normalised backend name for every backend: "a-b"
    # would send "a.b"'s Authorization secret to its own remote server.
    result = _derive(
        factories.group(),
        factories.secret("creds", {"token": "dg=="}),
        other,
        factories.entry("a.b", secret_headers=[("Authorization", "creds", "token")]),
    )
    assert result.backends == ()
    assert {s.name for s in result.skipped} == {"a-b", "a.b"}


def test_names_that_normalise_alike_without_any_env_are_fine() -> None:
    result = _derive(factories.group(), factories.entry("a-b"), factories.server("a.b"))
    assert [b.name for b in result.backends] == ["a-b", "a.b"]


def test_auth_configs_whose_names_normalise_alike_skip_their_backends() -> None:
    result = _derive(
        factories.group(),
        factories.secret("one", {"client-secret": "dg=="}),
        factories.secret("two", {"client-secret": "dg=="}),
        factories.token_exchange("x-y", secret="one"),
        factories.token_exchange("x.y", secret="two"),
        factories.entry("first", auth="x-y"),
        factories.entry("second", auth="x.y"),
    )
    assert result.backends == ()
    reasons = {s.name: s.reason for s in result.skipped}
    assert set(reasons) == {"first", "second"}
    assert reasons["first"].startswith(
        'env var TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_X_Y would clash with backend "second"'
    )


def test_backends_sharing_one_auth_config_do_not_clash() -> None:
    result = _derive(
        factories.group(),
        factories.secret("oauth-client", {"client-secret": "dg=="}),
        factories.token_exchange("shared-auth"),
        factories.entry("first", auth="shared-auth"),
        factories.entry("second", auth="shared-auth"),
    )
    assert [b.name for b in result.backends] == ["first", "second"]

"""The wire models against the ToolHive CRDs (reference §1.2-§1.4).

Checks: a valid MCPServerEntry parses with camelCase wire names; unknown fields are ignored;
the CRD rules are enforced (remoteUrl pattern `^https?://`, transport enum with no default,
required groupRef.name, headerName 1..255 characters and unique, configMapRef.key required,
phase enums); and a malformed object parses to a Malformed naming kind, object and field path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests import factories
from vmcp_components.core.cluster.models import (
    Malformed,
    MCPExternalAuthConfig,
    MCPGroup,
    MCPRemoteProxy,
    MCPServer,
    MCPServerEntry,
    Model,
    parse_object,
)
from vmcp_components.core.naming import ca_bundle_key

Raw = dict[str, Any]


def _parsed(model: type[Model], raw: Raw) -> Model:
    parsed = parse_object(model, raw)
    assert not isinstance(parsed, Malformed), parsed
    return parsed


def _problem(model: type[Any], raw: Raw) -> str:
    parsed = parse_object(model, raw)
    assert isinstance(parsed, Malformed)
    assert (parsed.kind, parsed.name) == (model.__name__, raw["metadata"].get("name", "<unnamed>"))
    return parsed.problem


def _full_entry() -> Raw:
    raw = factories.entry(
        "internal-api",
        url="https://internal-mcp.corp.example.com/mcp",
        transport="sse",
        phase="Valid",
        ca=("corp-ca-bundle", "ca.crt"),
        auth="salesforce-auth",
        plaintext={"X-Tenant-ID": "tenant-123"},
        secret_headers=[("Authorization", "internal-api-credentials", "bearer-token")],
        allow_private=True,
        annotations={"example.com/owner": "docs-team"},
    )
    raw["status"]["conditions"] = [factories.condition("Valid", "True", "ConfigValid", "ok")]
    return raw


# ─── valid objects and wire names ───


def test_valid_entry_parses_with_camel_case_wire_names() -> None:
    entry = _parsed(MCPServerEntry, _full_entry())

    assert entry.metadata.name == "internal-api"
    assert entry.metadata.namespace == factories.NAMESPACE
    assert entry.metadata.annotations == {"example.com/owner": "docs-team"}
    spec = entry.spec
    assert spec.remote_url == "https://internal-mcp.corp.example.com/mcp"
    assert spec.transport == "sse"
    assert spec.allow_private_endpoint is True
    assert spec.group_ref.name == factories.GROUP
    assert spec.external_auth_config_ref is not None
    assert spec.external_auth_config_ref.name == "salesforce-auth"
    assert spec.ca_bundle_ref is not None
    assert spec.ca_bundle_ref.config_map_ref is not None
    assert spec.ca_bundle_ref.config_map_ref.name == "corp-ca-bundle"
    assert spec.ca_bundle_ref.config_map_ref.key == "ca.crt"
    assert spec.header_forward is not None
    assert spec.header_forward.add_plaintext_headers == {"X-Tenant-ID": "tenant-123"}
    [from_secret] = spec.header_forward.add_headers_from_secret
    assert from_secret.header_name == "Authorization"
    assert from_secret.value_secret_ref.name == "internal-api-credentials"
    assert from_secret.value_secret_ref.key == "bearer-token"
    assert entry.status is not None
    assert entry.status.phase == "Valid"
    assert [c.type for c in entry.status.conditions] == ["Valid"]


def test_model_dump_by_alias_uses_the_wire_names() -> None:
    entry = _parsed(MCPServerEntry, _full_entry())
    spec = entry.spec.model_dump(by_alias=True, exclude_none=True)

    assert set(spec) == {
        "remoteUrl",
        "allowPrivateEndpoint",
        "transport",
        "groupRef",
        "externalAuthConfigRef",
        "headerForward",
        "caBundleRef",
    }
    assert set(spec["headerForward"]) == {"addPlaintextHeaders", "addHeadersFromSecret"}
    assert set(spec["headerForward"]["addHeadersFromSecret"][0]) == {
        "headerName",
        "valueSecretRef",
    }
    assert set(spec["caBundleRef"]) == {"configMapRef"}


def test_optional_fields_default_as_the_crd_says() -> None:
    entry = _parsed(MCPServerEntry, factories.entry("plain"))

    assert entry.spec.allow_private_endpoint is False
    assert entry.spec.external_auth_config_ref is None
    assert entry.spec.header_forward is None
    assert entry.spec.ca_bundle_ref is None
    assert entry.status is None


def test_unknown_fields_are_ignored_everywhere() -> None:
    raw = _full_entry()
    raw["futureTopLevel"] = {"x": 1}
    raw["metadata"]["uid"] = "1234"
    raw["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    raw["spec"]["someNewField"] = "value"
    raw["spec"]["groupRef"]["namespace"] = "ignored"
    raw["status"]["observedGeneration"] = 3

    entry = _parsed(MCPServerEntry, raw)

    assert entry == _parsed(MCPServerEntry, _full_entry())
    assert "someNewField" not in entry.spec.model_dump(by_alias=True)


def test_v1alpha1_objects_parse_the_same_way() -> None:
    raw = _full_entry()
    raw["apiVersion"] = "toolhive.stacklok.dev/v1alpha1"
    assert _parsed(MCPServerEntry, raw) == _parsed(MCPServerEntry, _full_entry())


def test_empty_config_map_key_is_accepted_and_means_ca_crt() -> None:
    raw = factories.entry("e", ca=("corp-ca", ""))
    entry = _parsed(MCPServerEntry, raw)
    assert entry.spec.ca_bundle_ref is not None
    assert entry.spec.ca_bundle_ref.config_map_ref is not None
    assert entry.spec.ca_bundle_ref.config_map_ref.key == ""
    assert ca_bundle_key(entry.spec.ca_bundle_ref.config_map_ref.key) == "ca.crt"


@pytest.mark.parametrize("length", [1, 255])
def test_header_name_length_bounds_are_inclusive(length: int) -> None:
    raw = factories.entry("e", secret_headers=[("H" * length, "creds", "token")])
    entry = _parsed(MCPServerEntry, raw)
    assert entry.spec.header_forward is not None
    assert len(entry.spec.header_forward.add_headers_from_secret[0].header_name) == length


def test_other_kinds_take_their_crd_defaults() -> None:
    server = _parsed(MCPServer, factories.server("s", transport=None))
    proxy = _parsed(MCPRemoteProxy, factories.proxy("p"))
    group = _parsed(MCPGroup, factories.group(phase=None))

    # MCPServer's CRD defaults transport to stdio and proxyMode to streamable-http.
    assert server.spec.transport == "stdio"
    assert server.spec.proxy_mode == "streamable-http"
    # MCPRemoteProxy defaults transport to streamable-http (unlike MCPServerEntry).
    assert proxy.spec.transport == "streamable-http"
    assert group.status is None


# ─── CRD rules ───


def _set(path: str, value: Any) -> Callable[[Raw], None]:
    def mutate(raw: Raw) -> None:
        *parents, last = path.split(".")
        target = raw
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _delete(path: str) -> Callable[[Raw], None]:
    def mutate(raw: Raw) -> None:
        *parents, last = path.split(".")
        target = raw
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


def _header_items(*items: Raw) -> Callable[[Raw], None]:
    return _set("spec.headerForward", {"addHeadersFromSecret": list(items)})


def _header(name: str) -> Raw:
    return {"headerName": name, "valueSecretRef": {"name": "creds", "key": "token"}}


ENTRY_RULES = [
    pytest.param(_set("spec.remoteUrl", "ftp://x.example.com"), "spec.remoteUrl", id="ftp-url"),
    pytest.param(_set("spec.remoteUrl", "x.example.com/mcp"), "spec.remoteUrl", id="no-scheme"),
    # The CRD pattern is case-sensitive: `HTTPS://` is refused at admission.
    pytest.param(_set("spec.remoteUrl", "HTTPS://x.example.com"), "spec.remoteUrl", id="upper"),
    pytest.param(_delete("spec.remoteUrl"), "spec.remoteUrl", id="no-url"),
    pytest.param(_set("spec.transport", "stdio"), "spec.transport", id="stdio-transport"),
    pytest.param(_set("spec.transport", "http"), "spec.transport", id="unknown-transport"),
    pytest.param(_delete("spec.transport"), "spec.transport", id="no-transport-no-default"),
    pytest.param(_delete("spec.groupRef"), "spec.groupRef", id="no-groupRef"),
    pytest.param(_set("spec.groupRef", {}), "spec.groupRef.name", id="no-groupRef-name"),
    pytest.param(_set("spec.groupRef.name", ""), "spec.groupRef.name", id="empty-group"),
    pytest.param(
        _header_items(_header("")),
        "spec.headerForward.addHeadersFromSecret[0].headerName",
        id="empty-headerName",
    ),
    pytest.param(
        _header_items(_header("ok"), _header("H" * 256)),
        "spec.headerForward.addHeadersFromSecret[1].headerName",
        id="headerName-256",
    ),
    pytest.param(
        _header_items({"headerName": "X"}),
        "spec.headerForward.addHeadersFromSecret[0].valueSecretRef",
        id="no-valueSecretRef",
    ),
    pytest.param(
        _header_items({"headerName": "X", "valueSecretRef": {"name": "creds"}}),
        "spec.headerForward.addHeadersFromSecret[0].valueSecretRef.key",
        id="no-secret-key",
    ),
    pytest.param(
        _set("spec.caBundleRef", {"configMapRef": {"name": "corp-ca"}}),
        "spec.caBundleRef.configMapRef.key",
        id="configMapRef-without-key",
    ),
    pytest.param(_set("spec.externalAuthConfigRef", {}), "spec.externalAuthConfigRef.name"),
    pytest.param(_set("status", {"phase": "Ready"}), "status.phase", id="entry-phase-enum"),
    pytest.param(_set("spec", "not a mapping"), "spec", id="spec-not-mapping"),
]


@pytest.mark.parametrize(("mutate", "field_path"), ENTRY_RULES)
def test_crd_rules_are_enforced_with_the_field_path(
    mutate: Callable[[Raw], None], field_path: str
) -> None:
    raw = copy.deepcopy(factories.entry("bad-entry"))
    mutate(raw)

    message = _problem(MCPServerEntry, raw)
    assert message.startswith("MCPServerEntry 'bad-entry': ")
    assert f" {field_path}: " in message


def test_duplicate_header_names_are_refused_as_a_list_map_key() -> None:
    raw = factories.entry("e")
    _header_items(_header("Authorization"), _header("Authorization"))(raw)

    message = _problem(MCPServerEntry, raw)
    assert "spec.headerForward.addHeadersFromSecret: " in message
    assert "duplicate headerName 'Authorization'" in message


def test_header_names_differing_only_in_case_are_distinct_list_map_keys() -> None:
    raw = factories.entry("e")
    _header_items(_header("X-Token"), _header("x-token"))(raw)
    entry = _parsed(MCPServerEntry, raw)
    assert entry.spec.header_forward is not None
    assert len(entry.spec.header_forward.add_headers_from_secret) == 2


def test_missing_required_field_says_required_and_shows_no_value() -> None:
    raw = factories.entry("e", transport=None)
    assert _problem(MCPServerEntry, raw) == "MCPServerEntry 'e': spec.transport: Field required"


def test_every_problem_is_reported_in_one_message() -> None:
    raw = factories.entry("e", url="ftp://x", transport=None)
    message = _problem(MCPServerEntry, raw)
    assert message.count("; ") == 1
    assert "spec.remoteUrl: " in message
    assert "(got 'ftp://x')" in message
    assert "spec.transport: Field required" in message


@pytest.mark.parametrize(
    ("model", "raw", "expected_start", "field_path"),
    [
        (
            MCPServer,
            factories.server("s", transport="websocket"),
            "MCPServer 's': ",
            "spec.transport",
        ),
        (
            MCPRemoteProxy,
            factories.proxy("p", remote_url="tcp://x"),
            "MCPRemoteProxy 'p': ",
            "spec.remoteUrl",
        ),
        (
            MCPGroup,
            factories.group(phase="Broken"),
            "MCPGroup 'engineering-team': ",
            "status.phase",
        ),
        (
            MCPExternalAuthConfig,
            factories.auth_config("a", token_exchange={"clientId": "x"}),
            "MCPExternalAuthConfig 'a': ",
            "spec.tokenExchange.tokenUrl",
        ),
    ],
)
def test_object_error_names_kind_object_and_field_for_every_kind(
    model: type[Any], raw: Raw, expected_start: str, field_path: str
) -> None:
    problem = _problem(model, raw)
    assert problem.startswith(expected_start)
    assert f" {field_path}: " in problem


def test_object_error_without_metadata_name_still_names_the_kind() -> None:
    raw = factories.entry("e")
    raw["metadata"] = {}
    assert _problem(MCPServerEntry, raw).startswith("MCPServerEntry '<unnamed>': metadata.name: ")

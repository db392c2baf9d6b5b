"""Names the operator derives (reference §3.1, §4.2-§4.5; upstream wirefmt tests).

Checks: env-var normalisation (upstream's own table), the auth and header-forward env names,
object names and the Service URL, CA paths and the 63-character CA volume-name rule.
"""

from __future__ import annotations

import hashlib

import pytest

from vmcp_components.core import naming


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # pkg/vmcp/headerforward/wirefmt/wirefmt_test.go TestNormalizeForEnvVar
        ("my-proxy", "MY_PROXY"),
        ("FOO_BAR", "FOO_BAR"),
        ("proxy.name@123", "PROXY_NAME_123"),
        ("GitHub-Copilot", "GITHUB_COPILOT"),
        ("", ""),
        # more: every character outside [A-Z0-9_] becomes one underscore
        ("a b/c:d", "A_B_C_D"),
        ("ünïcode", "_N_CODE"),
    ],
)
def test_env_token_normalises_like_the_operator(value: str, expected: str) -> None:
    assert naming.env_token(value) == expected


@pytest.mark.parametrize(
    ("entry", "header", "identifier"),
    [
        # wirefmt_test.go TestSecretEnvVarName (owner, header) cases
        ("my-proxy", "X-API-Key", "HEADER_FORWARD_X_API_KEY_MY_PROXY"),
        ("test-proxy", "authorization", "HEADER_FORWARD_AUTHORIZATION_TEST_PROXY"),
        ("my-remote-proxy", "X-Custom-Header", "HEADER_FORWARD_X_CUSTOM_HEADER_MY_REMOTE_PROXY"),
        ("proxy.name@123", "X-Token", "HEADER_FORWARD_X_TOKEN_PROXY_NAME_123"),
    ],
)
def test_header_forward_names_match_upstream(entry: str, header: str, identifier: str) -> None:
    assert naming.header_forward_identifier(header, entry) == identifier
    assert naming.header_forward_secret_env(header, entry) == "TOOLHIVE_SECRET_" + identifier


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("github-copilot", "TOOLHIVE_HEADER_FORWARD_GITHUB_COPILOT"),
        ("STRIPE", "TOOLHIVE_HEADER_FORWARD_STRIPE"),
    ],
)
def test_header_forward_manifest_env_matches_upstream(entry: str, expected: str) -> None:
    assert naming.header_forward_manifest_env(entry) == expected


def test_auth_secret_env_names() -> None:
    assert naming.token_exchange_secret_env("salesforce-auth") == (
        "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH"
    )
    assert naming.header_injection_secret_env("api.key-auth") == (
        "TOOLHIVE_HEADER_INJECTION_VALUE_API_KEY_AUTH"
    )


def test_object_names_and_url() -> None:
    assert naming.config_map_name("eng-tools") == "eng-tools-vmcp-config"
    assert naming.rbac_name("eng-tools") == "eng-tools-vmcp"
    assert naming.service_name("eng-tools") == "vmcp-eng-tools"
    assert naming.service_url("eng-tools", "toolhive-system") == (
        "http://vmcp-eng-tools.toolhive-system.svc.cluster.local:4483"
    )


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("ca.crt", "/etc/toolhive/ca-bundles/e/ca.crt"),
        ("", "/etc/toolhive/ca-bundles/e/ca.crt"),
        ("corp.pem", "/etc/toolhive/ca-bundles/e/corp.pem"),
    ],
)
def test_ca_bundle_path(key: str, path: str) -> None:
    assert naming.ca_bundle_path("e", key) == path
    assert naming.ca_bundle_dir("e") == "/etc/toolhive/ca-bundles/e"


def test_ca_volume_name_boundary_and_hash() -> None:
    assert naming.ca_bundle_volume_name("x" * 53) == "ca-bundle-" + "x" * 53
    long_name = "x" * 54
    digest = hashlib.sha256(long_name.encode()).hexdigest()[:8]
    assert naming.ca_bundle_volume_name(long_name) == "ca-bundle-" + "x" * 44 + "-" + digest
    for length in range(54, 254, 7):
        name = ("ab-" * 100)[:length]
        assert len(naming.ca_bundle_volume_name(name)) <= 63

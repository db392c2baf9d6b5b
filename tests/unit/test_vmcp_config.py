"""The static-mode `config.yaml` (reference §3.2-§3.4, §7.3).

Checks: vMCP's validator itself (positive control, then every rule it enforces); key order and
defaults (operational and aggregation defaults filled, user values kept); `type: entry` on
entry backends only; auth strategies with env-var names and never values (token exchange,
header injection, subjectTokenType URNs); outgoingAuth default and per-backend overrides
(override beats the entry's own auth config; a missing override config is a RenderError).
Every rendered config goes through `render_checked`, which runs the validator on it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests import factories
from tests.factories import GROUP
from tests.unit.helpers import (
    backends_by_name,
    config_of,
    container_of,
    env_by_name,
    render_checked,
)
from vmcp_components.core.output.vmcp_config import ConfigValidationError, validate_config
from vmcp_components.core.render import RenderError

Raw = dict[str, Any]

# §3.2/§3.3, written out by hand from the reference.
UPSTREAM_AGGREGATION = {
    "conflictResolution": "prefix",
    "conflictResolutionConfig": {"prefixFormat": "{workload}_"},
}
UPSTREAM_OPERATIONAL = {
    "timeouts": {"default": "30s"},
    "failureHandling": {
        "healthCheckInterval": "30s",
        "unhealthyThreshold": 3,
        "statusReportingInterval": "30s",
        "partialFailureMode": "fail",
        "circuitBreaker": {"failureThreshold": 5, "timeout": "1m0s"},
    },
}


# ─── the validator ───


def _valid_document() -> Raw:
    return {
        "name": "eng-tools",
        "groupRef": GROUP,
        "backends": [
            {"name": "plain", "url": "https://a.example.com/mcp", "transport": "sse"},
            {
                "name": "with-ca",
                "url": "https://b.example.com/mcp",
                "transport": "streamable-http",
                "type": "entry",
                "caBundlePath": "/etc/toolhive/ca-bundles/with-ca/ca.crt",
                "metadata": {"group": GROUP},
            },
        ],
        "incomingAuth": {"type": "anonymous"},
        "outgoingAuth": {"source": "inline"},
    }


def test_the_validator_accepts_a_valid_document() -> None:
    validate_config(_valid_document())


def test_the_validator_accepts_discovered_source() -> None:
    document = _valid_document()
    document["outgoingAuth"]["source"] = "discovered"
    validate_config(document)


def _backend(index: int, key: str, value: Any) -> Callable[[Raw], None]:
    def mutate(document: Raw) -> None:
        if value is None:
            del document["backends"][index][key]
        else:
            document["backends"][index][key] = value

    return mutate


def _top(key: str, value: Any) -> Callable[[Raw], None]:
    def mutate(document: Raw) -> None:
        if value is None:
            del document[key]
        else:
            document[key] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (
            _backend(1, "type", None),
            'backends[1].caBundlePath is only valid when type is "entry"',
        ),
        (
            _backend(0, "caBundlePath", "/etc/toolhive/ca-bundles/plain/ca.crt"),
            'backends[0].caBundlePath is only valid when type is "entry"',
        ),
        (
            _backend(1, "caBundlePath", "ca-bundles/with-ca/ca.crt"),
            "backends[1].caBundlePath must be an absolute path",
        ),
        (
            _backend(1, "caBundlePath", "/etc/toolhive/ca-bundles/../../etc/passwd"),
            "backends[1].caBundlePath contains invalid path characters",
        ),
        (
            _backend(1, "caBundlePath", "/etc/toolhive/ca-bundles/x\x00/ca.crt"),
            "backends[1].caBundlePath contains invalid path characters",
        ),
        (
            _backend(0, "type", "container"),
            'backends[0].type must be empty or "entry", got "container"',
        ),
        (_backend(0, "name", None), "backends[0].name is required"),
        (_backend(0, "url", "ftp://a.example.com"), "backends[0].url must start with http://"),
        (_backend(0, "transport", "stdio"), "backends[0].transport must be one of"),
        (_backend(0, "transport", None), "backends[0].transport is required"),
        (_top("name", None), "name is required"),
        (_top("name", ""), "name is required"),
        (_top("groupRef", None), "groupRef is required"),
        (_top("incomingAuth", None), "incomingAuth is required"),
        (
            _top("outgoingAuth", {"source": "dynamic"}),
            "outgoingAuth.source must be inline or discovered, got 'dynamic'",
        ),
        (
            _top("outgoingAuth", None),
            "outgoingAuth.source must be inline or discovered, got None",
        ),
        (  # vmcp v0.63.0 has no `discovered` strategy (its validate refused what we wrote)
            _top("outgoingAuth", {"source": "inline", "default": {"type": "discovered"}}),
            "outgoingAuth.default: type must be one of: unauthenticated, header_injection,",
        ),
        (
            _top(
                "outgoingAuth", {"source": "inline", "backends": {"b": {"type": "tokenExchange"}}}
            ),
            "outgoingAuth.backends.b: type must be one of: unauthenticated,",
        ),
    ],
)
def test_the_validator_refuses_what_vmcp_refuses(
    mutate: Callable[[Raw], None], problem: str
) -> None:
    document = copy.deepcopy(_valid_document())
    mutate(document)
    with pytest.raises(ConfigValidationError) as caught:
        validate_config(document)
    message = str(caught.value)
    assert message.startswith("generated vMCP config is invalid: ")
    assert problem in message


def test_the_validator_lists_every_problem() -> None:
    document = _valid_document()
    del document["name"]
    document["backends"][0]["type"] = "proxy"
    document["backends"][1]["caBundlePath"] = "relative/ca.crt"
    with pytest.raises(ConfigValidationError) as caught:
        validate_config(document)
    assert str(caught.value).count("; ") == 2


# ─── document shape and defaults ───


def _mixed_group() -> list[Raw]:
    return [
        factories.group(),
        factories.entry("context7", url="https://mcp.context7.com/mcp", phase="Valid"),
        factories.entry("internal-mcp", ca=("corp-ca", "ca.crt")),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.server("github-mcp"),
        factories.proxy("jira"),
    ]


def test_top_level_keys_follow_vmcps_declaration_order() -> None:
    document = config_of(render_checked(factories.inventory(*_mixed_group())))
    assert list(document) == [
        "name",
        "groupRef",
        "backends",
        "incomingAuth",
        "outgoingAuth",
        "aggregation",
        "operational",
    ]
    assert document["name"] == "eng-tools"
    assert document["groupRef"] == GROUP
    assert document["incomingAuth"] == {"type": "anonymous"}
    assert document["outgoingAuth"] == {"source": "inline"}


def test_backend_keys_follow_vmcps_declaration_order() -> None:
    backends = backends_by_name(render_checked(factories.inventory(*_mixed_group())))
    assert list(backends["internal-mcp"]) == [
        "name",
        "url",
        "transport",
        "type",
        "caBundlePath",
        "metadata",
    ]
    assert list(backends["github-mcp"]) == ["name", "url", "transport", "metadata"]


def test_type_entry_is_set_on_entry_backends_only() -> None:
    backends = backends_by_name(render_checked(factories.inventory(*_mixed_group())))
    assert {name: b.get("type") for name, b in backends.items()} == {
        "context7": "entry",
        "github-mcp": None,
        "internal-mcp": "entry",
        "jira": None,
    }


def test_defaults_are_vmcps() -> None:
    document = config_of(render_checked(factories.inventory(*_mixed_group())))
    assert document["aggregation"] == UPSTREAM_AGGREGATION
    assert document["operational"] == UPSTREAM_OPERATIONAL


def test_user_operational_values_are_kept_and_only_missing_fields_filled() -> None:
    operational = {
        "logLevel": "info",
        "timeouts": {"default": "45s", "perWorkload": {"github-mcp": "2m"}},
        "failureHandling": {
            "unhealthyThreshold": 7,
            "partialFailureMode": "best_effort",
            "circuitBreaker": {"enabled": True, "timeout": "30s"},
        },
    }
    document = config_of(
        render_checked(factories.inventory(*_mixed_group()), operational=operational)
    )
    assert document["operational"] == {
        "logLevel": "info",
        "timeouts": {"default": "45s", "perWorkload": {"github-mcp": "2m"}},
        "failureHandling": {
            "unhealthyThreshold": 7,
            "partialFailureMode": "best_effort",
            "circuitBreaker": {"enabled": True, "timeout": "30s", "failureThreshold": 5},
            "healthCheckInterval": "30s",
            "statusReportingInterval": "30s",
        },
    }


def test_user_aggregation_replaces_the_default() -> None:
    aggregation = {
        "conflictResolution": "priority",
        "conflictResolutionConfig": {"priorityOrder": ["github-mcp", "context7"]},
    }
    document = config_of(
        render_checked(factories.inventory(*_mixed_group()), aggregation=aggregation)
    )
    assert document["aggregation"] == aggregation


def test_oidc_incoming_auth_is_passed_through() -> None:
    oidc = {"issuer": "https://idp.example.com", "audience": "vmcp", "clientId": "vmcp"}
    document = config_of(
        render_checked(
            factories.inventory(*_mixed_group()),
            incomingAuth={"type": "oidc", "oidc": oidc},
        )
    )
    assert document["incomingAuth"] == {"type": "oidc", "oidc": oidc}


def test_backends_are_sorted_by_name() -> None:
    document = config_of(render_checked(factories.inventory(*_mixed_group())))
    names = [b["name"] for b in document["backends"]]
    assert names == ["context7", "github-mcp", "internal-mcp", "jira"]


def test_nothing_but_paths_and_env_names_reach_the_config() -> None:
    objects = [
        *_mixed_group(),
        factories.secret("creds", {"token": "dg=="}),
        factories.entry(
            "internal-api",
            plaintext={"X-Tenant-ID": "tenant-123"},
            secret_headers=[("Authorization", "creds", "token")],
        ),
    ]
    text = render_checked(factories.inventory(*objects)).object("ConfigMap")["data"]["config.yaml"]
    assert "BEGIN CERTIFICATE" not in text
    for fragment in ("X-Tenant-ID", "tenant-123", "Authorization", "creds", "HEADER_FORWARD"):
        assert fragment not in text


# ─── auth strategies ───


def _auth_group(*extra: Raw, auth: str = "salesforce-auth") -> list[Raw]:
    return [
        factories.group(),
        factories.secret("salesforce-oauth", {"client-secret": "dg=="}),
        factories.entry("salesforce-mcp", url="https://mcp.salesforce.com/v1", auth=auth),
        *extra,
    ]


def test_token_exchange_strategy_names_the_secret_env_var() -> None:
    # §3.4's example, written out by hand.
    auth = factories.auth_config(
        "salesforce-auth",
        token_exchange={
            "tokenUrl": "https://login.salesforce.com/services/oauth2/token",
            "clientId": "toolhive-exchange",
            "clientSecretRef": {"name": "salesforce-oauth", "key": "client-secret"},
            "audience": "https://mcp.salesforce.com",
            "scopes": ["mcp:read", "mcp:write"],
        },
    )
    rendering = render_checked(factories.inventory(*_auth_group(auth)))

    assert config_of(rendering)["outgoingAuth"] == {
        "source": "inline",
        "backends": {
            "salesforce-mcp": {
                "type": "token_exchange",
                "tokenExchange": {
                    "tokenUrl": "https://login.salesforce.com/services/oauth2/token",
                    "clientId": "toolhive-exchange",
                    "clientSecretEnv": "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH",
                    "audience": "https://mcp.salesforce.com",
                    "scopes": ["mcp:read", "mcp:write"],
                },
            }
        },
    }
    assert env_by_name(rendering)["TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH"] == {
        "name": "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH",
        "valueFrom": {"secretKeyRef": {"name": "salesforce-oauth", "key": "client-secret"}},
    }


@pytest.mark.parametrize(
    ("config_name", "env_name"),
    [
        ("salesforce-auth", "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH"),
        ("corp.sso-v2", "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_CORP_SSO_V2"),
        ("a1", "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_A1"),
    ],
)
def test_token_exchange_env_name_normalises_the_config_name(
    config_name: str, env_name: str
) -> None:
    auth = factories.token_exchange(config_name, secret="salesforce-oauth")
    rendering = render_checked(factories.inventory(*_auth_group(auth, auth=config_name)))
    strategy = config_of(rendering)["outgoingAuth"]["backends"]["salesforce-mcp"]
    assert strategy["tokenExchange"]["clientSecretEnv"] == env_name
    assert env_name in env_by_name(rendering)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("access_token", "urn:ietf:params:oauth:token-type:access_token"),
        ("id_token", "urn:ietf:params:oauth:token-type:id_token"),
        ("jwt", "urn:ietf:params:oauth:token-type:jwt"),
        (
            "urn:ietf:params:oauth:token-type:access_token",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("urn:example:custom", "urn:example:custom"),
    ],
)
def test_subject_token_type_is_normalised_to_the_urn(given: str, expected: str) -> None:
    auth = factories.token_exchange(
        "salesforce-auth", secret="salesforce-oauth", subject_token_type=given
    )
    rendering = render_checked(factories.inventory(*_auth_group(auth)))
    strategy = config_of(rendering)["outgoingAuth"]["backends"]["salesforce-mcp"]
    assert strategy["tokenExchange"]["subjectTokenType"] == expected


def test_token_exchange_without_client_secret_has_no_secret_env() -> None:
    auth = factories.token_exchange("salesforce-auth", secret=None, audience=None)
    rendering = render_checked(factories.inventory(*_auth_group(auth)))
    assert config_of(rendering)["outgoingAuth"]["backends"]["salesforce-mcp"] == {
        "type": "token_exchange",
        "tokenExchange": {
            "tokenUrl": "https://login.example.com/oauth2/token",
            "clientId": "toolhive",
        },
    }
    assert not any(name.startswith("TOOLHIVE_TOKEN_EXCHANGE") for name in env_by_name(rendering))


def test_header_injection_strategy_names_the_value_env_var() -> None:
    auth = factories.header_injection(
        "api-key-auth", header="X-API-Key", secret="salesforce-oauth", key="client-secret"
    )
    rendering = render_checked(factories.inventory(*_auth_group(auth, auth="api-key-auth")))
    assert config_of(rendering)["outgoingAuth"]["backends"] == {
        "salesforce-mcp": {
            "type": "header_injection",
            "headerInjection": {
                "headerName": "X-API-Key",
                "headerValueEnv": "TOOLHIVE_HEADER_INJECTION_VALUE_API_KEY_AUTH",
            },
        }
    }
    assert env_by_name(rendering)["TOOLHIVE_HEADER_INJECTION_VALUE_API_KEY_AUTH"] == {
        "name": "TOOLHIVE_HEADER_INJECTION_VALUE_API_KEY_AUTH",
        "valueFrom": {"secretKeyRef": {"name": "salesforce-oauth", "key": "client-secret"}},
    }


def test_unauthenticated_strategy_is_just_its_type() -> None:
    auth = factories.auth_config("open", auth_type="unauthenticated")
    rendering = render_checked(factories.inventory(*_auth_group(auth, auth="open")))
    assert config_of(rendering)["outgoingAuth"]["backends"] == {
        "salesforce-mcp": {"type": "unauthenticated"}
    }


def test_server_and_proxy_auth_configs_are_used_too() -> None:
    objects = [
        factories.group(),
        factories.secret("salesforce-oauth", {"client-secret": "dg=="}),
        factories.token_exchange("shared", secret="salesforce-oauth"),
        factories.server("github-mcp", auth="shared"),
        factories.proxy("jira", auth="shared"),
    ]
    backends = config_of(render_checked(factories.inventory(*objects)))["outgoingAuth"]["backends"]
    assert set(backends) == {"github-mcp", "jira"}
    assert backends["github-mcp"]["type"] == "token_exchange"


# ─── outgoingAuth default and per-backend overrides ───


def _two_configs() -> list[Raw]:
    return [
        factories.secret("own-secret", {"client-secret": "dg=="}),
        factories.secret("override-secret", {"client-secret": "dg=="}),
        factories.token_exchange("own-auth", secret="own-secret"),
        factories.token_exchange("override-auth", secret="override-secret"),
    ]


def test_default_outgoing_auth_discovered() -> None:
    rendering = render_checked(
        factories.inventory(*_auth_group(*_two_configs(), auth="own-auth")),
        outgoingAuth={"default": {"type": "discovered"}},
    )
    outgoing = config_of(rendering)["outgoingAuth"]
    assert list(outgoing) == ["source", "default", "backends"]
    assert outgoing["default"] == {"type": "unauthenticated"}  # as the operator converts it


def test_default_outgoing_auth_from_an_auth_config_mounts_its_secret() -> None:
    rendering = render_checked(
        factories.inventory(factories.group(), factories.entry("plain"), *_two_configs()),
        outgoingAuth={
            "default": {
                "type": "externalAuthConfigRef",
                "externalAuthConfigRef": {"name": "override-auth"},
            }
        },
    )
    outgoing = config_of(rendering)["outgoingAuth"]
    assert outgoing["default"]["tokenExchange"]["clientSecretEnv"] == (
        "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_OVERRIDE_AUTH"
    )
    assert "backends" not in outgoing
    env = env_by_name(rendering)["TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_OVERRIDE_AUTH"]
    assert env["valueFrom"]["secretKeyRef"] == {"name": "override-secret", "key": "client-secret"}


def test_a_per_backend_override_wins_over_the_entrys_own_auth_config() -> None:
    rendering = render_checked(
        factories.inventory(*_auth_group(*_two_configs(), auth="own-auth")),
        outgoingAuth={
            "backends": {
                "salesforce-mcp": {
                    "type": "externalAuthConfigRef",
                    "externalAuthConfigRef": {"name": "override-auth"},
                }
            }
        },
    )
    strategy = config_of(rendering)["outgoingAuth"]["backends"]["salesforce-mcp"]
    assert strategy["tokenExchange"]["clientSecretEnv"] == (
        "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_OVERRIDE_AUTH"
    )
    env = env_by_name(rendering)
    assert "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_OVERRIDE_AUTH" in env
    assert "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_OWN_AUTH" not in env
    assert rendering.status["discoveredBackends"][0]["authType"] == "token_exchange"


def test_a_discovered_override_replaces_the_entrys_auth_config() -> None:
    rendering = render_checked(
        factories.inventory(*_auth_group(*_two_configs(), auth="own-auth")),
        outgoingAuth={"backends": {"salesforce-mcp": {"type": "discovered"}}},
    )
    assert config_of(rendering)["outgoingAuth"]["backends"] == {
        "salesforce-mcp": {"type": "unauthenticated"}
    }
    assert not any(name.startswith("TOOLHIVE_TOKEN_EXCHANGE") for name in env_by_name(rendering))


def test_an_override_rescues_an_entry_whose_own_auth_config_is_missing() -> None:
    rendering = render_checked(
        factories.inventory(*_auth_group(*_two_configs(), auth="ghost-auth")),
        outgoingAuth={"backends": {"salesforce-mcp": {"type": "discovered"}}},
    )
    assert rendering.status["backendCount"] == 1


@pytest.mark.parametrize(
    ("outgoing", "where"),
    [
        (
            {
                "backends": {
                    "salesforce-mcp": {
                        "type": "externalAuthConfigRef",
                        "externalAuthConfigRef": {"name": "ghost-auth"},
                    }
                }
            },
            "outgoingAuth.backends.salesforce-mcp",
        ),
        (
            {
                "default": {
                    "type": "externalAuthConfigRef",
                    "externalAuthConfigRef": {"name": "ghost-auth"},
                }
            },
            "outgoingAuth.default",
        ),
    ],
)
def test_a_missing_override_auth_config_is_a_render_error(outgoing: Raw, where: str) -> None:
    with pytest.raises(RenderError) as caught:
        render_checked(
            factories.inventory(*_auth_group(*_two_configs(), auth="own-auth")),
            outgoingAuth=outgoing,
        )
    assert str(caught.value) == (
        f'{where}: MCPExternalAuthConfig "ghost-auth" not found in namespace '
        f'"{factories.NAMESPACE}"; create it there, or fix externalAuthConfigRef.name'
    )


def test_debug_log_level_adds_the_debug_flag() -> None:
    rendering = render_checked(
        factories.inventory(*_mixed_group()), operational={"logLevel": "debug"}
    )
    assert container_of(rendering)["args"][-1] == "--debug"
    assert config_of(rendering)["operational"]["logLevel"] == "debug"

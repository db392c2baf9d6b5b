"""The config.yaml sections a user writes, one test per rule of vmcp v0.63.0's validator.

`aggregation`, `operational` and `incomingAuth` are refused where vmcp's `validator.go` refuses
them (its words, the key path, the fix), unknown fields where its strict YAML does (with the
closest field), durations where Go's `time.ParseDuration` does; what vmcp only warns about
(a tools entry naming no backend) is a warning. Valid sections are written back exactly as
given. The e2e tier (`tests/e2e/test_vmcp_config_agreement.py`) checks the same against the
real binary on generated sections.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import config_of, container_of, render_checked
from vmcp_components.core.settings.args import ArgsError, parse_args
from vmcp_components.core.settings.go_values import (
    DurationError,
    format_duration,
    parse_duration,
)

Raw = dict[str, Any]
PREFIX = {"conflictResolution": "prefix", "conflictResolutionConfig": {"prefixFormat": "{w}_"}}


def _refusal(**sections: Any) -> str:
    with pytest.raises(ArgsError) as caught:
        parse_args({"namespace": "tools", "group": "eng", **sections})
    return str(caught.value)


def _accepts(**sections: Any) -> None:
    parse_args({"namespace": "tools", "group": "eng", **sections})


def _priority(*order: str, **more: Any) -> Raw:
    return {
        "conflictResolution": "priority",
        "conflictResolutionConfig": {"priorityOrder": list(order)},
        **more,
    }


# ─── aggregation (validator.go validateAggregation, in its order) ───

AGGREGATION_REFUSALS: list[tuple[Raw, str]] = [
    (
        {"conflictResolution": "prefx"},
        "aggregation: conflictResolution must be one of: prefix, priority, manual; got 'prefx' "
        "(did you mean 'prefix'?)",
    ),
    (
        {"conflictResolutionConfig": {"prefixFormat": "{w}_"}},
        "aggregation: conflictResolution must be one of: prefix, priority, manual; got ''",
    ),
    (
        {"conflictResolution": "prefix"},
        "aggregation: conflictResolutionConfig is required; add conflictResolutionConfig: "
        '{prefixFormat: "{workload}_"}',
    ),
    (
        {"conflictResolution": "priority", "conflictResolutionConfig": None},
        "aggregation: conflictResolutionConfig is required; add conflictResolutionConfig: "
        "{priorityOrder: [<backends, highest priority first>]}",
    ),
    (
        {"conflictResolution": "prefix", "conflictResolutionConfig": {}},
        "aggregation: prefixFormat is required for prefix strategy; set "
        'conflictResolutionConfig.prefixFormat, e.g. "{workload}_"',
    ),
    (
        {"conflictResolution": "priority", "conflictResolutionConfig": {"priorityOrder": []}},
        "aggregation: priorityOrder is required for priority strategy; list the backends",
    ),
    (
        {"conflictResolution": "manual", "conflictResolutionConfig": {}},
        "aggregation: tool overrides are required for manual strategy; add tools entries",
    ),
    (
        {**PREFIX, "defaultToolVisibility": "denied"},
        "aggregation: defaultToolVisibility must be one of: allow, deny; got 'denied' "
        "(did you mean 'deny'?)",
    ),
    (
        _priority("a", "b", defaultToolVisibility="deny", tools=[{"workload": "a"}]),
        'aggregation: defaultToolVisibility deny with priority strategy: priorityOrder entry "b" '
        "has no tools entry; it could win a name conflict and then be withheld, hiding the tool "
        'entirely. Add a tools entry for "b" or remove it from priorityOrder',
    ),
    (
        {**PREFIX, "tools": [{"workload": "a"}, {"filter": ["x"]}]},
        "aggregation: tools[1].workload is required; name the backend this entry is for",
    ),
    (
        {**PREFIX, "tools": [{"workload": "a"}, {"workload": "a"}]},
        "aggregation: duplicate workload configuration: a; merge the entries for 'a' into one",
    ),
    (
        {**PREFIX, "tools": [{"workload": "a", "overrides": {"x": {}, "y": {"name": "z"}}}]},
        "aggregation: tools[0].overrides.x: at least one of name or description must be "
        "specified; set name (to rename the tool) or description",
    ),
    (  # annotations alone are not enough for vmcp
        {
            **PREFIX,
            "tools": [{"workload": "a", "overrides": {"x": {"annotations": {"title": "X"}}}}],
        },
        "aggregation: tools[0].overrides.x: at least one of name or description",
    ),
    (  # stricter than `vmcp validate`: `vmcp serve` refuses it at start-up
        _priority("a", ""),
        "aggregation: priority order contains empty backend ID at index 1",
    ),
]


@pytest.mark.parametrize(("aggregation", "message"), AGGREGATION_REFUSALS)
def test_aggregation_is_refused_where_vmcp_refuses_it(aggregation: Raw, message: str) -> None:
    assert message in _refusal(aggregation=aggregation)


def test_every_bad_override_is_named_since_vmcp_names_any_one_of_them() -> None:
    tools = [{"workload": "a", "overrides": {"x": {}, "y": {"description": ""}}}]
    message = _refusal(aggregation={**PREFIX, "tools": tools})
    assert "tools[0].overrides.x: at least one" in message
    assert "tools[0].overrides.y: at least one" in message


@pytest.mark.parametrize(
    "aggregation",
    [
        {},  # vmcp's default is written instead
        PREFIX,
        _priority("a", "b"),
        _priority("a", defaultToolVisibility="deny", tools=[{"workload": "a"}]),
        {
            "conflictResolution": "manual",
            "conflictResolutionConfig": {},
            "tools": [{"workload": "a"}],
        },
        {**PREFIX, "defaultToolVisibility": "", "excludeAllTools": True},
        {
            **PREFIX,
            "tools": [
                {
                    "workload": "a",
                    "filter": ["x"],
                    "excludeAll": False,
                    "overrides": {"x": {"name": "y", "annotations": {"readOnlyHint": True}}},
                }
            ],
        },
    ],
)
def test_aggregation_vmcp_accepts_is_accepted(aggregation: Raw) -> None:
    _accepts(aggregation=aggregation)


def test_a_tool_config_ref_is_refused_on_purpose() -> None:
    tools = [{"workload": "a", "toolConfigRef": {"name": "curated"}}]
    message = _refusal(aggregation={**PREFIX, "tools": tools})
    assert message.startswith("aggregation.tools[0]: toolConfigRef names an MCPToolConfig")
    assert "write its filter and overrides here instead" in message


# ─── unknown fields, as vmcp's strict YAML refuses them ───


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"aggregation": {**PREFIX, "conflictResolutionConfg": {}}},
            "aggregation: unknown field 'conflictResolutionConfg' (did you mean "
            "'conflictResolutionConfig'?): vmcp refuses unknown fields (field "
            "conflictResolutionConfg not found in type config.AggregationConfig); known fields: "
            "conflictResolution, conflictResolutionConfig, tools, excludeAllTools, "
            "defaultToolVisibility",
        ),
        (
            {"aggregation": {**PREFIX, "tools": [{"workload": "a", "filtr": ["x"]}]}},
            "aggregation.tools[0]: unknown field 'filtr' (did you mean 'filter'?): vmcp refuses "
            "unknown fields (field filtr not found in type config.WorkloadToolConfig)",
        ),
        (
            {"aggregation": {"conflict_resolution": "prefix"}},
            "aggregation: unknown field 'conflict_resolution' (did you mean 'conflictResolution'?)",
        ),
        (
            {"operational": {"failureHandling": {"circuitBreaker": {"enable": True}}}},
            "operational.failureHandling.circuitBreaker: unknown field 'enable' (did you mean "
            "'enabled'?): vmcp refuses unknown fields (field enable not found in type "
            "config.CircuitBreakerConfig)",
        ),
        (
            {"incomingAuth": {"type": "oidc", "oidc": {"issuer": "x", "audiences": "y"}}},
            "incomingAuth.oidc: unknown field 'audiences' (did you mean 'audience'?)",
        ),
        (
            {"operational": {"zzz": 1}},
            "operational: unknown field 'zzz': vmcp refuses unknown fields (field zzz not "
            "found in type config.OperationalConfig)",
        ),
    ],
)
def test_an_unknown_field_is_refused_with_the_closest_known_one(
    sections: Raw, message: str
) -> None:
    assert message in _refusal(**sections)


# ─── operational (validateOperational, on the values after vmcp's defaults) ───


def _failure(**fields: Any) -> Raw:
    return {"failureHandling": fields}


OPERATIONAL_REFUSALS: list[tuple[Raw, str]] = [
    (
        {"timeouts": {"default": "-5s"}},
        "operational: timeouts.default must be positive; use a duration such as 30s",
    ),
    (
        {"timeouts": {"perWorkload": {"slow": "0s", "ok": "5s", "neg": "-1m"}}},
        "operational: timeouts.perWorkload.slow must be positive; use a duration such as 30s, "
        "or drop the entry to use timeouts.default; timeouts.perWorkload.neg must be positive",
    ),
    (
        _failure(healthCheckInterval="-1s"),
        "operational: failureHandling: healthCheckInterval must be positive",
    ),
    (
        _failure(unhealthyThreshold=-1),
        "operational: failureHandling: unhealthyThreshold must be positive",
    ),
    (
        _failure(healthCheckTimeout="-1500ms"),
        "operational: failureHandling: healthCheckTimeout must be >= 0 (zero means no "
        "timeout), got -1.5s",
    ),
    (  # against vmcp's default interval (30s), as vmcp fills it before validating
        _failure(healthCheckTimeout="30s"),
        "operational: failureHandling: healthCheckTimeout (30s) must be less than "
        "healthCheckInterval (30s) to prevent checks from queuing up",
    ),
    (
        _failure(healthCheckInterval="1m", healthCheckTimeout="90s"),
        "healthCheckTimeout (1m30s) must be less than healthCheckInterval (1m0s)",
    ),
    (
        _failure(partialFailureMode="best-effort"),
        "operational: failureHandling: partialFailureMode must be one of: fail, best_effort; "
        "got 'best-effort' (did you mean 'best_effort'?)",
    ),
    (
        _failure(circuitBreaker={"enabled": True, "failureThreshold": -2}),
        "operational: failureHandling: circuitBreaker.failureThreshold must be >= 1, got -2",
    ),
    (
        _failure(circuitBreaker={"enabled": True, "timeout": "-1s"}),
        "operational: failureHandling: circuitBreaker.timeout must be > 0, got -1s",
    ),
    (
        _failure(circuitBreaker={"enabled": True, "timeout": "999ms"}),
        "operational: failureHandling: circuitBreaker.timeout must be >= 1s to prevent "
        "thrashing, got 999ms",
    ),
    (  # vmcp stops at the first broken rule of operational: timeouts come first
        {"timeouts": {"default": "-1s"}, **_failure(unhealthyThreshold=-1)},
        "operational: timeouts.default must be positive",
    ),
]


@pytest.mark.parametrize(("operational", "message"), OPERATIONAL_REFUSALS)
def test_operational_is_refused_where_vmcp_refuses_it(operational: Raw, message: str) -> None:
    assert message in _refusal(operational=operational)


@pytest.mark.parametrize(
    "operational",
    [
        {},
        {"logLevel": "info"},  # vmcp checks no log level (the CRD allows only debug)
        {"timeouts": {"default": "0"}},  # zero: vmcp's default (30s) fills it
        _failure(healthCheckInterval="0s", unhealthyThreshold=0, partialFailureMode=""),
        _failure(healthCheckTimeout="0s"),  # zero means no timeout
        _failure(healthCheckInterval="1m", healthCheckTimeout="59.999s"),
        _failure(circuitBreaker={"enabled": False, "failureThreshold": -2, "timeout": "1ms"}),
        _failure(circuitBreaker={"enabled": True}),  # threshold 5 and timeout 1m0s filled
        {"timeouts": {"backendInit": "-1s"}, "listChanged": {"disabledWorkloads": ["a"]}},
        _failure(statusReportingInterval="-1s"),  # vmcp checks neither
    ],
)
def test_operational_vmcp_accepts_is_accepted(operational: Raw) -> None:
    _accepts(operational=operational)


# ─── incomingAuth (validateIncomingAuth, validateAuthz) ───

OIDC = {"issuer": "https://idp.example.com", "audience": "vmcp"}

INCOMING_REFUSALS: list[tuple[Raw, str]] = [
    (
        {"type": "oauth"},
        "incomingAuth: type must be one of: oidc, local, anonymous; got 'oauth'",
    ),
    (
        {"type": "oidc"},
        "incomingAuth: oidc is required when type is 'oidc'; add incomingAuth.oidcConfigRef (an "
        "MCPOIDCConfig and the audience) or incomingAuth.oidc with at least issuer and audience",
    ),
    ({"type": "oidc", "oidc": {"audience": "vmcp"}}, "incomingAuth: oidc.issuer is required"),
    ({"type": "oidc", "oidc": {"issuer": "https://i"}}, "incomingAuth: oidc.audience is required"),
    (
        {"type": "oidc", "oidc": {**OIDC, "caBundlePath": "certs/ca.crt"}},
        "incomingAuth: oidc.caBundlePath must be an absolute path (got 'certs/ca.crt')",
    ),
    (
        {"type": "oidc", "oidc": {**OIDC, "caBundlePath": "/etc/../ca.crt"}},
        "incomingAuth: oidc.caBundlePath contains invalid path characters",
    ),
    (
        {"authz": {"type": "opa"}},
        "incomingAuth: authz: type must be one of: cedar, none; got 'opa'",
    ),
    (
        {"authz": {"type": "cedar"}},
        "incomingAuth: authz: policies are required when type is 'cedar'",
    ),
    (  # vmcp stops at the first: the type
        {"type": "x", "authz": {"type": "opa"}},
        "incomingAuth: type must be one of",
    ),
]


@pytest.mark.parametrize(("incoming", "message"), INCOMING_REFUSALS)
def test_incoming_auth_is_refused_where_vmcp_refuses_it(incoming: Raw, message: str) -> None:
    assert message in _refusal(incomingAuth=incoming)


@pytest.mark.parametrize(
    "incoming",
    [
        {},
        {"type": "local"},
        {"type": "anonymous", "oidc": {"clientId": "x"}},  # oidc is only checked for oidc
        {"type": "oidc", "oidc": {**OIDC, "caBundlePath": "/etc/idp/ca.crt", "scopes": ["a"]}},
        {"authz": {"type": "none"}},
        {"authz": {"type": "cedar", "policies": ["permit(principal, action, resource);"]}},
    ],
)
def test_incoming_auth_vmcp_accepts_is_accepted(incoming: Raw) -> None:
    _accepts(incomingAuth=incoming)


def test_every_section_is_reported_at_once() -> None:
    message = _refusal(
        incomingAuth={"type": "x"},
        aggregation={"conflictResolution": "x"},
        operational={"timeouts": {"default": "-1s"}},
    )
    for section in ("incomingAuth:", "aggregation:", "operational:"):
        assert section in message


# ─── values: Go durations, ints, no silent conversions ───


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30", 'invalid duration: time: missing unit in duration "30"'),
        ("5x", 'invalid duration: time: unknown unit "x" in duration "5x"'),
        ("1m30", 'time: missing unit in duration "1m30"'),
        ("", 'time: invalid duration ""'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("5 s", 'time: unknown unit " s" in duration "5 s"'),
        ("5é", 'time: unknown unit "\\xc3\\xa9" in duration "5\\xc3\\xa9"'),
        (30, "must be a Go duration string such as 30s"),
    ],
)
def test_a_bad_duration_gets_gos_own_reason(value: object, message: str) -> None:
    refusal = _refusal(operational={"timeouts": {"default": value}})
    assert refusal.startswith("operational.timeouts.default: ")
    assert message in refusal


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("-0", 0),
        ("+5s", 5_000_000_000),
        ("-1.5h", -5_400_000_000_000),
        ("1h2m3.5s", 3_723_500_000_000),
        (".5s", 500_000_000),
        ("1.s", 1_000_000_000),
        ("1us", 1_000),
        ("1µs", 1_000),
        ("1μs", 1_000),
        ("9223372036854775807ns", (1 << 63) - 1),
        ("-9223372036854775808ns", -(1 << 63)),
        ("0.000000001s", 1),
        ("1.0000000001s", 1_000_000_000),  # Go stops at the nanosecond
    ],
)
def test_durations_parse_as_go_parses_them(text: str, nanoseconds: int) -> None:
    assert parse_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "-", "+", "1", "1.5", "1d", "1h-5m", "..5s", "1e3s"])
def test_durations_go_refuses_are_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (999_000_000, "999ms"),
        (1_000_000_000, "1s"),
        (60_000_000_000, "1m0s"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-1_500_000_000, "-1.5s"),
        ((1 << 63) - 1, "2562047h47m16.854775807s"),
        (-(1 << 63), "-2562047h47m16.854775808s"),
    ],
)
def test_durations_print_as_go_prints_them(nanoseconds: int, text: str) -> None:
    assert format_duration(nanoseconds) == text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3", "must be a whole number (vmcp reads it as a Go int; do not quote it)"),
        (3.5, "must be a whole number"),
        (True, "must be a whole number"),
        (1 << 63, "is out of the range of a Go int (64 bits)"),
    ],
)
def test_a_count_is_a_go_int(value: object, message: str) -> None:
    refusal = _refusal(operational=_failure(unhealthyThreshold=value))
    assert refusal.startswith("operational.failureHandling.unhealthyThreshold: ")
    assert message in refusal


def test_an_integral_float_is_the_int_it_is() -> None:
    # The Pulumi provider protocol sends every number as a float.
    args = parse_args(
        {"namespace": "t", "group": "g", "operational": _failure(unhealthyThreshold=4.0)}
    )
    assert args.operational is not None
    assert args.operational.document()["failureHandling"]["unhealthyThreshold"] == 4


@pytest.mark.parametrize(
    ("sections", "where"),
    [
        (
            {"aggregation": {**PREFIX, "conflictResolutionConfig": {"prefixFormat": 1.1}}},
            "prefixFormat",
        ),
        ({"operational": _failure(circuitBreaker={"enabled": "yes"})}, "circuitBreaker.enabled"),
        ({"incomingAuth": {"type": "oidc", "oidc": {**OIDC, "scopes": "openid"}}}, "oidc.scopes"),
    ],
)
def test_a_value_vmcp_would_convert_silently_is_refused(sections: Raw, where: str) -> None:
    # yaml.v3 takes any scalar as a string and "yes" as true: refused here, so that what is
    # written is what vmcp reads (1.10 in a stack file would reach vmcp as "1.1").
    assert where in _refusal(**sections)


# ─── what is written, and the warnings ───


def _rendered(**sections: Any) -> Raw:
    group = [factories.group(), factories.entry("alpha"), factories.entry("beta")]
    return config_of(render_checked(factories.inventory(*group), **sections))


def test_sections_are_written_as_given_in_the_given_order() -> None:
    aggregation = {
        "tools": [{"overrides": {"x": {"description": "d", "name": "y"}}, "workload": "alpha"}],
        "conflictResolutionConfig": {"prefixFormat": "{workload}."},
        "conflictResolution": "prefix",
    }
    operational = {
        "failureHandling": {"partialFailureMode": "best_effort", "healthCheckTimeout": None},
        "logLevel": "info",
        "timeouts": {"perWorkload": {"beta": "2m"}, "default": "90s"},
    }
    document = _rendered(aggregation=aggregation, operational=operational)
    assert document["aggregation"] == aggregation
    assert list(document["aggregation"]["tools"][0]) == ["overrides", "workload"]
    assert list(document["operational"]) == ["failureHandling", "logLevel", "timeouts"]
    assert list(document["operational"]["failureHandling"]) == [
        "partialFailureMode",
        "healthCheckTimeout",  # null stays null: vmcp reads it as zero
        "healthCheckInterval",
        "unhealthyThreshold",
        "statusReportingInterval",
        "circuitBreaker",
    ]
    assert document["operational"]["timeouts"] == {"perWorkload": {"beta": "2m"}, "default": "90s"}


def test_an_empty_aggregation_is_vmcps_default() -> None:
    assert _rendered(aggregation={})["aggregation"] == {
        "conflictResolution": "prefix",
        "conflictResolutionConfig": {"prefixFormat": "{workload}_"},
    }


def test_incoming_auth_is_written_type_first() -> None:
    authz = {"policies": ["permit(principal, action, resource);"], "type": "cedar"}
    incoming = {"authz": authz, "oidc": {"audience": "vmcp", "issuer": "https://i"}, "type": "oidc"}
    assert list(_rendered(incomingAuth=incoming)["incomingAuth"]) == ["type", "oidc", "authz"]


def test_debug_comes_from_the_typed_log_level() -> None:
    group = [factories.group(), factories.entry("alpha")]
    rendering = render_checked(factories.inventory(*group), operational={"logLevel": "info"})
    assert "--debug" not in container_of(rendering)["args"]


@pytest.mark.parametrize(
    ("visibility", "effect"),
    [
        ("allow", "its filter and overrides are not applied"),
        (
            "deny",
            "under defaultToolVisibility deny the backend it was meant to name contributes "
            "no tools",
        ),
    ],
)
def test_a_tools_entry_naming_no_backend_is_a_warning_as_in_vmcp(
    visibility: str, effect: str
) -> None:
    group = [factories.group(), factories.entry("alpha"), factories.entry("beta")]
    aggregation = {
        **PREFIX,
        "defaultToolVisibility": visibility,
        "tools": [{"workload": "alpha"}, {"workload": "alpah"}],
    }
    rendering = render_checked(factories.inventory(*group), aggregation=aggregation)
    assert rendering.warnings == (
        f"aggregation.tools[1].workload 'alpah' matches no backend in the group; {effect}"
        + " (vmcp logs the same) (did you mean 'alpha'?); backends: alpha, beta",
    )

"""Issue 24 (operator parity): telemetryConfigRef, config.telemetry and compositeToolRefs.

`telemetryConfigRef` names an MCPTelemetryConfig, written as ToolHive v0.63.0's converter
writes it (`NormalizeMCPTelemetryConfig`), with the operator's env vars (sensitive headers only
as secretKeyRefs) and CA volume. The inline `telemetry` is accepted and, as the operator does,
not written (a warning says so). `compositeToolRefs` append the referenced definitions to the
inline `compositeTools`, checked as vmcp checks them; a missing or invalid one fails the run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories
from tests.factories import toolhive_object as _toolhive
from tests.unit.helpers import config_of, env_by_name, render_checked
from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.backends.read_plan import plan_reads
from vmcp_components.core.backends.telemetry import go_float
from vmcp_components.core.output.vmcp_config import dump_config
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import ArgsError, parse_args
from vmcp_components.errors import VmcpError
from vmcp_components.watch.cache import Cache

Raw = dict[str, Any]
NS = factories.NAMESPACE
SECRET_VALUE = "c3VwZXItc2VjcmV0"  # what the Secret holds: must appear nowhere


OTEL: Raw = {
    "enabled": True,
    "endpoint": "https://otel.example.com:4318",
    "headers": {"x-tenant": "eng"},
    "sensitiveHeaders": [
        {"name": "x-api-key", "secretKeyRef": {"name": "otel-auth", "key": "api-key"}}
    ],
    "resourceAttributes": {"team": "platform"},
    "tracing": {"enabled": True, "samplingRate": "0.50"},
    "metrics": {"enabled": True},
    "caBundleRef": {"configMapRef": {"name": "otel-ca", "key": "ca.crt"}},
}


def _telemetry(otel: Raw | None = None, **spec: Any) -> Raw:
    body = {"openTelemetry": OTEL if otel is None else otel, **spec}
    return _toolhive("MCPTelemetryConfig", "shared-otel", body)


def _objects(*extra: Raw) -> list[Raw]:
    return [
        factories.group(),
        factories.entry("alpha", url="https://alpha.example.com/mcp", phase="Valid"),
        *extra,
    ]


def _with_telemetry(config: Raw | None = None) -> list[Raw]:
    return _objects(
        config or _telemetry(prometheus={"enabled": True, "metricsOnTransportPort": False}),
        factories.secret("otel-auth", {"api-key": SECRET_VALUE}),
        factories.config_map("otel-ca", {"ca.crt": factories.ca_pem()}),
    )


def test_a_telemetry_config_is_written_as_the_operator_writes_it() -> None:
    rendering = render_checked(
        factories.inventory(*_with_telemetry()),
        telemetryConfigRef={"name": "shared-otel", "serviceName": "eng-gateway"},
    )
    document = config_of(rendering)
    assert document["telemetry"] == {
        "endpoint": "otel.example.com:4318",
        "serviceName": "eng-gateway",
        "tracingEnabled": True,
        "metricsEnabled": True,
        "samplingRate": "0.5",
        "headers": {"x-tenant": "eng"},
        "enablePrometheusMetricsPath": True,
        "metricsOnTransportPort": False,
        "customAttributes": {"team": "platform"},
        "useLegacyAttributes": True,
    }
    assert list(document)[-2:] == ["operational", "telemetry"]  # vmcp's Config field order
    env = env_by_name(rendering)
    assert env["OTEL_RESOURCE_ATTRIBUTES"] == {
        "name": "OTEL_RESOURCE_ATTRIBUTES",
        "value": f"service.name=eng-gateway,service.namespace={NS}",
    }
    assert env["TOOLHIVE_OTEL_HEADER_X_API_KEY"] == {
        "name": "TOOLHIVE_OTEL_HEADER_X_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "otel-auth", "key": "api-key"}},
    }
    pod = rendering.object("Deployment")["spec"]["template"]["spec"]
    assert pod["volumes"][-1] == {
        "name": "otel-ca-bundle-otel-ca",
        "configMap": {"name": "otel-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
    }
    assert pod["containers"][0]["volumeMounts"][-1] == {
        "name": "otel-ca-bundle-otel-ca",
        "mountPath": "/config/certs/otel/otel-ca",
        "readOnly": True,
    }
    shown = json.dumps(rendering.objects) + json.dumps(rendering.status)
    assert SECRET_VALUE not in shown
    assert "x-api-key" not in rendering.object("ConfigMap")["data"]["config.yaml"]


def test_a_disabled_exporter_writes_only_the_service_name_and_prometheus() -> None:
    otel = {**OTEL, "enabled": False}
    rendering = render_checked(
        factories.inventory(*_with_telemetry(_telemetry(otel))),
        telemetryConfigRef={"name": "shared-otel"},
    )
    assert config_of(rendering)["telemetry"] == {
        "serviceName": "eng-tools",
        "tracingEnabled": False,
        "metricsEnabled": False,
        "useLegacyAttributes": False,
    }
    env = env_by_name(rendering)  # the operator adds these whether or not OTLP is enabled
    attributes = f"service.name=eng-tools,service.namespace={NS}"
    assert env["OTEL_RESOURCE_ATTRIBUTES"]["value"] == attributes
    assert "TOOLHIVE_OTEL_HEADER_X_API_KEY" in env


@pytest.mark.parametrize(
    ("given", "written"),
    [("0.05", "0.05"), ("1.0", "1"), ("0", "0"), ("0.00001", "0.00001"), ("0.50", "0.5")],
)
def test_the_sampling_rate_is_formatted_as_go_formats_a_float(given: str, written: str) -> None:
    assert go_float(given) == written


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        (
            "shared-otel",
            f'telemetryConfigRef: MCPTelemetryConfig "shared-otel" not found in namespace "{NS}"; '
            "create it there or change telemetryConfigRef.name",
        ),
        ("otel-auth", 'Secret "otel-auth"'),
        (
            "otel-ca",
            'ConfigMap "otel-ca" referenced by MCPTelemetryConfig "shared-otel" caBundleRef not '
            f'found in namespace "{NS}"; create it or fix the reference',
        ),
    ],
)
def test_a_missing_telemetry_object_fails_the_run_naming_the_fix(drop: str, expected: str) -> None:
    objects = [o for o in _with_telemetry() if o["metadata"]["name"] != drop]
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*objects), "eng-tools", factories.args(
            telemetryConfigRef={"name": "shared-otel"}))  # fmt: skip
    assert expected in str(error.value)
    assert SECRET_VALUE not in str(error.value)


@pytest.mark.parametrize(
    ("otel", "reason"),
    [
        (
            {"enabled": True, "endpoint": "otel:4317"},
            "endpoint requires at least one of tracing or metrics to be enabled",
        ),
        (
            {**OTEL, "headers": {"x-api-key": "plain"}},
            "a header name cannot appear in both headers and sensitiveHeaders",
        ),
        (
            {**OTEL, "insecure": True},
            "openTelemetry.caBundleRef cannot be specified when insecure is true; they are "
            "mutually exclusive",
        ),
        (
            {**OTEL, "caBundleRef": {"configMapRef": {"name": "", "key": "ca.crt"}}},
            "configMapRef.name is required and must be non-empty",
        ),
        (
            {**OTEL, "caBundleRef": {"configMapRef": {"name": "c" * 49, "key": "ca.crt"}}},
            f'openTelemetry.caBundleRef.configMapRef.name "{"c" * 49}" is too long (49 chars); '
            "maximum is 48",
        ),
        (
            {**OTEL, "sensitiveHeaders": [{"name": "a", "secretKeyRef": {"name": "", "key": "k"}}]},
            "openTelemetry.sensitiveHeaders[0].secretKeyRef.name must not be empty",
        ),
        (
            {**OTEL, "tracing": {"enabled": True, "samplingRate": "1.5"}},
            "must match ^(0(\\.\\d+)?|1(\\.0+)?)$",
        ),
    ],
)
def test_the_crd_and_operator_rules_refuse_a_bad_telemetry_config(otel: Raw, reason: str) -> None:
    objects = _with_telemetry(_telemetry(otel))
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*objects), "eng-tools", factories.args(
            telemetryConfigRef={"name": "shared-otel"}))  # fmt: skip
    message = str(error.value)
    assert message.startswith("telemetryConfigRef: MCPTelemetryConfig 'shared-otel': ")
    assert reason in message
    assert message.endswith("; fix the MCPTelemetryConfig")


def test_an_invalid_marked_config_and_colliding_header_env_names_fail() -> None:
    marked = _telemetry()
    marked["status"] = {"conditions": [factories.condition("Valid", "False", message="bad")]}
    with pytest.raises(VmcpError, match='MCPTelemetryConfig "shared-otel" is marked invalid'):
        render(factories.inventory(*_with_telemetry(marked)), "eng-tools",
               factories.args(telemetryConfigRef={"name": "shared-otel"}))  # fmt: skip
    twice = {
        **OTEL,
        "sensitiveHeaders": [
            {"name": "x-key", "secretKeyRef": {"name": "otel-auth", "key": "api-key"}},
            {"name": "X_KEY", "secretKeyRef": {"name": "otel-auth", "key": "api-key"}},
        ],
    }
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*_with_telemetry(_telemetry(twice))), "eng-tools",
               factories.args(telemetryConfigRef={"name": "shared-otel"}))  # fmt: skip
    assert str(error.value) == (
        'telemetryConfigRef: MCPTelemetryConfig "shared-otel" sensitive headers "x-key" and '
        '"X_KEY" both become the env var TOOLHIVE_OTEL_HEADER_X_KEY; rename one of them'
    )


def test_the_reference_is_typed_like_the_crd() -> None:
    base = {"namespace": NS, "group": "g"}
    with pytest.raises(ArgsError, match=r"telemetryConfigRef\.name"):
        parse_args({**base, "telemetryConfigRef": {"name": ""}})
    with pytest.raises(ArgsError, match=r"telemetryConfigRef\.service"):
        parse_args({**base, "telemetryConfigRef": {"name": "a", "service": 1}})


def test_inline_telemetry_is_accepted_not_written_and_warned_about() -> None:
    inline = {"endpoint": "otel:4317", "tracingEnabled": True, "samplingRate": "0.1"}
    rendering = render_checked(factories.inventory(*_objects()), telemetry=inline)
    assert "telemetry" not in config_of(rendering)
    assert rendering.warnings == (
        "telemetry (spec.config.telemetry) is not read by the ToolHive operator v0.63.0, so it "
        "is not written into config.yaml; reference an MCPTelemetryConfig with "
        "telemetryConfigRef instead",
    )
    with pytest.raises(ArgsError, match=r"field tracing not found in type telemetry\.Config"):
        parse_args({"namespace": NS, "group": "g", "telemetry": {"tracing": True}})


# ─── compositeToolRefs ───

TOOL: Raw = {
    "name": "lookup",
    "description": "one step",
    "steps": [{"id": "s1", "tool": "alpha_search", "arguments": {"q": "{{.params.q}}"}}],
}
REFS = [{"name": "lookup-def"}]
INLINE: Raw = {
    "name": "inline-one",
    "description": "inline",
    "steps": [{"id": "a", "tool": "alpha_echo"}],
}


def _definition(spec: Raw | None = None, status: Raw | None = None) -> Raw:
    return _toolhive("VirtualMCPCompositeToolDefinition", "lookup-def", spec or TOOL, status)


def test_referenced_tools_follow_the_inline_ones_and_the_refs_stay() -> None:
    rendering = render_checked(
        factories.inventory(*_objects(_definition())),
        compositeTools=[INLINE],
        compositeToolRefs=[{"name": "lookup-def"}],
    )
    document = config_of(rendering)
    assert [tool["name"] for tool in document["compositeTools"]] == ["inline-one", "lookup"]
    assert document["compositeTools"][1]["steps"] == [
        {"id": "s1", "type": "tool", "tool": "alpha_search", "arguments": {"q": "{{.params.q}}"}}
    ]
    assert document["compositeToolRefs"] == [{"name": "lookup-def"}]
    keys = list(document)
    assert keys.index("compositeTools") + 1 == keys.index("compositeToolRefs")
    assert keys.index("compositeToolRefs") + 1 == keys.index("operational")


def test_a_missing_or_invalid_definition_fails_the_run_naming_the_fix() -> None:
    args = factories.args(compositeToolRefs=[{"name": "lookup-def"}])
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*_objects()), "eng-tools", args)
    assert str(error.value) == (
        f'compositeToolRefs: VirtualMCPCompositeToolDefinition "lookup-def" not found in '
        f'namespace "{NS}"; create it there or change compositeToolRefs.name'
    )
    marked = _definition(status={"validationStatus": "Invalid", "validationErrors": ["e1", "e2"]})
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*_objects(marked)), "eng-tools", args)
    assert str(error.value) == (
        "compositeToolRefs: VirtualMCPCompositeToolDefinition 'lookup-def' is marked invalid by "
        "ToolHive: e1; e2; fix the definition (the operator refuses it too)"
    )


def test_a_definition_vmcp_would_refuse_fails_with_vmcps_reason() -> None:
    no_description = _definition({**TOOL, "description": ""})
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*_objects(no_description)), "eng-tools",
               factories.args(compositeTools=[INLINE], compositeToolRefs=REFS))  # fmt: skip
    assert str(error.value) == (
        "compositeTools with compositeToolRefs appended: validation failed: "
        "compositeTools[1].description is required; fix the definition or the inline tool"
    )
    unknown = _definition({**TOOL, "steps": [{"id": "s1", "tool": "alpha_x", "retries": 2}]})
    with pytest.raises(VmcpError, match=r"field retries not found in type config\.WorkflowStep"):
        render(factories.inventory(*_objects(unknown)), "eng-tools",
               factories.args(compositeToolRefs=[{"name": "lookup-def"}]))  # fmt: skip


def test_a_name_clash_between_inline_and_referenced_tools_fails() -> None:
    clash = _definition({**TOOL, "name": "inline-one"})
    with pytest.raises(VmcpError) as error:
        render(factories.inventory(*_objects(clash)), "eng-tools",
               factories.args(compositeTools=[INLINE], compositeToolRefs=REFS))  # fmt: skip
    assert str(error.value) == (
        "compositeTools with compositeToolRefs appended: duplicate composite tool name: "
        "inline-one; give each composite tool its own name"
    )


@pytest.mark.parametrize(
    ("refs", "reason"),
    [
        ([{"name": ""}], "compositeToolRefs[0].name is required; name a"),
        ([{"name": "a"}, {"name": "a"}], "duplicate composite tool reference: a; list each"),
        ([{"name": "a", "kind": "x"}], "field kind not found in type config.CompositeToolRef"),
    ],
)
def test_vmcps_rules_refuse_bad_refs(refs: list[Raw], reason: str) -> None:
    with pytest.raises(ArgsError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_args({"namespace": NS, "group": "g", "compositeToolRefs": refs})


def test_the_read_plan_reads_the_referenced_objects_and_key_names_only() -> None:
    inventory = factories.inventory(*_with_telemetry(), _definition())
    args = parse_args({
        "namespace": NS, "group": factories.GROUP,
        "telemetryConfigRef": {"name": "shared-otel"},
        "compositeToolRefs": [{"name": "lookup-def"}, {"name": "not-there"}],
    })  # fmt: skip
    plan = plan_reads(inventory, factories.GROUP, None, (), incoming_references(args))
    names = plan.read_names()
    assert ("MCPTelemetryConfig", "shared-otel") in names
    assert ("VirtualMCPCompositeToolDefinition", "lookup-def") in names
    assert ("VirtualMCPCompositeToolDefinition", "not-there") not in names
    assert "otel-ca" in plan.config_maps
    assert plan.secret_keys == {"otel-auth": frozenset({"api-key"})}
    unset = plan_reads(inventory, factories.GROUP, None, ())
    assert ("MCPTelemetryConfig", "shared-otel") not in unset.read_names()
    assert unset.secret_keys == {}


def test_the_output_is_deterministic() -> None:
    objects = [*_with_telemetry(), _definition()]
    args = factories.args(
        telemetryConfigRef={"name": "shared-otel"}, compositeToolRefs=[{"name": "lookup-def"}]
    )
    first = render(factories.inventory(*objects), "eng-tools", args)
    again = render(factories.inventory(*reversed(objects)), "eng-tools", args)
    assert first.objects == again.objects
    assert dump_config(config_of(first)) == dump_config(config_of(again))


def test_the_watch_follows_the_referenced_objects_and_their_secrets() -> None:
    cache = Cache(
        factories.args(
            telemetryConfigRef={"name": "shared-otel"}, compositeToolRefs=[{"name": "lookup-def"}]
        )
    )
    for obj in (*_with_telemetry(), _definition()):
        cache.apply(obj["kind"], "ADDED", obj)
    assert cache.apply("MCPTelemetryConfig", "MODIFIED", _telemetry()).relevant
    assert cache.apply("VirtualMCPCompositeToolDefinition", "MODIFIED", _definition()).relevant
    other = _toolhive("VirtualMCPCompositeToolDefinition", "other-def", TOOL)
    assert not cache.apply("VirtualMCPCompositeToolDefinition", "ADDED", other).relevant
    held = cache.inventory().secret_keys
    assert held["otel-auth"] == frozenset({"api-key"})  # key names only
    assert SECRET_VALUE not in repr(held)
    gone = factories.secret("otel-auth", {"api-key": "x"})
    assert cache.apply("Secret", "DELETED", gone).relevant
    assert cache.apply("ConfigMap", "DELETED", factories.config_map("otel-ca", {})).relevant

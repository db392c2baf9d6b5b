"""The operator's VirtualMCPServer spec fields beyond the backends (issue 24): compositeTools,
audit, codeMode, metadata, passthroughHeaders, sessionAffinity, podTemplateSpec.

Each refusal carries vmcp's own reason (composite_validation.go, validator.go) or the CRD's rule;
each accepted setting lands where the operator puts it; unset, nothing changes (the goldens).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import config_of, render_checked
from vmcp_components.core.output.pod_template import (
    PODTEMPLATESPEC_HASH_ANNOTATION,
    apply_pod_template_spec,
    pod_template_spec_hash,
)
from vmcp_components.core.settings.args import ArgsError, parse_args

Raw = dict[str, Any]


def _inventory() -> Any:
    return factories.inventory(
        factories.group(),
        factories.entry("alpha", url="https://alpha.example.com/mcp", phase="Valid"),
        factories.entry("beta", url="https://beta.example.com/mcp", phase="Valid"),
    )


def _tool(**overrides: Any) -> Raw:
    tool: Raw = {
        "name": "both",
        "description": "echo on alpha, then add on beta",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
        "steps": [
            {"id": "echo", "tool": "alpha_echo", "arguments": {"text": "{{.params.text}}"}},
            {"id": "add", "tool": "beta_add", "arguments": {"a": 1, "b": 2}, "dependsOn": ["echo"]},
        ],
    }
    tool.update(overrides)
    return tool


def _refused(**settings: Any) -> str:
    with pytest.raises(ArgsError) as caught:
        parse_args({"namespace": "ns", "group": "g", **settings})
    return str(caught.value)


# ─── compositeTools: vmcp's rules, in vmcp's words ───


@pytest.mark.parametrize(
    ("tool", "reason"),
    [
        (
            _tool(parameters={"properties": {}}),
            "compositeTools[0].parameters: must have 'type' field (should be 'object' for JSON "
            "Schema)",
        ),
        (
            _tool(parameters={"type": "array"}),
            "compositeTools[0].parameters: 'type' must be 'object' (got 'array')",
        ),
        (
            _tool(steps=[{"id": "a", "tool": "x", "dependsOn": ["nope"]}]),
            'compositeTools[0].steps[0].dependsOn references unknown step "nope"',
        ),
        (
            _tool(steps=[{"id": "a", "tool": "x"}, {"id": "a", "tool": "y"}]),
            'compositeTools[0].steps[1].id "a" is duplicated',
        ),
        (
            _tool(
                steps=[
                    {"id": "a", "tool": "x", "dependsOn": ["b"]},
                    {"id": "b", "tool": "y", "dependsOn": ["a"]},
                ]
            ),
            'compositeTools[0].steps: dependency cycle detected involving step "a"',
        ),
        (_tool(description=""), "compositeTools[0].description is required"),
        (_tool(steps=[]), "compositeTools[0].steps must have at least one step"),
        (
            _tool(steps=[{"id": "a", "type": "loop", "tool": "x"}]),
            "compositeTools[0].steps[0].type must be one of: tool, elicitation, forEach",
        ),
        (
            _tool(steps=[{"id": "a", "tool": "bad tool"}]),
            "compositeTools[0].steps[0].tool must be a valid tool name",
        ),
        (
            _tool(steps=[{"id": "a", "tool": "x", "condition": "{{ .params.x"}]),
            "compositeTools[0].steps[0].condition: invalid template: invalid template syntax: "
            "template: validation:1: unclosed action",
        ),
        (
            _tool(steps=[{"id": "a", "tool": "x", "onError": {"action": "retry"}}]),
            "compositeTools[0].steps[0].onError.retryCount must be at least 1 when action is retry",
        ),
        (
            _tool(
                steps=[
                    {"id": "a", "tool": "x", "condition": "{{.params.go}}"},
                    {"id": "b", "tool": "y", "arguments": {"v": "{{.steps.a.output.text}}"}},
                ]
            ),
            'compositeTools[0].steps[a].defaultResults[text] is required: step "a" may be '
            'skipped and field "text" is referenced by step b',
        ),
        (
            _tool(steps=[{"id": "a", "type": "forEach", "collection": "{{.params.items}}"}]),
            "compositeTools[0].steps[0].step is required for forEach steps",
        ),
    ],
)
def test_a_composite_tool_vmcp_refuses_is_refused_with_its_reason(tool: Raw, reason: str) -> None:
    message = _refused(compositeTools=[tool])
    assert message.startswith("compositeTools: validation failed: ")
    assert reason in message


def test_two_composite_tools_of_one_name_are_refused() -> None:
    message = _refused(compositeTools=[_tool(), _tool()])
    assert "duplicate composite tool name: both" in message


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        ("5 s", 'time: unknown unit " s" in duration "5 s"'),
        ("soon", 'time: invalid duration "soon"'),
        ("-5s", "does not match the CRD's duration pattern"),
    ],
)
def test_a_bad_duration_is_refused(duration: str, reason: str) -> None:
    assert reason in _refused(compositeTools=[_tool(timeout=duration)])
    step = {"id": "a", "tool": "x", "timeout": duration}
    assert reason in _refused(compositeTools=[_tool(steps=[step])])


def test_an_unknown_field_of_a_step_is_refused_naming_the_closest() -> None:
    message = _refused(compositeTools=[_tool(steps=[{"id": "a", "tool": "x", "dependOn": []}])])
    assert "unknown field 'dependOn' (did you mean 'dependsOn'?)" in message


def test_composite_tools_land_in_config_with_the_crd_defaults() -> None:
    tools = [
        _tool(
            steps=[
                {"id": "echo", "tool": "alpha_echo", "onError": {"retryCount": 0}},
                {"id": "ask", "type": "elicitation", "message": "ok?", "onDecline": {}},
            ]
        )
    ]
    config = config_of(render_checked(_inventory(), compositeTools=tools))
    assert list(config)[:7] == [
        "name",
        "groupRef",
        "backends",
        "incomingAuth",
        "outgoingAuth",
        "aggregation",
        "compositeTools",
    ]
    [tool] = config["compositeTools"]
    assert tool["steps"] == [
        {"id": "echo", "type": "tool", "tool": "alpha_echo", "onError": {"action": "abort"}},
        {"id": "ask", "type": "elicitation", "message": "ok?", "onDecline": {"action": "abort"}},
    ]
    assert tool["parameters"] == tools[0]["parameters"]


# ─── audit, codeMode, metadata, passthroughHeaders ───


def test_the_other_config_sections_land_as_the_operator_writes_them() -> None:
    config = config_of(
        render_checked(
            _inventory(),
            audit={"enabled": True, "eventTypes": ["mcp_tool_call"]},
            codeMode={"enabled": True, "stepLimit": 50},
            metadata={"team": "platform", "env": "dev"},
            passthroughHeaders=["X-Tenant-Id", "x-request-id"],
        )
    )
    assert list(config)[-5:] == [
        "operational",
        "metadata",
        "audit",
        "codeMode",
        "passthroughHeaders",
    ]
    assert config["metadata"] == {"env": "dev", "team": "platform"}
    assert config["audit"] == {
        "enabled": True,
        "component": "eng-tools",
        "eventTypes": ["mcp_tool_call"],
        "detectApplicationErrors": True,
        "maxDataSize": 1024,
        "maxDelegationDepth": 10,
    }
    assert config["codeMode"] == {
        "enabled": True,
        "stepLimit": 50,
        "parallelMaxConcurrency": 10,
        "toolCallTimeout": "30s",
    }
    assert config["passthroughHeaders"] == ["X-Tenant-Id", "x-request-id"]


def test_audit_not_enabled_is_not_written() -> None:
    assert "audit" not in config_of(render_checked(_inventory(), audit={"component": "x"}))


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (["authorization"], '"Authorization" is a restricted header and cannot be forwarded'),
        (["X-Forwarded-For"], '"X-Forwarded-For" is a restricted header'),
        ([""], "passthroughHeaders[0]: header name must not be empty"),
        (["X-A", "bad header"], 'passthroughHeaders[1]: invalid header name "bad header"'),
        (["X-A", "x-a"], "passthroughHeaders lists a header twice"),
    ],
)
def test_passthrough_headers_vmcp_refuses_are_refused(headers: list[str], reason: str) -> None:
    assert reason in _refused(passthroughHeaders=headers)


@pytest.mark.parametrize(
    ("code_mode", "reason"),
    [
        ({"stepLimit": 0}, "codeMode.stepLimit"),
        ({"parallelMaxConcurrency": 0}, "codeMode.parallelMaxConcurrency"),
        ({"toolCallTimeout": "fast"}, "codeMode.toolCallTimeout"),
    ],
)
def test_code_mode_below_the_crd_minimums_is_refused(code_mode: Raw, reason: str) -> None:
    assert reason in _refused(codeMode=code_mode)


def test_audit_max_delegation_depth_below_one_is_refused() -> None:
    assert "audit.maxDelegationDepth" in _refused(audit={"enabled": True, "maxDelegationDepth": 0})


# ─── sessionAffinity and podTemplateSpec ───


def test_session_affinity_reaches_the_service() -> None:
    service = render_checked(_inventory(), sessionAffinity="None").object("Service")
    assert service["spec"]["sessionAffinity"] == "None"
    assert "sessionAffinity" in _refused(sessionAffinity="Sticky")


def test_pod_template_spec_is_strategic_merged_onto_the_generated_template() -> None:
    patch = {
        "metadata": {"labels": {"team": "platform"}},
        "spec": {
            "nodeSelector": {"pool": "mcp"},
            "containers": [
                {"name": "vmcp", "env": [{"name": "EXTRA", "value": "1"}]},
                {"name": "sidecar", "image": "busybox"},
            ],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
        },
    }
    rendering = render_checked(_inventory(), podTemplateSpec=patch)
    deployment = rendering.object("Deployment")
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"]["team"] == "platform"
    assert template["spec"]["nodeSelector"] == {"pool": "mcp"}
    vmcp, sidecar = template["spec"]["containers"]
    assert (vmcp["name"], sidecar["name"]) == ("vmcp", "sidecar")
    # apimachinery puts an item the base lacks before the base's own (mergeSortedSlice)
    assert vmcp["env"][0] == {"name": "EXTRA", "value": "1"}
    assert vmcp["env"][1]["name"] == "VMCP_NAMESPACE"  # the generated env is kept
    assert vmcp["image"] == "ghcr.io/stacklok/toolhive/vmcp:v0.63.0"
    assert [v["name"] for v in template["spec"]["volumes"]] == ["scratch", "vmcp-config"]
    assert deployment["metadata"]["annotations"] == {
        PODTEMPLATESPEC_HASH_ANNOTATION: pod_template_spec_hash(patch)
    }


def test_the_strategic_merge_orders_lists_as_apimachinery_does() -> None:
    base = {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    patch = {"spec": {"containers": [{"name": "new"}, {"name": "c", "image": "i"}]}}
    merged = apply_pod_template_spec(base, patch)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["new", "a", "b", "c"]
    deleted = apply_pod_template_spec(
        base, {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}
    )
    assert [c["name"] for c in deleted["spec"]["containers"]] == ["a", "c"]
    replaced = apply_pod_template_spec(
        {"spec": {"tolerations": [{"key": "a"}]}}, {"spec": {"tolerations": [{"key": "b"}]}}
    )
    assert replaced["spec"]["tolerations"] == [{"key": "b"}]
    removed = apply_pod_template_spec(
        {"spec": {"nodeSelector": {"a": "1"}}}, {"spec": {"nodeSelector": None}}
    )
    assert "nodeSelector" not in removed["spec"]
    assert base == {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}


def test_the_pod_template_spec_hash_is_the_operators_canonical_json_hash() -> None:
    # Go's json.Marshal sorts keys, writes no spaces and escapes <, > and & (checksum.HashRawJSON)
    import hashlib

    patch = {"spec": {"b": 1, "a": "<&>"}}
    canonical = '{"spec":{"a":"\\u003c\\u0026\\u003e","b":1}}'
    assert pod_template_spec_hash(patch) == hashlib.sha256(canonical.encode()).hexdigest()


def test_an_unnamed_container_in_the_pod_template_spec_is_refused() -> None:
    message = _refused(podTemplateSpec={"spec": {"containers": [{"image": "x"}]}})
    assert "spec.containers[0] needs a name" in message


def test_no_new_setting_changes_the_default_rendering() -> None:
    plain = render_checked(_inventory())
    explicit = render_checked(_inventory(), sessionAffinity="ClientIP")
    assert plain.objects == explicit.objects
    assert "annotations" not in plain.object("Deployment")["metadata"]

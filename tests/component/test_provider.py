"""The `vmcp` provider other languages use: its schema can't drift, and it is the component.

The schema is generated from `VirtualMCPServerArgs`; these tests hold it to the README's
settings table, to `Pulumi.yaml`, to pydantic's own JSON schema of the same model (a second,
independent reading of the annotations), and the committed `sdk/` to the generated schema. Then
the provider's `construct`, fed what the engine sends (every number a float, `dependsOn` as
URN-only stand-ins), must give what the Python component gives.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.resource import DependencyResource
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.component.conftest import (
    GROUP,
    NAMESPACE,
    Engine,
    example_inventory,
    resolved,
    run_program,
)
from tests.unit.test_settings_docs import _readme_table_keys
from vmcp_components.component import virtual_mcp_server
from vmcp_components.component.provider import VmcpProvider
from vmcp_components.component.schema import (
    OUTPUTS,
    package_schema,
    provider_version,
    schema_text,
)
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs, parse_args
from vmcp_components.core.settings.stack_files import CLUSTER_KEYS, load_stack_file

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk"
TYPE = "vmcp:index:VirtualMCPServer"
SCHEMA = package_schema(provider_version())
RESOURCE = SCHEMA["resources"][TYPE]
INPUTS: dict[str, Any] = RESOURCE["inputProperties"]
TYPES: dict[str, Any] = SCHEMA["types"]
STACK_FILES = sorted(
    [*(ROOT / "stacks").glob("Pulumi.*.yaml"), *(ROOT / "tests/golden").glob("*.stack.yaml")]
)


def as_the_engine_sends(value: Any) -> Any:
    """The wire carries numbers as doubles: every int arrives as a float."""
    return json.loads(json.dumps(value), parse_int=float)


# ─── the schema follows the model, the README and Pulumi.yaml ───


def test_the_inputs_are_the_readme_settings_table() -> None:
    assert set(INPUTS) == _readme_table_keys()


def test_the_inputs_are_the_model_fields_under_their_camel_case_names() -> None:
    fields = {f.alias or n for n, f in VirtualMCPServerArgs.model_fields.items()}
    assert set(INPUTS) == fields | set(CLUSTER_KEYS)
    required = {
        f.alias or n for n, f in VirtualMCPServerArgs.model_fields.items() if f.is_required()
    }
    assert set(RESOURCE["requiredInputs"]) == required


def _pulumi_type(spec: dict[str, Any]) -> str | None:
    ref = spec.get("$ref", "")
    return (
        TYPES[ref.removeprefix("#/types/")]["type"]
        if ref.startswith("#/types/")
        else spec.get("type")
    )


def test_pulumi_yaml_config_types_agree() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    for key, spec in project["config"].items():
        assert _pulumi_type(INPUTS[key]) == spec["type"], key


COMPARED: set[tuple[str, str]] = set()


def _same_shape(
    ours: dict[str, Any], theirs: dict[str, Any], defs: dict[str, Any], path: str
) -> None:
    """`ours` (Pulumi schema) types what pydantic's JSON schema `theirs` types, at `path`."""
    options = [o for o in theirs.get("anyOf", [theirs]) if o.get("type") != "null"]
    if len(options) > 1:
        assert len(ours["oneOf"]) == len(options), path
        for mine, other in zip(ours["oneOf"], options, strict=True):
            _same_shape(mine, other, defs, path)
        return
    (theirs,) = options
    ref = ours.get("$ref", "")
    if ref == "pulumi.json#/Any":
        typed = {k for k in theirs if k not in ("default", "title", "description")}
        assert not typed or theirs.get("additionalProperties") is True, path
        return
    if ref and "$ref" in theirs:  # a (maybe recursive) object type: compared once
        if (ref, theirs["$ref"]) in COMPARED:
            return
        COMPARED.add((ref, theirs["$ref"]))
    if ref:
        ours = TYPES[ref.removeprefix("#/types/")]
    if "$ref" in theirs:
        theirs = defs[theirs["$ref"].removeprefix("#/$defs/")]
    if "enum" in theirs:
        assert [v["value"] for v in ours["enum"]] == theirs["enum"], path
        return
    assert ours["type"] == theirs["type"], path
    if theirs["type"] == "array":
        _same_shape(ours["items"], theirs["items"], defs, f"{path}[]")
    elif theirs["type"] == "object" and "properties" in theirs:
        assert set(ours["properties"]) == set(theirs["properties"]), path
        assert set(ours.get("required", [])) == set(theirs.get("required", [])), path
        for key, spec in theirs["properties"].items():
            _same_shape(ours["properties"][key], spec, defs, f"{path}.{key}")
    elif theirs["type"] == "object":
        extra = theirs.get("additionalProperties", True)
        _same_shape(ours["additionalProperties"], {} if extra is True else extra, defs, path)


def test_every_input_is_typed_as_pydantic_types_it() -> None:
    theirs = VirtualMCPServerArgs.model_json_schema(by_alias=True)
    for key, spec in theirs["properties"].items():
        _same_shape(INPUTS[key], spec, theirs.get("$defs", {}), key)


def test_every_input_and_output_is_described() -> None:
    described = {**INPUTS, **RESOURCE["properties"]}
    assert [key for key, spec in described.items() if not spec.get("description")] == []
    assert set(RESOURCE["properties"]) == set(OUTPUTS) == set(RESOURCE["required"])


def test_only_the_arguments_the_component_takes_as_outputs_are_inputs() -> None:
    inputs = {k for k, spec in INPUTS.items() if not spec.get("plain")}
    assert inputs == set(virtual_mcp_server.INPUT_KEYS) | set(CLUSTER_KEYS)
    assert INPUTS["kubeconfig"]["secret"] is True


def test_the_status_record_types_name_every_key_render_writes() -> None:
    status = render(
        example_inventory(), "eng-tools", VirtualMCPServerArgs(namespace=NAMESPACE, group=GROUP)
    ).status
    backend = TYPES["vmcp:index:DiscoveredBackend"]
    assert {k for row in status["discoveredBackends"] for k in row} == set(backend["properties"])
    for row in status["discoveredBackends"]:
        assert {k for k, v in row.items() if v is not None} >= set(backend["required"])
    skipped = TYPES["vmcp:index:SkippedBackend"]
    assert {k for row in status["skippedBackends"] for k in row} == set(skipped["properties"])


# ─── the committed SDK is generated from this schema ───


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = (SDK / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(provider_version()), "the schema changed: run `make sdk`"


def test_the_committed_sdks_declare_every_input_and_output() -> None:
    typescript = (SDK / "nodejs" / "virtualMCPServer.ts").read_text(encoding="utf-8")
    args = typescript[typescript.index("export interface VirtualMCPServerArgs") :]
    assert set(re.findall(r"^    (\w+)\??: ", args, re.MULTILINE)) == set(INPUTS)
    outputs = set(re.findall(r"readonly (\w+): pulumi.Output<", typescript))
    assert outputs == set(OUTPUTS)
    go = (SDK / "go" / "vmcp" / "virtualMCPServer.go").read_text(encoding="utf-8")
    go_args = go[go.index("type VirtualMCPServerArgs struct") :]
    go_args = go_args[: go_args.index("\n}")]
    assert {k[0].lower() + k[1:] for k in re.findall(r"^\t(\w+) ", go_args, re.MULTILINE)} == set(
        INPUTS
    )


# ─── what the engine sends becomes the model's values ───


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_stack_settings_survive_the_wire(path: Path) -> None:
    """Every setting of every stack file, sent as the engine sends it, parses to the same args."""
    args = load_stack_file(path).args
    sent = as_the_engine_sends(args.model_dump(by_alias=True, exclude_unset=True))
    conformed = VmcpProvider("0.0.0").conformed(sent)
    assert json.dumps(conformed) == json.dumps(args.model_dump(by_alias=True, exclude_unset=True))
    assert parse_args(conformed) == args


def test_integers_stay_integers_in_typed_and_pass_through_settings() -> None:
    preferred = {"weight": 100.0, "preference": {"matchExpressions": [], "ratio": 0.5}}
    conformed = VmcpProvider("0.0.0").conformed(
        {
            "replicas": 2.0,
            "podDisruptionBudget": {"minAvailable": 1.0},
            "tolerations": [{"key": "k", "effect": "NoExecute", "tolerationSeconds": 30.0}],
            "operational": {"failureHandling": {"unhealthyThreshold": 4.0}},
            # affinity terms are passed through as given (Any): the API server wants an int
            "affinity": {
                "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [preferred]}
            },
        }
    )
    assert conformed == {
        "replicas": 2,
        "podDisruptionBudget": {"minAvailable": 1},
        "tolerations": [{"key": "k", "effect": "NoExecute", "tolerationSeconds": 30}],
        "operational": {"failureHandling": {"unhealthyThreshold": 4}},
        "affinity": {
            "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [preferred]}
        },
    }
    assert type(conformed["replicas"]) is int
    assert type(conformed["operational"]["failureHandling"]["unhealthyThreshold"]) is int
    (term,) = conformed["affinity"]["nodeAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert type(term["weight"]) is int
    assert term["preference"]["ratio"] == 0.5


def test_a_fractional_integer_is_refused_naming_the_key() -> None:
    with pytest.raises(pulumi.InputPropertyError) as caught:
        VmcpProvider("0.0.0").conformed({"replicas": 1.5})
    assert caught.value.property_path == "replicas"


# ─── construct: what other languages get is the Python component ───


def test_construct_gives_the_python_components_outputs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(virtual_mcp_server, "_cluster_discovery", lambda _cluster: engine.discovery)
    settings = {
        "namespace": NAMESPACE,
        "group": GROUP,
        "replicas": 2,
        "operational": {"failureHandling": {"unhealthyThreshold": 4}},
        "kubeconfig": "/k",
    }

    def program() -> dict[str, Any]:
        group_urn = (
            "urn:pulumi:test::vmcp-components::kubernetes:toolhive.stacklok.dev/v1beta1:MCPGroup::g"
        )
        options = pulumi.ResourceOptions(depends_on=[DependencyResource(group_urn)])
        result = VmcpProvider("0.0.0").construct(
            "eng-tools", TYPE, as_the_engine_sends(settings), options
        )
        return dict(result.state)

    state = {key: resolved(value) for key, value in run_program(program).items()}
    args = parse_args({k: v for k, v in settings.items() if k != "kubeconfig"})
    expected = render(example_inventory(), "eng-tools", args)
    assert {k: v for k, v in state.items() if k in expected.status} == expected.status
    assert type(state["backendCount"]) is int
    assert state["configMapName"] == "eng-tools-vmcp-config"
    assert state["deploymentName"] == "eng-tools"
    (config_map,) = engine.cluster.created("kubernetes:core/v1:ConfigMap")
    assert "unhealthyThreshold: 4\n" in config_map.inputs["data"]["config.yaml"]
    (deployment,) = engine.cluster.created("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["replicas"] == 2


def test_construct_refuses_another_type(engine: Engine) -> None:
    with pytest.raises(pulumi.RunError, match="no resource type"):
        run_program(lambda: VmcpProvider("0.0.0").construct("x", "vmcp:index:Other", {}))


def test_a_bad_setting_is_one_run_error_naming_the_key(engine: Engine) -> None:
    settings = {"namespace": NAMESPACE, "group": GROUP, "serviceType": "Internal"}
    with pytest.raises(pulumi.RunError, match="serviceType"):
        run_program(lambda: VmcpProvider("0.0.0").construct("x", TYPE, settings))


# ─── the plugin as the engine starts it ───


def test_the_launcher_serves_the_schema_over_grpc() -> None:
    """bin/pulumi-resource-vmcp starts this checkout's provider and answers on the printed port."""
    plugin = subprocess.Popen(
        [str(ROOT / "bin" / "pulumi-resource-vmcp"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "VMCP_COMPONENTS_ROOT"},
    )
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
            got = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
    finally:
        plugin.kill()
        plugin.wait()
    assert info.version == provider_version()
    assert json.loads(got.schema) == json.loads((SDK / "schema.json").read_text(encoding="utf-8"))

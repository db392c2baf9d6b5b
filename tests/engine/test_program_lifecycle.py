"""The program's whole life on the real engine: preview, up, no-diff, update, failures, destroy.

One seeded namespace holds the example group (an MCPServer, a plain entry, a CA entry, header
forwarding from a Secret, token exchange, an entry the SSRF rules refuse) plus an
MCPRemoteProxy, and another group's objects next to it. The program runs against it through
`pulumi.automation` with the real CLI, language host and kubernetes provider (see conftest).

The tests run in file order on one stack, each starting from the state the previous one left,
as a platform engineer's successive `pulumi up`s would; the last one destroys the stack. What
each step shows is compared with what the offline `render` prints for a `kubectl get -o yaml`-
style dump of the same namespace, so the engine, the component and `render` are held to one
another.
"""

# lightkube's models declare every field Optional; a missing one here is a test failure anyway.
# pyright: reportOptionalMemberAccess=false, reportOptionalIterable=false, reportOptionalSubscript=false

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import Client
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.core_v1 import ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount
from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding
from pulumi import automation as auto

from tests import clock
from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, RESOURCES, example_objects, seed, wait_for
from tests.engine.conftest import cluster_config, fail
from tests.engine.harness import EngineProject, listed
from vmcp_components.component.virtual_mcp_server import COMPONENT_TYPE

pytestmark = pytest.mark.engine

NAME = "eng-tools"
STACK = "lifecycle"
NS = "engine-lifecycle"
SECRET_VALUES = ("s3cr3t-bearer-9f2c61d0", "s3cr3t-client-4a7be3c5")
"""Values seeded into the Secrets; none may appear anywhere Pulumi writes or prints."""
DECLARED = {
    "ServiceAccount": ServiceAccount,
    "Role": Role,
    "RoleBinding": RoleBinding,
    "ConfigMap": ConfigMap,
    "Deployment": Deployment,
    "Service": Service,
}
DUMPED = (*RESOURCES.values(), ConfigMap, Secret)
"""What `kubectl get mcpgroups,...,configmaps,secrets -o yaml` would list for the render."""


def _seed_objects() -> list[dict[str, Any]]:
    objects = example_objects(NS)
    for obj, value in zip(
        (o for o in objects if o["kind"] == "Secret"), SECRET_VALUES, strict=True
    ):
        (key,) = obj["data"]
        obj["data"] = {key: base64.b64encode(value.encode()).decode()}
    objects.append(
        {
            "apiVersion": "toolhive.stacklok.dev/v1beta1",
            "kind": "MCPRemoteProxy",
            "metadata": {"name": "jira-proxy", "namespace": NS},
            "spec": {
                "remoteUrl": "https://jira.example.org/mcp",
                "transport": "streamable-http",
                "groupRef": {"name": GROUP},
            },
            "status": {
                "phase": "Ready",
                "url": f"http://mcp-jira-proxy-remote-proxy.{NS}.svc.cluster.local:8080/mcp",
            },
        }
    )
    return objects


@pytest.fixture(scope="module")
def kube(cluster: Cluster) -> Client:
    """A client on the seeded namespace, created once for the module."""
    api = cluster.client(namespace=NS, field_manager="vmcp-engine-tests")
    api.create(Namespace(metadata={"name": NS}))  # type: ignore[arg-type]
    seed(api, _seed_objects())
    return api


@pytest.fixture(scope="module")
def stack(program: EngineProject, cluster: Cluster, kube: Client) -> auto.Stack:
    return program.stack(STACK, _config(cluster))


def _config(cluster: Cluster, **overrides: Any) -> dict[str, Any]:
    return {
        "namespace": NS,
        "group": GROUP,
        "name": NAME,
        **cluster_config(cluster),
        **overrides,
    }


def _dump(kube: Client) -> str:
    items = [obj.to_dict() for resource in DUMPED for obj in listed(kube, resource, NS)]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})


def _render(kube: Client, tmp_path: Path) -> tuple[list[dict[str, Any]], Any]:
    """What the offline render prints for the namespace as it is now: (objects, status)."""
    snapshot, status = tmp_path / "snapshot.yaml", tmp_path / "status.json"
    snapshot.write_text(_dump(kube))
    printed = subprocess.run(
        [
            *(sys.executable, "-m", "vmcp_components", "render", "--snapshot", str(snapshot)),
            *("--name", NAME, "--namespace", NS, "--group", GROUP, "--status-file", str(status)),
        ],
        env=clock.subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return list(yaml.safe_load_all(printed.stdout)), json.loads(status.read_text())


def _live(kube: Client, kind: str, name: str) -> dict[str, Any]:
    return kube.get(DECLARED[kind], name=name, namespace=NS).to_dict()


def _assert_contained(expected: Any, actual: Any, where: str) -> None:
    """Every field of `expected` is in `actual` with an equal value (the server may add more)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a mapping"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key}: missing on the live object"
            _assert_contained(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not a list"
        assert len(expected) == len(actual), f"{where}: {len(actual)} items, not {len(expected)}"
        for index, (item, live) in enumerate(zip(expected, actual, strict=True)):
            _assert_contained(item, live, f"{where}[{index}]")
    else:
        assert expected == actual, f"{where}: live {actual!r}, rendered {expected!r}"


def _versions(kube: Client) -> dict[tuple[str, str], str]:
    """resourceVersion of every object in the namespace (Deployments: generation, since the
    controllers keep writing their status)."""
    versions = {}
    for resource in (*DECLARED.values(), *DUMPED):
        for obj in listed(kube, resource, NS):
            meta = obj.metadata
            mark = meta.generation if resource is Deployment else meta.resourceVersion
            versions[(resource.__name__, meta.name)] = str(mark)
    return versions


def _outputs(result: auto.UpResult) -> dict[str, Any]:
    return {key: output.value for key, output in result.outputs.items()}


def test_preview_lists_every_read_and_the_creates(program: EngineProject, stack: auto.Stack):
    run, _ = program.run("preview", stack)
    reads = {(kind.rsplit(":", 1)[-1], name) for _, kind, name in run.steps(auto.OpType.READ)}
    members = ["github-mcp", "context7", "internal-mcp", "internal-api", "salesforce-mcp"]
    assert reads == {
        ("MCPGroup", f"{NAME}-mcpgroup-{GROUP}"),
        ("MCPServer", f"{NAME}-mcpserver-github-mcp"),
        ("MCPRemoteProxy", f"{NAME}-mcpremoteproxy-jira-proxy"),
        *(
            ("MCPServerEntry", f"{NAME}-mcpserverentry-{m}")
            for m in [*members[1:], "cloud-metadata"]
        ),
        ("MCPExternalAuthConfig", f"{NAME}-mcpexternalauthconfig-salesforce-auth"),
        ("ConfigMap", f"{NAME}-configmap-corp-ca-bundle"),
    }
    creates = {(kind.rsplit(":", 1)[-1], name) for _, kind, name in run.steps(auto.OpType.CREATE)}
    assert {kind for kind, _ in creates} >= set(DECLARED), creates
    assert not any("crm-tools" in name or "sales-team" in name for _, _, name in run.steps())


def test_up_creates_the_objects_and_outputs_equal_render(
    program: EngineProject, stack: auto.Stack, kube: Client, tmp_path: Path
):
    run, result = program.run("up", stack)
    created = {kind.rsplit(":", 1)[-1] for op, kind, _ in run.changes() if op == "create"}
    assert created >= set(DECLARED)
    _, status = _render(kube, tmp_path)
    outputs = _outputs(result)
    assert {key: outputs[key] for key in status} == status
    assert outputs["configMapName"] == f"{NAME}-vmcp-config"
    assert outputs["deploymentName"] == NAME
    assert outputs["backendCount"] == 6
    assert [s["name"] for s in outputs["skippedBackends"]] == ["cloud-metadata"]
    # The backend list is in the state once, as the stack output, not again as the component's.
    (component,) = (r for r in program.resources(STACK) if r["type"] == COMPONENT_TYPE)
    assert "discoveredBackends" not in component["outputs"]
    assert component["outputs"]["backendCount"] == 6


def test_live_objects_equal_what_render_prints(kube: Client, tmp_path: Path):
    objects, _ = _render(kube, tmp_path)
    assert sorted(obj["kind"] for obj in objects) == sorted(DECLARED)
    for obj in objects:
        live = _live(kube, obj["kind"], obj["metadata"]["name"])
        _assert_contained(obj, live, f"{obj['kind']} {obj['metadata']['name']}")


def test_a_second_preview_and_up_change_nothing(program: EngineProject, stack: auto.Stack):
    run, _ = program.run("preview", stack, expect_no_changes=True)
    assert run.changes() == []
    run, _ = program.run("up", stack, expect_no_changes=True)
    assert run.changes() == []


def test_typed_and_plain_children_are_the_same_resources(program: EngineProject, stack: auto.Stack):
    """The program declares plain children, a platform stack the typed classes: either way the
    engine sees the same resources, so switching (an upgrade from a typed release, or a stack
    that moves into a platform program) changes nothing, in both directions."""
    main = program.path / "__main__.py"
    plain = main.read_text()
    main.write_text(
        "from vmcp_components.component.program import main\n\nmain(typed_children=True)\n"
    )
    try:
        for operation in ("preview", "up"):
            run, _ = program.run(operation, stack, expect_no_changes=True)
            assert run.changes() == []
    finally:
        main.write_text(plain)
    run, _ = program.run("preview", stack, expect_no_changes=True)
    assert run.changes() == []


def test_a_new_ca_entry_updates_the_config_and_rolls_out(
    program: EngineProject, stack: auto.Stack, kube: Client, tmp_path: Path
):
    ca = next(o for o in example_objects(NS) if o["kind"] == "ConfigMap")
    ca["metadata"]["name"] = "partner-ca"
    entry = copy.deepcopy(
        next(o for o in example_objects(NS) if o["metadata"]["name"] == "internal-mcp")
    )
    entry["metadata"]["name"] = "partner-mcp"
    entry["spec"]["remoteUrl"] = "https://mcp.partner.example.com/mcp"
    entry["spec"]["caBundleRef"]["configMapRef"]["name"] = "partner-ca"
    seed(kube, [ca, entry])

    run, _ = program.run("preview", stack)
    changed = sorted((op.value, kind.rsplit(":", 1)[-1]) for op, kind, _ in run.changes())
    assert changed == [("update", "ConfigMap"), ("update", "Deployment")]

    program.run("up", stack)
    template = kube.get(Deployment, NAME, namespace=NS).spec.template
    assert any(v.configMap and v.configMap.name == "partner-ca" for v in template.spec.volumes)
    checksum = template.metadata.annotations["toolhive.stacklok.dev/runconfig-checksum"]

    def rolled_out() -> bool:
        sets = [
            rs
            for rs in kube.list(ReplicaSet, namespace=NS)
            if rs.spec.template.metadata.annotations.get("toolhive.stacklok.dev/runconfig-checksum")
            == checksum
        ]
        pods = [
            p
            for p in kube.list(Pod, namespace=NS)
            if p.metadata.annotations.get("toolhive.stacklok.dev/runconfig-checksum") == checksum
        ]
        return (
            len(sets) == 1
            and (sets[0].status.readyReplicas or 0) >= 1
            and all(
                any(v.configMap and v.configMap.name == "partner-ca" for v in p.spec.volumes)
                for p in pods
            )
            and bool(pods)
        )

    wait_for(rolled_out, "the new pod template to roll out with the partner CA volume")
    assert len(list(kube.list(ReplicaSet, namespace=NS))) == 2
    _, status = _render(kube, tmp_path)
    assert "partner-mcp" in [b["name"] for b in status["discoveredBackends"]]


def test_removed_entry_and_deleted_ca_config_map(
    program: EngineProject, stack: auto.Stack, kube: Client
):
    kube.delete(RESOURCES["MCPServerEntry"], "context7", namespace=NS)
    kube.delete(ConfigMap, "corp-ca-bundle", namespace=NS)

    run, result = program.run("up", stack)
    outputs = _outputs(result)
    backends = [b["name"] for b in outputs["discoveredBackends"]]
    assert "context7" not in backends
    assert "internal-mcp" not in backends
    config = kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS).data["config.yaml"]
    names = [b["name"] for b in yaml.safe_load(config)["backends"]]
    assert "context7" not in names, config
    assert "internal-mcp" not in names, config
    (skipped,) = [s for s in outputs["skippedBackends"] if s["name"] == "internal-mcp"]
    assert "corp-ca-bundle" in skipped["reason"]
    assert any(
        'MCPServerEntry "internal-mcp"' in warning and "corp-ca-bundle" in warning
        for warning in run.warnings()
    ), run.warnings()


def test_strict_stack_with_a_bad_member_fails_and_changes_nothing(
    program: EngineProject, stack: auto.Stack, cluster: Cluster, kube: Client
):
    before = _versions(kube)
    program.write_config(STACK, _config(cluster, strict=True))
    try:
        run = fail(program, "up", stack)
    finally:
        program.write_config(STACK, _config(cluster))
    assert "strict mode" in run.text
    assert "Traceback" not in run.text  # a RunError: the engine prints the message alone
    assert "unhandled exception" not in run.text
    assert (
        'MCPServerEntry "cloud-metadata": remote URL host is not allowed: IP address '
        "169.254.169.254 falls within blocked range 169.254.0.0/16" in run.text
    )
    assert _versions(kube) == before


def test_zero_usable_backends_fails_and_changes_nothing(
    program: EngineProject, stack: auto.Stack, cluster: Cluster, kube: Client
):
    seed(
        kube,
        [
            {
                "apiVersion": "toolhive.stacklok.dev/v1beta1",
                "kind": "MCPGroup",
                "metadata": {"name": "broken-team", "namespace": NS},
                "spec": {},
            },
            {
                "apiVersion": "toolhive.stacklok.dev/v1beta1",
                "kind": "MCPServerEntry",
                "metadata": {"name": "loopback", "namespace": NS},
                "spec": {
                    "remoteUrl": "http://127.0.0.1:8080/mcp",
                    "transport": "sse",
                    "groupRef": {"name": "broken-team"},
                },
            },
        ],
    )
    before = _versions(kube)
    program.write_config(STACK, _config(cluster, group="broken-team"))
    try:
        run = fail(program, "up", stack)
    finally:
        program.write_config(STACK, _config(cluster))
    assert "static mode requires at least one backend" in run.text
    assert "Traceback" not in run.text
    assert "unhandled exception" not in run.text
    assert "broken-team" in run.text
    assert _versions(kube) == before


def test_secret_values_appear_nowhere(program: EngineProject, stack: auto.Stack):
    exported = json.dumps(stack.export_stack().deployment)
    outputs = json.dumps({k: v.value for k, v in stack.outputs().items()})
    printed = "\n".join(run.text for run in program.runs)
    events = "\n".join(repr(event.__dict__) for run in program.runs for event in run.events)
    state_files = "\n".join(
        p.read_text(errors="replace") for p in (program.path / ".state").rglob("*") if p.is_file()
    )
    logs = "\n".join(
        p.read_text(errors="replace")
        for p in Path(program.engine.env["PULUMI_HOME"]).rglob("*.log")
        if p.is_file()
    )
    assert "internal-api-credentials" in exported  # the reference is there, by name
    for value in SECRET_VALUES:
        for encoded in (value, base64.b64encode(value.encode()).decode()):
            for where, text in (
                ("stack export", exported),
                ("stack outputs", outputs),
                ("engine output", printed),
                ("engine events", events),
                ("state backend", state_files),
                ("logs", logs),
            ):
                assert encoded not in text, f"a seeded Secret value is in the {where}"


def test_destroy_removes_only_the_declared_objects(
    program: EngineProject, stack: auto.Stack, kube: Client
):
    toolhive = {(r.__name__, o.metadata.name) for r in RESOURCES.values() for o in listed(kube, r)}
    program.run("destroy", stack)
    for kind, resource in DECLARED.items():
        names = {obj.metadata.name for obj in kube.list(resource, namespace=NS)}
        assert not names & {NAME, f"{NAME}-vmcp", f"{NAME}-vmcp-config", f"vmcp-{NAME}"}, kind
    assert {(r.__name__, o.metadata.name) for r in RESOURCES.values() for o in listed(kube, r)} == (
        toolhive
    )
    assert kube.get(ConfigMap, "partner-ca", namespace=NS)
    assert {s.metadata.name for s in kube.list(Secret, namespace=NS)} >= {
        "internal-api-credentials",
        "salesforce-oauth",
    }

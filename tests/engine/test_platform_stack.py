"""The component in platform stacks, on the real engine and cluster.

Each test writes a small platform program, the way users import the component: the program
creates the namespace, the MCPGroup, its MCPServerEntry members and a CA ConfigMap itself, and
hands the component values that are Outputs of those resources. One `pulumi up` on an empty
namespace must converge; a kubeconfig unknown during preview must not break the preview; an
explicit provider without a kubeconfig must be refused before anything is created; and a
`--secret` kubeconfig must stay secret in the program's state and outputs.
"""

# lightkube's models declare every field Optional; a missing one here is a test failure anyway.
# pyright: reportOptionalMemberAccess=false, reportOptionalIterable=false

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lightkube import ApiError, Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import example_objects, seed, wait_for
from tests.engine.conftest import cluster_config, fail
from tests.engine.harness import Engine, EngineProject, copy_program
from tests.factories import ca_pem

pytestmark = pytest.mark.engine

PROGRAM = '''"""A platform stack: the group and its members are declared next to the component."""
import json

import pulumi
import pulumi_kubernetes as k8s

from vmcp_components.component.virtual_mcp_server import VirtualMCPServer

config = pulumi.Config()
kubeconfig = config.require("kubeconfig")
context = config.require("context")
case = config.require("case")
provider = k8s.Provider("cluster", kubeconfig=kubeconfig, context=context,
                        enable_config_map_mutable=True)
on_cluster = pulumi.ResourceOptions(provider=provider)
if case == "provider-without-kubeconfig":
    # refused at construction, before this program declares anything else
    VirtualMCPServer("platform", {"namespace": config.require("namespace"),
                                  "group": "platform-team"}, on_cluster)
namespace = k8s.core.v1.Namespace("ns", metadata={"name": config.require("namespace")},
                                  opts=on_cluster)
ns = namespace.metadata.apply(lambda m: m.name)
group = k8s.apiextensions.CustomResource(
    "group", api_version="toolhive.stacklok.dev/v1beta1", kind="MCPGroup",
    metadata={"name": "platform-team", "namespace": ns}, spec={}, opts=on_cluster)
ca = k8s.core.v1.ConfigMap("ca", metadata={"name": "platform-ca", "namespace": ns},
                           data={"ca.crt": json.loads(config.require("pem"))}, opts=on_cluster)
members = [
    k8s.apiextensions.CustomResource(
        f"entry-{name}", api_version="toolhive.stacklok.dev/v1beta1", kind="MCPServerEntry",
        metadata={"name": name, "namespace": ns},
        spec={"remoteUrl": f"https://{name}.example.com/mcp", "transport": "streamable-http",
              "groupRef": {"name": "platform-team"}, **extra},
        opts=on_cluster)
    for name, extra in [
        ("docs", {}),
        ("search", {}),
        ("partner", {"caBundleRef": {"configMapRef": {"name": "platform-ca", "key": "ca.crt"}}}),
    ]
]
args = {"namespace": ns, "group": "platform-team", "kubeconfig": kubeconfig, "context": context}
if case == "unknown-kubeconfig":
    # read back from a resource of this program: unknown until the ConfigMap exists
    args["kubeconfig"] = pulumi.Output.all(ca.metadata.uid, kubeconfig).apply(lambda v: v[1])
vmcp = VirtualMCPServer("platform", args,
                        pulumi.ResourceOptions(provider=provider,
                                               depends_on=[group, ca, *members]))
pulumi.export("backends", vmcp.discovered_backends.apply(lambda bs: [b["name"] for b in bs]))
pulumi.export("url", vmcp.url)
'''


def _project(engine: Engine, path: Path) -> EngineProject:
    path.mkdir()
    (path / "Pulumi.yaml").write_text("name: platform\nruntime: python\nstackConfigDir: stacks\n")
    (path / "__main__.py").write_text(PROGRAM)
    return EngineProject(path, engine)


def _stack(project: EngineProject, cluster: Cluster, namespace: str, case: str) -> auto.Stack:
    kube = cluster_config(cluster)
    return project.stack(
        case,
        {
            "platform:kubeconfig": kube["kubeconfig"],
            "platform:context": kube["context"],
            "platform:namespace": namespace,
            "platform:case": case,
            "platform:pem": json.dumps(ca_pem()),
        },
    )


def _gone(client: Client, namespace: str) -> bool:
    try:
        client.get(Namespace, namespace)
    except ApiError as error:
        return error.status.code == 404
    return False


def test_one_up_converges_with_members_declared_in_the_same_program(
    engine: Engine, cluster: Cluster, tmp_path: Path
):
    project = _project(engine, tmp_path / "platform")
    stack = _stack(project, cluster, "platform-a", "same-program")
    client = cluster.client(namespace="platform-a")

    run, _ = project.run("preview", stack)
    kinds = {kind.rsplit(":", 1)[-1] for _, kind, _ in run.steps(auto.OpType.CREATE)}
    assert {"ConfigMap", "Deployment", "Service", "Role", "RoleBinding", "ServiceAccount"} <= kinds

    run, result = project.run("up", stack)
    assert result.outputs["backends"].value == ["docs", "partner", "search"]
    assert result.outputs["url"].value == ("http://vmcp-platform.platform-a.svc.cluster.local:4483")
    volumes = client.get(Deployment, "platform").spec.template.spec.volumes
    assert any(v.configMap and v.configMap.name == "platform-ca" for v in volumes)

    # The children depend on what the program declared (the namespace through `namespace`, the
    # group, CA and members through depends_on), so destroy deletes them first; not on the
    # component's reads, which would put a list of every member into each child's state.
    resources = project.resources("same-program")
    urns = {r["urn"].rsplit("::", 1)[-1]: r["urn"] for r in resources if not r.get("external")}
    reads = {r["urn"] for r in resources if r.get("external")}
    assert len(reads) == 5  # the group, the three entries and the CA ConfigMap
    declared = {urns[name] for name in ("ns", "group", "ca", "entry-docs", "entry-partner")}
    for child in ("platform-deployment", "platform-config", "platform-service"):
        dependencies = set(next(r for r in resources if r["urn"] == urns[child])["dependencies"])
        assert declared <= dependencies, child
        assert not dependencies & reads, child

    run, _ = project.run("preview", stack, expect_no_changes=True)
    assert run.changes() == []

    project.run("destroy", stack)
    wait_for(lambda: _gone(client, "platform-a"), "the namespace to be deleted", timeout=120)


def test_a_kubeconfig_unknown_in_preview(engine: Engine, cluster: Cluster, tmp_path: Path):
    project = _project(engine, tmp_path / "platform")
    stack = _stack(project, cluster, "platform-b", "unknown-kubeconfig")

    run, _ = project.run("preview", stack)
    kinds = {kind.rsplit(":", 1)[-1] for _, kind, _ in run.steps(auto.OpType.CREATE)}
    assert {"ConfigMap", "Deployment", "Service"} <= kinds
    assert not run.steps(auto.OpType.READ)  # nothing can be read before the cluster is known

    _, result = project.run("up", stack)
    assert result.outputs["backends"].value == ["docs", "partner", "search"]
    project.run("destroy", stack)


def test_an_explicit_provider_without_a_kubeconfig_is_refused(
    engine: Engine, cluster: Cluster, tmp_path: Path
):
    project = _project(engine, tmp_path / "platform")
    stack = _stack(project, cluster, "platform-c", "provider-without-kubeconfig")
    run = fail(project, "up", stack)
    assert "explicit kubernetes provider was given but no kubeconfig" in run.text
    assert "kubernetes:kubeconfig" in run.text
    assert _gone(cluster.client(), "platform-c")  # not even the program's namespace


def test_a_secret_kubeconfig_stays_secret(
    engine: Engine, cluster: Cluster, tmp_path: Path, kube_seeded_group: str
):
    """The repository's program with `pulumi config set --secret kubeconfig <contents>`."""
    project = EngineProject(tmp_path / "program", engine)
    copy_program(project.path)
    contents = Path(cluster_config(cluster)["kubeconfig"]).read_text()
    stack = project.stack(
        "secret",
        {"namespace": kube_seeded_group, "group": "engineering-team", "name": "secretive"},
    )
    stack.set_config("kubeconfig", auto.ConfigValue(contents, secret=True))
    stack.set_config("context", auto.ConfigValue("vmcp-test"))
    _, result = project.run("up", stack)
    assert result.outputs["backendCount"].value >= 1
    token = Path(cluster.workdir / "token").read_text().strip()
    state = "\n".join(p.read_text() for p in project.state_dir.rglob("*.json"))
    assert '"ciphertext"' in state
    assert token not in state  # what the file backend keeps
    assert token not in json.dumps({k: v.value for k, v in result.outputs.items()})
    assert token not in "\n".join(run.text for run in project.runs)
    project.run("destroy", stack)


@pytest.fixture
def kube_seeded_group(cluster: Cluster) -> str:
    """A namespace holding the example group."""
    namespace = "platform-d"
    client = cluster.client(namespace=namespace, field_manager="vmcp-engine-tests")
    client.create(Namespace(metadata={"name": namespace}))  # type: ignore[arg-type]
    seed(client, example_objects(namespace))
    return namespace

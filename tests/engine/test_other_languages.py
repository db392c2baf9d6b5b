"""The component from other languages: a Pulumi YAML and a TypeScript program, on the real engine.

Both use `vmcp:index:VirtualMCPServer` through the `vmcp` plugin that `scripts/pulumi-engine
build` registers (`bin/pulumi-resource-vmcp`, this checkout's .venv): the YAML program names the
type and nothing else (`tests/engine/yaml/Pulumi.yaml`); the TypeScript program imports the SDK
generated into `sdk/nodejs` and runs inline through the Automation API of npm `@pulumi/pulumi`
(no Node language host is buildable here; `make node-deps` installs the packages). Each, on its
own seeded copy of the example group: `preview`, then `up`, whose outputs must equal what the
offline `render` prints for a dump of the namespace with the same settings (integers included:
`replicas: 2`, `unhealthyThreshold: 4` in config.yaml); a group the program declares itself and
passes through `dependsOn` is found in the same `up`; a second preview changes nothing; the
secret kubeconfig stays secret; `destroy` removes the children and leaves what was only read.
"""

# lightkube's models declare every field Optional; a missing one here is a test failure anyway.
# pyright: reportOptionalMemberAccess=false, reportOptionalSubscript=false

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Namespace, Secret, Service
from lightkube.resources.policy_v1 import PodDisruptionBudget
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, RESOURCES, example_objects, seed
from tests.engine.harness import ENGINE, ROOT, Engine, EngineProject, listed
from vmcp_components.component.schema import provider_version

pytestmark = pytest.mark.engine

NAME = "eng-tools"
SETTINGS = {"replicas": 2, "operational": {"failureHandling": {"unhealthyThreshold": 4}}}
"""What both programs give the example group's component besides namespace, group and name."""
PLATFORM_MEMBERS = {
    ("MCPGroup", "platform-team"),
    ("MCPServerEntry", "docs"),
    ("MCPServerEntry", "search"),
}
DUMPED = (*RESOURCES.values(), ConfigMap, Secret)
CHILDREN = {
    (Deployment, NAME),
    (Service, f"vmcp-{NAME}"),
    (ConfigMap, f"{NAME}-vmcp-config"),
    (PodDisruptionBudget, NAME),
    (Deployment, "platform"),
    (ConfigMap, "platform-vmcp-config"),
}


def _seeded(cluster: Cluster, namespace: str) -> Client:
    client = cluster.client(namespace=namespace, field_manager="vmcp-engine-tests")
    client.create(Namespace(metadata={"name": namespace}))  # type: ignore[arg-type]
    seed(client, example_objects(namespace))
    return client


def _objects(kube: Client, namespace: str) -> dict[tuple[str, Any], Any]:
    """(kind, name) -> resourceVersion of every object a dump of the namespace lists."""
    return {
        (resource.__name__, obj.metadata.name): obj.metadata.resourceVersion
        for resource in DUMPED
        for obj in listed(kube, resource, namespace)
    }


def _render(kube: Client, namespace: str, tmp_path: Path) -> tuple[dict[Any, Any], Any]:
    """What `render --stack` prints for a dump of the namespace (the example group only)."""
    items = [
        obj.to_dict()
        for resource in DUMPED
        for obj in listed(kube, resource, namespace)
        if (resource.__name__, obj.metadata.name) not in PLATFORM_MEMBERS
    ]
    snapshot, status = tmp_path / "dump.yaml", tmp_path / "status.json"
    stack = tmp_path / "render" / "stacks" / "Pulumi.render.yaml"  # next to the program's project
    stack.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", stack.parent.parent)
    snapshot.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    config = {"namespace": namespace, "group": GROUP, "name": NAME, **SETTINGS}
    stack.write_text(
        yaml.safe_dump({"config": {f"vmcp-components:{k}": v for k, v in config.items()}})
    )
    printed = subprocess.run(
        [
            *(sys.executable, "-m", "vmcp_components", "render", "--snapshot", str(snapshot)),
            *("--stack", str(stack), "--status-file", str(status)),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert printed.returncode == 0, printed.stderr
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(printed.stdout)}
    return objects, json.loads(status.read_text())


def _check_up(outputs: dict[str, Any], kube: Client, namespace: str, tmp_path: Path) -> None:
    objects, status = _render(kube, namespace, tmp_path)
    # Optional properties that are null may come back absent (YAML) or null (TypeScript).
    for result in (status, outputs):
        result["discoveredBackends"] = [
            {k: v for k, v in row.items() if v is not None} for row in result["discoveredBackends"]
        ]
    assert {key: outputs[key] for key in status} == status
    assert outputs["configMapName"] == f"{NAME}-vmcp-config"
    assert outputs["deploymentName"] == NAME
    assert [b if isinstance(b, str) else b["name"] for b in outputs["platformBackends"]] == [
        "docs",
        "search",
    ]
    config = kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=namespace)
    assert config.data == objects[("ConfigMap", f"{NAME}-vmcp-config")]["data"]
    assert "unhealthyThreshold: 4\n" in config.data["config.yaml"]
    assert kube.get(Deployment, NAME, namespace=namespace).spec.replicas == 2
    kube.get(PodDisruptionBudget, NAME, namespace=namespace)  # replicas 2 -> a PDB


def _gone(kube: Client, resource: Any, name: str, namespace: str) -> bool:
    try:
        kube.get(resource, name, namespace=namespace)
    except ApiError as error:
        return error.status.code == 404
    return False


def _check_destroyed(kube: Client, namespace: str, before: dict[tuple[str, Any], Any]) -> None:
    """Every child is gone; every object the programs only read is there, unchanged."""
    assert [c for c in CHILDREN if not _gone(kube, c[0], c[1], namespace)] == []
    read_only = {
        k: v for k, v in before.items() if k not in PLATFORM_MEMBERS and "vmcp-config" not in k[1]
    }
    now = _objects(kube, namespace)
    assert {k: now.get(k) for k in read_only} == read_only


def _check_secret_state(state_dir: Path, cluster: Cluster) -> None:
    """The kubeconfig (given as a secret) is stored encrypted only; a remote component's inputs
    are not kept in the caller's state at all."""
    state = "\n".join(p.read_text() for p in state_dir.rglob("*.json"))
    assert cluster.token not in state
    assert '"ciphertext"' in state


# ─── Pulumi YAML ───


def test_a_pulumi_yaml_program(engine: Engine, cluster: Cluster, tmp_path: Path) -> None:
    namespace = "lang-yaml"
    kube = _seeded(cluster, namespace)
    project = EngineProject(tmp_path / "yaml", engine)
    project.path.mkdir()
    shutil.copy(ROOT / "tests" / "engine" / "yaml" / "Pulumi.yaml", project.path)
    stack = project.stack("dev", {"vmcp-yaml:namespace": namespace})
    stack.set_config(
        "kubeconfig", auto.ConfigValue(Path(cluster.kubeconfig).read_text(), secret=True)
    )

    started = time.monotonic()
    run, _ = project.run("preview", stack)
    preview_seconds = time.monotonic() - started
    creates = {(kind.rsplit(":", 1)[-1], name) for _, kind, name in run.steps(auto.OpType.CREATE)}
    assert {("VirtualMCPServer", "engTools"), ("Deployment", "engTools-deployment")} <= creates
    assert ("Deployment", "platform-deployment") in creates

    _, result = project.run("up", stack)
    _check_up({k: v.value for k, v in result.outputs.items()}, kube, namespace, tmp_path)

    run, _ = project.run("preview", stack, expect_no_changes=True)
    assert run.changes() == []
    _check_secret_state(project.state_dir, cluster)

    before = _objects(kube, namespace)
    project.run("destroy", stack)
    _check_destroyed(kube, namespace, before)
    print(f"\nYAML program, first preview on the example group: {preview_seconds:.1f} s")


# ─── TypeScript, with the generated SDK ───


def _environ(engine: Engine) -> dict[str, str]:
    """This process's environment with the engine's (the harness keeps only the latter)."""
    return {**os.environ, **engine.env}


def _node_modules() -> Path:
    cache = subprocess.run([str(ENGINE), "cache-dir"], capture_output=True, text=True, check=True)
    modules = Path(cache.stdout.strip()).parent / "node-tests" / "node_modules"
    assert (modules / "@pulumi" / "pulumi").is_dir(), f"{modules}: run `make node-deps`"
    return modules


class TypeScriptProgram:
    """tests/engine/typescript/program.ts with ./sdk = sdk/nodejs, type-checked and compiled."""

    def __init__(self, engine: Engine, path: Path, settings: dict[str, Any]) -> None:
        self.engine, self.path = engine, path
        path.mkdir()
        shutil.copytree(ROOT / "sdk" / "nodejs", path / "sdk")
        for name in ("program.ts", "tsconfig.json"):
            shutil.copy(ROOT / "tests" / "engine" / "typescript" / name, path)
        (path / "node_modules").symlink_to(_node_modules())
        (path / "work").mkdir()
        self.state_dir = path / "state"
        self.state_dir.mkdir()
        self.settings = {
            **settings,
            "engineRoot": str(engine.root),
            "stateDir": str(self.state_dir),
            "workDir": str(path / "work"),
        }
        tsc = path / "node_modules" / "typescript" / "bin" / "tsc"
        compiled = subprocess.run(
            ["node", str(tsc), "-p", str(path)], capture_output=True, text=True, check=False
        )
        assert compiled.returncode == 0, compiled.stdout + compiled.stderr

    def run(self, operation: str, **extra: Any) -> dict[str, Any]:
        settings = self.path / "settings.json"
        settings.write_text(json.dumps({**self.settings, **extra}))
        done = subprocess.run(
            ["node", str(self.path / "program.js"), operation, str(settings)],
            capture_output=True,
            text=True,
            check=False,
            env=_environ(self.engine),
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads(done.stdout.splitlines()[-1])


def test_a_typescript_program_with_the_generated_sdk(
    engine: Engine, cluster: Cluster, tmp_path: Path
) -> None:
    namespace = "lang-ts"
    kube = _seeded(cluster, namespace)
    kubeconfig = Path(cluster.kubeconfig).read_text()
    program = TypeScriptProgram(
        engine, tmp_path / "ts", {"kubeconfig": kubeconfig, "namespace": namespace}
    )

    preview = program.run("preview")
    creates = {(t.rsplit(":", 1)[-1], n) for op, t, n in preview["steps"] if op == "create"}
    assert {("VirtualMCPServer", "eng-tools"), ("Deployment", "eng-tools-deployment")} <= creates
    assert ("Deployment", "platform-deployment") in creates

    up = program.run("up")
    _check_up(up["outputs"], kube, namespace, tmp_path)
    assert up["secretOutputs"] == []

    again = program.run("preview", expectNoChanges=True)
    assert set(again["changeSummary"]) <= {"same", "read"}
    _check_secret_state(program.state_dir, cluster)

    before = _objects(kube, namespace)
    program.run("destroy")
    _check_destroyed(kube, namespace, before)


# ─── the plugin and the SDKs ───


def test_the_registered_plugin_serves_the_committed_schema(engine: Engine, tmp_path: Path) -> None:
    got = subprocess.run(
        [str(engine.root / "bin" / "pulumi"), "package", "get-schema", "vmcp"],
        capture_output=True,
        text=True,
        check=False,
        env=_environ(engine),
        cwd=tmp_path,
    )
    assert got.returncode == 0, got.stderr
    served = json.loads(got.stdout)
    assert served.pop("config") == {}  # the CLI prints the schema with every section
    assert served == json.loads((ROOT / "sdk" / "schema.json").read_text())


def test_a_users_own_pulumi_install_gets_the_plugin_in_one_step(
    engine: Engine, tmp_path: Path
) -> None:
    """`scripts/pulumi-engine install-plugin` into an empty PULUMI_HOME; then `package add`."""
    env = {k: v for k, v in _environ(engine).items() if k != "VMCP_COMPONENTS_ROOT"}
    env["PULUMI_HOME"] = str(tmp_path / "home")
    subprocess.run([str(ENGINE), "install-plugin"], check=True, env=env, capture_output=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: mine\nruntime: yaml\n")
    for command in (
        ["package", "add", str(ROOT / "bin" / "pulumi-resource-vmcp")],
        ["package", "get-schema", "vmcp"],
    ):
        done = subprocess.run(
            [str(engine.root / "bin" / "pulumi"), *command],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            cwd=project,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    added = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert added["packages"] == {"vmcp": f"vmcp@{provider_version()}"}
    assert json.loads(done.stdout)["resources"].keys() == {"vmcp:index:VirtualMCPServer"}


def test_the_committed_sdks_are_what_the_generator_makes(engine: Engine, tmp_path: Path) -> None:
    sdkgen = subprocess.run([str(ENGINE), "sdkgen"], capture_output=True, text=True, check=True)
    subprocess.run(
        [sdkgen.stdout.strip(), str(ROOT / "sdk" / "schema.json"), str(tmp_path)], check=True
    )
    for language in ("nodejs", "go"):
        made = sorted(p.relative_to(tmp_path / language) for p in (tmp_path / language).rglob("*"))
        committed = sorted(
            p.relative_to(ROOT / "sdk" / language) for p in (ROOT / "sdk" / language).rglob("*")
        )
        assert made == committed, f"sdk/{language}: run `make sdk`"
        files = [str(p) for p in made if (tmp_path / language / p).is_file()]
        _, mismatch, errors = filecmp.cmpfiles(
            tmp_path / language, ROOT / "sdk" / language, files, shallow=False
        )
        assert (mismatch, errors) == ([], []), f"sdk/{language}: run `make sdk`"

"""`watch` on the real engine and the real API server: a deployed stack follows its group.

The program is deployed once with `pulumi up` (real CLI, language host, kubernetes provider);
then `python -m vmcp_components watch` runs as a subprocess, so its signals are real, and the
tests change the namespace the way teams do: a new entry with a CA bundle, a relabelled unrelated
ConfigMap, a deleted entry, an API server restart, and finally SIGTERM in the middle of a run.
The tests run in file order on one stack and one watch process. `VMCP_WATCH_CHANGES` (default 3)
sets how many consecutive changes the latency test times (the note reports 10);
`VMCP_WATCH_ROLLOUT_SECONDS` (default 30) bounds each change's rollout.
"""

# lightkube's models declare every field Optional; a missing one here is a test failure anyway.
# pyright: reportOptionalMemberAccess=false, reportOptionalSubscript=false, reportOptionalIterable=false

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Namespace
from pulumi import automation as auto

from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, RESOURCES, example_objects, seed, wait_for
from tests.engine.conftest import cluster_config
from tests.engine.harness import EngineProject
from tests.engine.watch_process import WatchProcess
from vmcp_components.watch.schedule import DEFAULT_DEBOUNCE

pytestmark = pytest.mark.engine

NAME = "eng-tools"
STACK = "watch"
NS = "engine-watch"
CHECKSUM = "toolhive.stacklok.dev/content-checksum"
"""On the config ConfigMap; the pod template carries the same value as TEMPLATE_CHECKSUM."""
TEMPLATE_CHECKSUM = "toolhive.stacklok.dev/runconfig-checksum"
SECRET_VALUES = ("s3cr3t-bearer-watch-51f0", "s3cr3t-client-watch-7c2e")
ROLLOUT_SECONDS = float(os.environ.get("VMCP_WATCH_ROLLOUT_SECONDS", "30"))
"""The issue's bound from a change to its rollout; a loaded machine may need more."""


@pytest.fixture(scope="module")
def kube(cluster: Cluster) -> Client:
    api = cluster.client(namespace=NS, field_manager="vmcp-watch-tests")
    api.create(Namespace(metadata={"name": NS}))  # type: ignore[arg-type]
    objects = example_objects(NS)
    for obj, value in zip(
        (o for o in objects if o["kind"] == "Secret"), SECRET_VALUES, strict=True
    ):
        (key,) = obj["data"]
        obj["data"] = {key: base64.b64encode(value.encode()).decode()}
    seed(api, objects)
    return api


@pytest.fixture(scope="module")
def stack(program: EngineProject, cluster: Cluster, kube: Client) -> auto.Stack:
    program.state_dir.mkdir(exist_ok=True)
    stack = program.stack(
        STACK, {"namespace": NS, "group": GROUP, "name": NAME, **cluster_config(cluster)}
    )
    program.run("up", stack)
    return stack


@pytest.fixture(scope="module")
def watch(program: EngineProject, stack: auto.Stack) -> Iterator[WatchProcess]:
    process = WatchProcess(program, STACK, debounce=DEFAULT_DEBOUNCE)
    try:
        process.wait_logged("ready", timeout=120)
        yield process
    finally:
        if process.process.poll() is None:
            process.process.send_signal(signal.SIGTERM)  # finishes or cancels its run
            try:
                process.process.wait(120)
            except subprocess.TimeoutExpired:
                process.process.kill()
                process.process.wait()
        log = program.path / "watch.log"
        log.write_text("".join(process.raw))
        print(f"\nwatch log: {log}")


# ─── helpers ───


def _config_backends(kube: Client) -> list[str]:
    config = kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS)
    return [b["name"] for b in yaml.safe_load(config.data["config.yaml"])["backends"]]


def _rolled_out(kube: Client) -> bool:
    """The pod template carries the live config's checksum and every replica runs it."""
    config = kube.get(ConfigMap, f"{NAME}-vmcp-config", namespace=NS)
    deployment = kube.get(Deployment, NAME, namespace=NS)
    status, wanted = deployment.status, deployment.spec.replicas or 1
    return (
        deployment.spec.template.metadata.annotations.get(TEMPLATE_CHECKSUM)
        == config.metadata.annotations[CHECKSUM]
        and (status.observedGeneration or 0) >= (deployment.metadata.generation or 0)
        and (status.updatedReplicas or 0) == wanted
        and (status.readyReplicas or 0) == wanted
        and (status.replicas or 0) == wanted
    )


def _ca_entry(name: str, ca_name: str | None = None) -> list[dict[str, Any]]:
    """An entry, with its own CA ConfigMap when `ca_name` is given."""
    example = example_objects(NS)
    entry = copy.deepcopy(next(o for o in example if o["metadata"]["name"] == "internal-mcp"))
    entry["metadata"] = {"name": name, "namespace": NS}
    entry["spec"]["remoteUrl"] = f"https://{name}.partner.example.com/mcp"
    entry.pop("status", None)
    if ca_name is None:
        del entry["spec"]["caBundleRef"]
        return [entry]
    ca = next(o for o in example if o["kind"] == "ConfigMap")
    ca["metadata"] = {"name": ca_name, "namespace": NS}
    entry["spec"]["caBundleRef"]["configMapRef"]["name"] = ca_name
    return [ca, entry]


def _timed(kube: Client, change: Callable[[], None], done: Callable[[], bool], what: str) -> float:
    """Seconds from `change` to `done` (polled every 0.25 s), bounded by ROLLOUT_SECONDS."""
    start = time.monotonic()
    change()
    wait_for(done, what, timeout=ROLLOUT_SECONDS)
    return time.monotonic() - start


# ─── the tests, in order ───


def test_starts_in_sync_and_ready_without_an_engine_run(watch: WatchProcess):
    (decision,) = watch.logged("decision")
    assert decision["action"] == "none"
    assert "in sync" in decision["reason"]
    address = watch.logged("readiness")[0]["address"]
    with urllib.request.urlopen(address, timeout=5) as response:  # noqa: S310 - loopback
        body = json.loads(response.read())
    assert body["ready"] is True
    assert set(body["watches"].values()) == {"watching"}
    assert watch.logged("run") == []


def test_a_new_ca_entry_reaches_the_config_and_rolls_out_within_30s(
    watch: WatchProcess, kube: Client
):
    elapsed = _timed(
        kube,
        lambda: seed(kube, _ca_entry("partner-mcp", "partner-ca")),
        lambda: "partner-mcp" in _config_backends(kube) and _rolled_out(kube),
        "the new entry in config.yaml and the new pod template rolled out",
    )
    template = kube.get(Deployment, NAME, namespace=NS).spec.template
    assert any(v.configMap and v.configMap.name == "partner-ca" for v in template.spec.volumes)
    run = watch.wait_logged("run")  # the rollout may be seen before the engine has finished
    assert len(watch.logged("run")) == 1
    assert run["outcome"] == "succeeded"
    assert run["changes"].get("update") == 2  # the ConfigMap and the Deployment
    print(f"\nnew CA entry -> rolled out: {elapsed:.1f} s (run {run['durationSeconds']} s)")


def test_an_unrelated_config_map_label_runs_nothing(watch: WatchProcess, kube: Client):
    runs, decisions = len(watch.logged("run")), len(watch.logged("decision"))
    dashboard = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "team-dashboard", "namespace": NS},
        "data": {"theme": "dark"},
    }
    seed(kube, [dashboard])
    dashboard["metadata"]["labels"] = {"team": "platform"}
    seed(kube, [dashboard])
    watch.wait_logged("event", name="team-dashboard", type="MODIFIED")
    time.sleep(5)  # well past the 2 s debounce
    assert [e["relevant"] for e in watch.logged("event", name="team-dashboard")] == [False, False]
    assert len(watch.logged("decision")) == decisions
    assert len(watch.logged("run")) == runs


def test_event_to_rollout_latency(watch: WatchProcess, kube: Client, program: EngineProject):
    count = int(os.environ.get("VMCP_WATCH_CHANGES", "3"))
    latencies = []
    for index in range(count):
        name = f"latency-{index}"
        runs = len(watch.logged("run"))
        latencies.append(
            _timed(
                kube,
                lambda n=name: seed(kube, _ca_entry(n)),
                lambda n=name: n in _config_backends(kube) and _rolled_out(kube),
                f"{name} in config.yaml and rolled out",
            )
        )
        watch.wait_logged("run", after=runs)
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    figures = {
        "changes": count,
        "median": round(statistics.median(latencies), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
        "seconds": [round(x, 2) for x in latencies],
        "runSeconds": [r["durationSeconds"] for r in watch.logged("run")[-count:]],
    }
    (program.path / "watch-latency.json").write_text(json.dumps(figures))
    print(f"\nevent -> rollout latency: {json.dumps(figures)}")


def test_deleting_an_entry_removes_its_backend(watch: WatchProcess, kube: Client):
    kube.delete(RESOURCES["MCPServerEntry"], "partner-mcp", namespace=NS)
    wait_for(
        lambda: "partner-mcp" not in _config_backends(kube) and _rolled_out(kube),
        "partner-mcp gone from config.yaml and the pods rolled",
        timeout=ROLLOUT_SECONDS,
    )


def _restart_api_server(cluster: Cluster, down_seconds: float) -> None:
    """Stop kube-apiserver (etcd keeps the data) and start it again with the same command line."""
    pids = cluster.workdir / "pids"
    lines = pids.read_text().splitlines()
    (pid,) = [int(line.split()[1]) for line in lines if line.split()[0] == "kube-apiserver"]
    command = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    gone = lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid)  # noqa: E731
    os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(AssertionError):  # it drains for up to a minute: not needed here
        wait_for(gone, "kube-apiserver to stop", timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for(gone, "kube-apiserver to be killed", timeout=30)
    time.sleep(down_seconds)
    with (cluster.workdir / "kube-apiserver.log").open("ab") as log:
        restarted = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    pids.write_text(
        "".join(
            f"kube-apiserver {restarted.pid}\n"
            if line.startswith("kube-apiserver ")
            else line + "\n"
            for line in lines
        )
    )


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _answers(kube: Client) -> bool:
    """The API server serves the ToolHive kinds again (it answers 503 until their paths are)."""
    try:
        list(kube.list(RESOURCES["MCPServerEntry"], namespace=NS))
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


def test_the_watch_resumes_after_an_api_server_restart_and_catches_up(
    watch: WatchProcess, kube: Client, cluster: Cluster
):
    reconnects = len(watch.logged("watch", state="reconnecting"))
    _restart_api_server(cluster, down_seconds=3)
    wait_for(lambda: _answers(kube), "kube-apiserver to answer again", timeout=120)
    seed(kube, _ca_entry("after-restart"))
    wait_for(
        lambda: "after-restart" in _config_backends(kube),
        "the entry created after the restart in config.yaml",
        timeout=90,
    )
    wait_for(lambda: _rolled_out(kube), "the pods to roll after the restart", timeout=120)
    assert len(watch.logged("watch", state="reconnecting")) > reconnects
    event = watch.logged("event", name="after-restart")[0]
    assert event["relevant"] is True
    resumed = watch.logged("watch", kind="MCPServerEntry", state="relist") or "from its version"
    print(f"\nafter the restart the MCPServerEntry watch resumed {resumed}")


def test_sigterm_during_a_run_exits_cleanly_and_leaves_the_stack_unlocked(
    watch: WatchProcess, kube: Client, program: EngineProject, stack: auto.Stack
):
    runs = len(watch.logged("decision", action="run"))
    seed(kube, _ca_entry("last-minute"))
    watch.wait_logged("decision", after=runs, timeout=60, action="run")
    time.sleep(1)
    assert watch.stop() == 0
    stopped = watch.logged("stopped")
    assert [line["reason"] for line in stopped] == ["SIGTERM"]
    locks = program.state_dir / ".pulumi" / "locks"
    assert [p for p in locks.rglob("*") if p.is_file()] == [] if locks.exists() else True
    program.run("up", stack)  # a locked stack would refuse this
    assert "last-minute" in _config_backends(kube)
    output = "".join(watch.raw)
    for value in SECRET_VALUES:
        assert value not in output
        assert base64.b64encode(value.encode()).decode() not in output

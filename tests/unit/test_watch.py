"""The watcher's pure logic: debounce, coalescing, backoff, relevance, and the decision
"rendered output unchanged -> no engine run", with a stand-in engine (no cluster, no CLI), on
the watcher's event loop."""

from __future__ import annotations

import asyncio
import copy
import io
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import factories
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.stack_files import StackConfigError, StackSettings
from vmcp_components.errors import VmcpError
from vmcp_components.watch.cache import Cache, slim
from vmcp_components.watch.command import load_settings
from vmcp_components.watch.decision import Fingerprint, decide, fingerprint, status_matches
from vmcp_components.watch.log import JsonLog
from vmcp_components.watch.runner import RunResult, tail
from vmcp_components.watch.schedule import Scheduler
from vmcp_components.watch.watcher import Watcher

SECRET_VALUE = "c2VjcmV0LXZhbHVlLXdhdGNoLTQy"


def _example_objects() -> list[dict[str, Any]]:
    items = yaml.safe_load(factories.EXAMPLE_SNAPSHOT.read_text())["items"]
    for index, item in enumerate(items):
        item["metadata"].setdefault("namespace", factories.NAMESPACE)
        item["metadata"]["resourceVersion"] = str(100 + index)
        if item["kind"] == "Secret":
            item["data"] = dict.fromkeys(item.get("data") or {}, SECRET_VALUE)
    return items


def _target(**args: Any) -> StackSettings:
    settings = VirtualMCPServerArgs(
        namespace=factories.NAMESPACE, group=factories.GROUP, name="eng-tools", **args
    )
    return StackSettings("eng-tools", settings, None, None)


def _filled_cache(target: StackSettings | None = None) -> Cache:
    cache = Cache((target or _target()).args)
    for kind in {o["kind"] for o in _example_objects()}:
        cache.replace(kind, [o for o in _example_objects() if o["kind"] == kind])
    return cache


def _unrelated_config_map(labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "team-dashboard",
            "namespace": factories.NAMESPACE,
            "resourceVersion": "900",
            "labels": labels or {},
        },
        "data": {"theme": "dark"},
    }


# ─── Scheduler: debounce, coalescing, backoff ───


def test_a_burst_is_reconciled_debounce_seconds_after_its_last_event():
    scheduler = Scheduler(debounce=2.0)
    assert scheduler.wait(0.0) is None
    scheduler.trigger(10.0)
    assert scheduler.wait(10.0) == 2.0
    scheduler.trigger(11.5)
    scheduler.trigger(11.9)
    assert scheduler.wait(12.0) == pytest.approx(1.9)
    assert scheduler.wait(13.9) == 0.0
    assert scheduler.begin() == (3, 10.0)
    assert scheduler.wait(14.0) is None


def test_a_never_ending_burst_is_reconciled_at_most_five_debounces_after_its_first_event():
    scheduler = Scheduler(debounce=2.0)
    due = None
    for tick in range(30):
        scheduler.trigger(tick * 1.0)
        if scheduler.wait(tick * 1.0) == 0.0:
            due = tick
            break
    assert due == 10


def test_triggers_during_a_run_coalesce_into_one_follow_up():
    scheduler = Scheduler(debounce=1.0)
    scheduler.trigger(0.0)
    scheduler.begin()
    scheduler.run_started()
    for t in (2.0, 3.0, 4.0):
        scheduler.trigger(t)
        assert scheduler.wait(t) is None  # one run at a time
    assert scheduler.run_finished(20.0, ok=True) == 0.0
    assert scheduler.wait(20.0) == 0.0  # quiet for longer than the debounce already
    assert scheduler.begin() == (3, 2.0)
    assert scheduler.wait(20.0) is None


def test_failures_back_off_exponentially_and_retry_without_a_new_event():
    scheduler = Scheduler(debounce=1.0, backoff_base=2.0, backoff_max=10.0)
    delays = []
    now = 0.0
    for _ in range(5):
        if not scheduler.pending:
            scheduler.trigger(now)
        now += scheduler.wait(now) or 0.0
        scheduler.begin()
        scheduler.run_started()
        delays.append(scheduler.run_finished(now, ok=False))
        assert scheduler.pending  # the retry is pending by itself
        assert scheduler.wait(now) == pytest.approx(delays[-1])
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0]
    scheduler.begin()
    scheduler.run_started()
    assert scheduler.run_finished(now, ok=True) == 0.0
    assert scheduler.failures == 0
    assert not scheduler.pending


def test_an_event_during_backoff_does_not_shorten_it():
    scheduler = Scheduler(debounce=1.0, backoff_base=8.0)
    scheduler.trigger(0.0)
    scheduler.begin()
    scheduler.run_started()
    scheduler.run_finished(1.0, ok=False)
    scheduler.trigger(2.0)
    assert scheduler.wait(2.0) == pytest.approx(7.0)


# ─── the decision ───


def test_the_decision_runs_only_when_the_rendering_differs():
    cache = _filled_cache()
    rendered = fingerprint(render(cache.inventory(), "eng-tools", cache_args(cache)))
    assert decide(rendered, copy.deepcopy(rendered)).action == "none"
    first = decide(None, rendered)
    assert first.action == "run"
    assert "ConfigMap/eng-tools-vmcp-config" in first.changed
    failed = decide(rendered, VmcpError("strict mode: 1 member(s) would be skipped"))
    assert failed.action == "refused"
    assert "left as it is" in failed.reason


def cache_args(cache: Cache) -> VirtualMCPServerArgs:
    return cache.args


def test_a_new_ca_entry_changes_the_config_the_deployment_and_the_status():
    cache = _filled_cache()
    before = fingerprint(render(cache.inventory(), "eng-tools", cache_args(cache)))
    entry = factories.entry(
        "new-internal",
        url="https://new-internal.corp.example.com/mcp",
        ca=("corp-ca-bundle", "ca.crt"),
    )
    change = cache.apply("MCPServerEntry", "ADDED", entry)
    assert change.relevant
    after = fingerprint(render(cache.inventory(), "eng-tools", cache_args(cache)))
    decision = decide(before, after)
    assert decision.action == "run"
    assert set(decision.changed) == {
        "ConfigMap/eng-tools-vmcp-config",
        "Deployment/eng-tools",
        "status",
    }


def test_an_unrelated_config_map_is_not_relevant_and_changes_no_rendering():
    cache = _filled_cache()
    before = fingerprint(render(cache.inventory(), "eng-tools", cache_args(cache)))
    assert not cache.apply("ConfigMap", "ADDED", _unrelated_config_map()).relevant
    relabelled = _unrelated_config_map({"team": "platform"})
    relabelled["metadata"]["resourceVersion"] = "901"
    assert not cache.apply("ConfigMap", "MODIFIED", relabelled).relevant
    after = fingerprint(render(cache.inventory(), "eng-tools", cache_args(cache)))
    assert decide(before, after).action == "none"


def test_relevance_follows_what_the_component_reads():
    cache = _filled_cache()
    ca = next(o for o in _example_objects() if o["metadata"]["name"] == "corp-ca-bundle")
    assert cache.apply("ConfigMap", "MODIFIED", ca).relevant
    other_group = next(o for o in _example_objects() if o["metadata"]["name"] == "crm-tools")
    assert not cache.apply("MCPServerEntry", "MODIFIED", other_group).relevant
    assert not cache.apply("MCPGroup", "MODIFIED", _group("sales-team")).relevant
    assert cache.apply("MCPGroup", "MODIFIED", _group(factories.GROUP)).relevant
    # A referenced Secret's deletion matters (it was read before the event).
    secret = next(o for o in _example_objects() if o["metadata"]["name"] == "salesforce-oauth")
    assert cache.apply("Secret", "DELETED", secret).relevant
    # A ConfigMap that no member references yet becomes relevant once one does.
    assert not cache.apply("ConfigMap", "ADDED", _unrelated_config_map()).relevant
    entry = factories.entry(
        "dash", url="https://dash.corp.example.com/mcp", ca=("team-dashboard", "ca.crt")
    )
    assert cache.apply("MCPServerEntry", "ADDED", entry).relevant
    relabelled = _unrelated_config_map({"team": "platform"})
    assert cache.apply("ConfigMap", "MODIFIED", relabelled).relevant


def _group(name: str) -> dict[str, Any]:
    group = factories.group(name)
    group["metadata"]["resourceVersion"] = "777"
    return group


def test_secrets_are_held_as_key_names_only():
    cache = _filled_cache()
    secret = next(o for o in _example_objects() if o["kind"] == "Secret")
    secret["stringData"] = {"extra": "plain-text-value"}
    held = slim("Secret", secret)
    assert set(held["data"]) == set(secret["data"]) | {"extra"}
    assert SECRET_VALUE not in json.dumps(held)
    assert "plain-text-value" not in json.dumps(held)
    cache.apply("Secret", "MODIFIED", secret)
    assert SECRET_VALUE not in repr(cache.inventory())


def test_a_relist_reports_what_changed_while_disconnected():
    cache = _filled_cache()
    entries = [o for o in _example_objects() if o["kind"] == "MCPServerEntry"]
    kept = [e for e in entries if e["metadata"]["name"] != "context7"]
    kept[0]["metadata"]["resourceVersion"] = "555"
    changes = {(c.name, c.type, c.relevant) for c in cache.replace("MCPServerEntry", kept)}
    assert changes == {
        ("context7", "DELETED", True),
        (kept[0]["metadata"]["name"], "MODIFIED", True),
    }


def test_status_matches_the_stack_outputs_it_was_exported_to():
    status = {"backendCount": 2, "configChecksum": "abc"}
    assert status_matches(status, {**status, "configMapName": "x"})
    assert not status_matches(status, {"backendCount": 2, "configChecksum": "abd"})
    assert not status_matches(status, {})


# ─── stack files: the one loader, with the CLI's config as the hook ───


def _project(tmp_path: Path, config: dict[str, Any], top: str = "config") -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: vmcp-components\nstackConfigDir: stacks\n"
        "config:\n  image: {type: string, default: example.org/vmcp:v1}\n"
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({top: config}))
    return tmp_path


def _no_cli() -> dict[str, str]:
    raise AssertionError("the CLI is asked only for what the stack file cannot say")


def test_the_stack_file_gives_the_arguments_and_the_cluster(tmp_path: Path):
    cwd = _project(
        tmp_path,
        {
            "vmcp-components:namespace": "tools",
            "vmcp-components:group": "eng",
            "vmcp-components:name": "eng-tools",
            "vmcp-components:replicas": 2,
            "vmcp-components:kubeconfig": "kube/config",
            "vmcp-components:context": "prod",
            "vmcp-components:aggregation": {
                "conflictResolution": "prefix",
                "conflictResolutionConfig": {"prefixFormat": "{workload}_"},
            },
            "kubernetes:namespace": "ignored",
        },
    )
    target = load_settings("dev", cwd, _no_cli)
    assert (target.name, target.args.namespace, target.args.replicas) == ("eng-tools", "tools", 2)
    assert target.args.image == "example.org/vmcp:v1"  # the project's default, as the CLI gives
    assert target.kubeconfig == str(cwd / "kube/config")
    assert target.context == "prod"
    assert load_settings(str(cwd / "stacks" / "Pulumi.dev.yaml"), cwd, _no_cli) == target


def test_a_secret_or_an_environment_is_resolved_by_the_cli(tmp_path: Path):
    base = {
        "vmcp-components:namespace": "tools",
        "vmcp-components:group": "eng",
        "vmcp-components:name": "eng-tools",
    }
    cwd = _project(tmp_path, {**base, "vmcp-components:kubeconfig": {"secure": "v1:abc"}})
    asked: list[str] = []

    def cli() -> dict[str, str]:
        asked.append("config")
        return {**base, "vmcp-components:kubeconfig": "apiVersion: v1\n"}

    target = load_settings("dev", cwd, cli)
    assert asked == ["config"]
    assert target.kubeconfig == "apiVersion: v1\n"


@pytest.mark.parametrize(
    ("config", "top", "message"),
    [
        (
            {"vmcp-components:namespace": "tools", "vmcp-components:group": "g"},
            "config",
            "name' is required",
        ),
        (
            {"vmcp-components:nmespace": "tools"},
            "config",
            "unknown stack config key 'vmcp-components:nmespace'; did you mean "
            "'vmcp-components:namespace'?",
        ),
        (
            {"vmcp-component:replicas": 2},
            "config",
            "did you mean 'vmcp-components:replicas'?",
        ),
        (
            {
                "vmcp-components:namespace": "tools",
                "vmcp-components:group": "g",
                "vmcp-components:name": "n",
                "vmcp-components:replicas": "many",
            },
            "config",
            "replicas",
        ),
        ({"vmcp-components:namespace": "tools"}, "confg", "did you mean 'config'?"),
    ],
)
def test_a_bad_stack_file_names_the_key(
    tmp_path: Path, config: dict[str, Any], top: str, message: str
):
    with pytest.raises(StackConfigError, match=message.replace("?", r"\?")):
        load_settings("dev", _project(tmp_path, config, top), _no_cli)


# ─── the reconciler with a stand-in engine ───


class FakeRunner:
    def __init__(self, outputs: dict[str, Any], ok: bool = True) -> None:
        self._outputs = outputs
        self.ok = ok
        self.ups = 0

    def outputs(self) -> dict[str, Any]:
        return self._outputs

    def up(self) -> RunResult:
        self.ups += 1
        return RunResult(self.ok, {"update": 2}, self._outputs, "" if self.ok else "boom")

    def interrupt(self) -> list[int]:
        return []


def _watcher(runner: FakeRunner, stream: io.StringIO) -> Watcher:
    watcher = Watcher(_target(), runner, debounce=0.0, log=JsonLog(stream))  # type: ignore[arg-type]
    for kind in {o["kind"] for o in _example_objects()}:
        watcher.cache.replace(kind, [o for o in _example_objects() if o["kind"] == kind])
    return watcher


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """On a loop of its own, leaving the thread's current loop alone (Pulumi's tests use it)."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coroutine)
    finally:
        loop.close()


def _reconcile(watcher: Watcher) -> None:
    async def reconcile() -> None:
        watcher.reconcile()
        await watcher.wait_for_run()

    _run(reconcile())


def _lines(stream: io.StringIO, log: str) -> list[dict[str, Any]]:
    return [line for line in map(json.loads, stream.getvalue().splitlines()) if line["log"] == log]


def test_in_sync_at_start_then_only_a_changed_rendering_runs_the_engine():
    cache = _filled_cache()
    status = render(cache.inventory(), "eng-tools", cache_args(cache)).status
    runner, stream = FakeRunner(dict(status)), io.StringIO()
    watcher = _watcher(runner, stream)
    _run(watcher.startup())
    assert isinstance(watcher.baseline, Fingerprint)
    assert not watcher.scheduler.pending

    watcher.record(watcher.cache.apply("ConfigMap", "ADDED", _unrelated_config_map()), "watch")
    assert not watcher.scheduler.pending  # not read by the component: not even a rendering
    group = _group(factories.GROUP)
    watcher.record(watcher.cache.apply("MCPGroup", "MODIFIED", group), "watch")
    _reconcile(watcher)
    assert runner.ups == 0
    assert _lines(stream, "decision")[-1]["action"] == "none"

    entry = factories.entry("new-one", url="https://new-one.example.com/mcp")
    watcher.record(watcher.cache.apply("MCPServerEntry", "ADDED", entry), "watch")
    _reconcile(watcher)
    assert runner.ups == 1
    (run,) = _lines(stream, "run")
    assert run["outcome"] == "succeeded"
    assert run["durationSeconds"] >= 0
    events = _lines(stream, "event")
    assert [(e["kind"], e["relevant"]) for e in events] == [
        ("ConfigMap", False),
        ("MCPGroup", True),
        ("MCPServerEntry", True),
    ]


def test_a_failed_run_is_retried_and_a_refused_rendering_runs_nothing():
    runner, stream = FakeRunner({}, ok=False), io.StringIO()
    watcher = _watcher(runner, stream)
    _run(watcher.startup())
    assert watcher.baseline is None
    _reconcile(watcher)
    assert runner.ups == 1
    assert watcher.scheduler.pending
    assert _lines(stream, "run")[-1]["retryIn"] == 2.0

    strict = Watcher(_target(strict=True), runner, log=JsonLog(stream))  # type: ignore[arg-type]
    for kind in {o["kind"] for o in _example_objects()}:
        strict.cache.replace(kind, [o for o in _example_objects() if o["kind"] == kind])
    strict.scheduler.trigger(0.0)
    _reconcile(strict)
    assert runner.ups == 1
    assert _lines(stream, "decision")[-1]["action"] == "refused"
    assert "strict mode" in _lines(stream, "decision")[-1]["reason"]


def test_the_cli_hands_watch_to_the_watcher_and_a_bad_project_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from vmcp_components import cli

    assert cli.main(["watch", "--stack", "dev", "--cwd", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().out.splitlines()
    error = json.loads(line)
    assert error["log"] == "error"
    assert "no Pulumi.yaml found" in error["error"]


def test_a_failed_run_logs_the_engine_error_lines_not_its_whole_output():
    output = "\n".join(
        [" code: 255", " stdout: up", "    error: update failed", " stderr:", "error: boom"]
    )
    assert tail(RuntimeError(output)) == "error: update failed | error: boom"
    assert tail(RuntimeError("x" * 2000), limit=10) == "..." + "x" * 10

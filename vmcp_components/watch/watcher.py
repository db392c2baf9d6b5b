"""The Watcher: watches in, engine runs out, on one asyncio event loop.

Everything happens on one loop, so nothing is shared between threads and nothing needs a lock:
the watches (`streams.follow`, one task per kind) report each event to the cache, whose Change
says whether the component reads the object; a relevant change triggers the `Scheduler`; the
reconcile loop renders the cached objects with `render` (the code the component runs), and when
the `decide`d fingerprint differs from the baseline starts `pulumi up`. The run itself blocks in
the automation API, so it alone goes to a worker thread (`asyncio.to_thread`), which touches
nothing but the runner: its result is taken back on the loop. The probes (`/readyz`,
`/healthz`) are served from the same loop.

Baseline: the first rendering after start, if the stack's outputs (the status the last `up`
recorded, config checksum included) hold its status; if not, one run brings the stack up to
date. After each successful run, the rendering that triggered it becomes the baseline.

Stopping (`request_stop`, from SIGTERM/SIGINT): no new run starts; a run in progress gets
`grace` seconds, then the Pulumi CLI is interrupted the way Ctrl-C does (it cancels the update
and releases the stack's lock); `run()` then returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vmcp_components.core.render import render
from vmcp_components.core.settings.stack_files import StackSettings
from vmcp_components.errors import VmcpError
from vmcp_components.watch import probes, streams
from vmcp_components.watch.cache import WATCHED_KINDS, Cache, Change
from vmcp_components.watch.command import DEFAULT_GRACE, DEFAULT_READY_PORT
from vmcp_components.watch.decision import Fingerprint, decide, fingerprint, status_matches
from vmcp_components.watch.log import JsonLog
from vmcp_components.watch.runner import Runner, RunResult, WatchError, tail
from vmcp_components.watch.schedule import DEFAULT_DEBOUNCE, Scheduler

if TYPE_CHECKING:
    from lightkube.config.kubeconfig import SingleConfig


class Watcher:
    """The reconciler: watches in, engine runs out. `run()` returns the exit code."""

    def __init__(
        self,
        settings: StackSettings,
        runner: Runner,
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        grace: float = DEFAULT_GRACE,
        backoff_max: float = 300.0,
        ready_address: str = "127.0.0.1",
        ready_port: int = DEFAULT_READY_PORT,
        log: JsonLog | None = None,
        kube: SingleConfig | None = None,
    ) -> None:
        """`kube`: the cluster to watch (None: only `reconcile` and friends work, for tests)."""
        self.settings = settings
        self.runner = runner
        self._kube = kube
        self.log = log or JsonLog()
        self.cache = Cache(settings.args)
        self.scheduler = Scheduler(debounce=debounce, backoff_max=backoff_max)
        self.grace = grace
        self.baseline: Fingerprint | None = None
        self.stop_reason: str | None = None
        self._ready_at = (ready_address, ready_port)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._all_listed = asyncio.Event()
        self._synced: dict[str, bool] = dict.fromkeys(WATCHED_KINDS, False)
        self._watching: dict[str, bool] = dict.fromkeys(WATCHED_KINDS, False)
        self._started = False
        self._run: asyncio.Task[None] | None = None
        self._interrupted = False
        self.last_run: dict[str, Any] = {}

    # readiness

    @property
    def ready(self) -> bool:
        """Every watch listed once, the baseline checked, and no stop requested."""
        return self._started and all(self._synced.values()) and not self._stopping.is_set()

    def health(self) -> dict[str, Any]:
        """The state `/readyz` and `/healthz` report."""
        return {
            "ready": self.ready,
            "watches": {k: "watching" if v else "reconnecting" for k, v in self._watching.items()},
            "running": self.scheduler.running,
            "pending": self.scheduler.pending,
            "failures": self.scheduler.failures,
            "baseline": self.baseline.digest if self.baseline else None,
            "lastRun": self.last_run,
        }

    # what the watches report (streams.Sink)

    def listed(self, kind: str, objects: list[dict[str, Any]], version: str) -> None:
        """A fresh list: after the first one, its differences are changes like events."""
        changes = self.cache.replace(kind, objects)
        first = not self._synced[kind]
        self._synced[kind] = True
        self.log("watch", kind=kind, state="listed", objects=len(objects), version=version)
        if all(self._synced.values()):
            self._all_listed.set()
        if not first:
            for change in changes:
                self.record(change, "relist")

    def changed(self, kind: str, event: str, obj: dict[str, Any]) -> None:
        """One watch event."""
        self.record(self.cache.apply(kind, event, obj), "watch")

    def connection(self, kind: str, state: str, **fields: Any) -> None:
        """A watch's connection state; only the changes of state are logged."""
        self._watching[kind] = state == "watching"
        if state != "watching":
            self.log("watch", kind=kind, state=state, **fields)

    def record(self, change: Change, source: str) -> None:
        """Log one change (`source`: watch or relist); a relevant one triggers a reconcile."""
        self.log(
            "event",
            kind=change.kind,
            name=change.name,
            type=change.type,
            version=change.resource_version,
            source=source,
            relevant=change.relevant,
        )
        if change.relevant:
            self._trigger()

    def _trigger(self) -> None:
        self.scheduler.trigger(time.monotonic())
        self._wake.set()

    # reconcile

    def _render(self) -> Fingerprint | VmcpError:
        try:
            return fingerprint(
                render(self.cache.inventory(), self.settings.name, self.settings.args)
            )
        except VmcpError as error:
            return error

    async def startup(self) -> None:
        """Baseline: the first rendering, if the stack's outputs already hold its status."""
        rendered = self._render()
        outputs: Mapping[str, Any] = {}
        try:
            outputs = await asyncio.to_thread(self.runner.outputs)
        except Exception as error:  # noqa: BLE001 - no outputs known: reconcile once
            self.log("decision", action="check", reason=f"no stack outputs: {tail(error, 300)}")
        if isinstance(rendered, Fingerprint) and status_matches(rendered.status, outputs):
            self.baseline = rendered
            self.log("decision", action="none", reason="in sync with the stack's outputs")
        else:
            self._trigger()
            self.log("decision", action="check", reason="the stack's outputs differ; reconciling")

    def reconcile(self) -> None:
        """Render, decide, and start an engine run when the rendering changed."""
        covered, first = self.scheduler.begin()
        rendered = self._render()
        decision = decide(self.baseline, rendered)
        fields: dict[str, Any] = {"triggers": covered}
        if decision.changed:
            fields["changed"] = list(decision.changed)
        if isinstance(rendered, Fingerprint):
            fields["rendering"] = rendered.digest[:16]
        self.log("decision", action=decision.action, reason=decision.reason, **fields)
        if decision.action != "run" or not isinstance(rendered, Fingerprint):
            return
        self.scheduler.run_started()
        self._run = asyncio.get_running_loop().create_task(
            self._engine_run(rendered, first, covered), name="engine"
        )

    async def _engine_run(self, rendered: Fingerprint, first: float | None, covered: int) -> None:
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(self.runner.up)
        except Exception as error:  # noqa: BLE001 - the runner must never kill the loop
            result = RunResult(False, error=tail(error))
        now = time.monotonic()
        if result.ok:
            self.baseline = rendered
            if not status_matches(rendered.status, result.outputs):
                self.scheduler.trigger(now)  # the engine saw a newer cluster: once more
        cancelled = self._interrupted and not result.ok
        retry = self.scheduler.run_finished(now, result.ok)
        self.last_run = {
            "outcome": "succeeded" if result.ok else "cancelled" if cancelled else "failed",
            "durationSeconds": round(now - started, 3),
        }
        fields: dict[str, Any] = {
            **self.last_run,
            "triggers": covered,
            "changes": dict(result.changes),
        }
        if first is not None:
            fields["sinceFirstEventSeconds"] = round(now - first, 3)
        if not result.ok:
            fields.update(error=result.error, failures=self.scheduler.failures, retryIn=retry)
        self.log("run", **fields)
        self._wake.set()

    async def wait_for_run(self) -> None:
        """Wait for the engine run in progress, if any."""
        if self._run is not None:
            await self._run

    # the loop

    def request_stop(self, reason: str) -> None:
        """Stop the watcher (the first `reason` is the one logged)."""
        self.stop_reason = self.stop_reason or reason
        self._stopping.set()
        self._wake.set()

    async def _until(self, event: asyncio.Event, timeout: float | None = None) -> None:
        """Wait for `event`, a stop request or `timeout`, whichever comes first."""
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stopping.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def run(self) -> int:
        """Watch and reconcile until a stop is requested; the exit code."""
        if self._kube is None:
            raise WatchError("no cluster to watch")
        from lightkube import AsyncClient  # noqa: PLC0415 - the client only where it runs

        host, port = self._ready_at
        server = await probes.serve(host, port, lambda: self.ready, self.health)
        bound = server.sockets[0].getsockname()
        self.log("readiness", address=f"http://{bound[0]}:{bound[1]}/readyz")
        client = AsyncClient(config=self._kube)
        namespace = self.settings.args.namespace
        watches = [
            asyncio.create_task(streams.follow(client, kind, namespace, self), name=kind)
            for kind in WATCHED_KINDS
        ]
        await self._until(self._all_listed)
        if not self._stopping.is_set():
            await self.startup()
            self._started = True
            self.log("ready", kinds=list(WATCHED_KINDS))
        while not self._stopping.is_set():
            wait = self.scheduler.wait(time.monotonic())
            if wait == 0:
                self.reconcile()
                continue
            self._wake.clear()
            await self._until(self._wake, min(wait if wait is not None else 1.0, 1.0))
        await self._finish()
        for watch in watches:
            watch.cancel()
        await asyncio.gather(*watches, return_exceptions=True)
        with contextlib.suppress(Exception):
            await client.close()
        server.close()
        return 0

    async def _finish(self) -> None:
        run = self._run
        if run is not None and not run.done():
            self.log("stopping", reason=self.stop_reason, waitingForRunSeconds=self.grace)
            await asyncio.wait([run], timeout=self.grace)
            if not run.done():
                self._interrupted = True
                interrupted = self.runner.interrupt()
                self.log("stopping", reason="grace period over", interrupted=interrupted)
                await run
        self.log("stopped", reason=self.stop_reason, lastRun=self.last_run)

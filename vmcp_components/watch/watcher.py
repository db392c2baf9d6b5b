"""`watch`: keep one stack in step with its group, the way the ToolHive operator's controller does.

The watcher holds, for the stack's namespace, lightkube watches on the MCPGroup, the three member
kinds, MCPExternalAuthConfig, ConfigMap and Secret (a Secret is kept as its key names only; its
values are dropped as the event arrives). Each watch lists once, then resumes from the last
resourceVersion it saw; `410 Gone` (too old a version) means a fresh list, diffed against what
was held, so deletions missed while disconnected are seen too.

An event matters when its object is one the component reads (the group, a member, an auth config,
a referenced CA ConfigMap or Secret) before or after the event: discovery's own read plan decides.
A burst of such events is debounced, then the objects held are rendered with `render`, the code
the component runs. When the rendered objects and status equal the baseline (the rendering last
applied), nothing runs. Otherwise `pulumi up` runs for the stack through `pulumi.automation`, one
run at a time: events during a run coalesce into one follow-up, and a failed run is retried with
exponential backoff. A rendering that fails (zero backends, a skip under `strict`) runs nothing,
so the cluster stays as it was, exactly as `pulumi up` would leave it.

Baseline: the first rendering after start, checked against the stack's outputs (the status the
last `up` recorded, config checksum included). When they differ (the cluster changed while no
watcher ran), one run brings the stack up to date. After each successful run the rendering that
triggered it becomes the baseline.

Threads: one running every watch as an asyncio task (daemon), one HTTP server for `/readyz` and
`/healthz` (daemon), one for the engine run in progress, and the main thread, which debounces,
renders, decides and handles SIGTERM/SIGINT: a run in progress gets `--grace` seconds to finish,
then the Pulumi CLI is interrupted the way Ctrl-C does (it cancels and releases the stack's
lock); then exit 0.
Logs are JSON lines on stdout, one per event, decision and run. No Secret value is ever held.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import http.server
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, cast

import yaml
from lightkube import ApiError, AsyncClient
from lightkube.config.kubeconfig import SingleConfig
from pydantic import ValidationError

from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import Inventory, build_inventory
from vmcp_components.core.cluster.kinds import CONFIG_MAP, CORE_KINDS, SECRET, TOOLHIVE_KINDS
from vmcp_components.core.cluster.models import describe_validation_error
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.errors import VmcpError
from vmcp_components.kube.kubeconfig import load_kube_config
from vmcp_components.kube.resources import RESOURCES

if TYPE_CHECKING:
    from pulumi import automation as auto

DEFAULT_DEBOUNCE = 2.0
DEFAULT_GRACE = 20.0
DEFAULT_READY_PORT = 8479
WATCH_TIMEOUT = 300
"""Seconds the API server keeps one watch request open (it then resumes from the version)."""
WATCHED_KINDS = tuple(kind.kind for kind in (*TOOLHIVE_KINDS, *CORE_KINDS))


class WatchError(VmcpError):
    """The watcher cannot start: a bad stack file, a missing stack, an unreachable engine."""


# ─── the stack's settings ───


@dataclass(frozen=True)
class StackTarget:
    """What the stack deploys, from its stack file, and the cluster it talks to."""

    stack: str
    cwd: Path
    project: str
    name: str
    args: VirtualMCPServerArgs
    kubeconfig: str | None
    context: str | None


def _project(cwd: Path) -> tuple[str, Path, dict[str, Any]]:
    """(project name, stack config dir, config defaults) from `Pulumi.yaml` in `cwd`."""
    path = cwd / "Pulumi.yaml"
    try:
        loaded: object = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise WatchError(f"cannot read the Pulumi project {path}: {error}") from None
    project = cast("dict[str, Any]", loaded) if isinstance(loaded, dict) else None
    if project is None or not isinstance(project.get("name"), str):
        raise WatchError(f"{path}: not a Pulumi project (no `name`)")
    schema: object = project.get("config")
    specs = cast("dict[str, Any]", schema) if isinstance(schema, dict) else {}
    defaults: dict[str, Any] = {
        key: cast("dict[str, Any]", spec)["default"]
        for key, spec in specs.items()
        if isinstance(spec, dict) and "default" in spec
    }
    name: str = project["name"]
    return name, cwd / str(project.get("stackConfigDir") or "."), defaults


def load_target(stack: str, cwd: Path, secret: Callable[[str], str] | None = None) -> StackTarget:
    """The stack's settings as the program reads them.

    Keys are the component's arguments in camelCase, plus kubeconfig/context; `secret(key)`
    decrypts a `secure:` kubeconfig.
    """
    project, config_dir, values = _project(cwd)
    path = config_dir / f"Pulumi.{stack}.yaml"
    try:
        document: object = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise WatchError(f"cannot read the stack file {path}: {error}") from None
    config: object = (
        cast("dict[str, Any]", document).get("config") if isinstance(document, dict) else None
    )
    prefix = f"{project}:"
    cluster: dict[str, str | None] = {"kubeconfig": None, "context": None}
    known = {(f.alias or k) for k, f in VirtualMCPServerArgs.model_fields.items()}
    entries = cast("dict[str, Any]", config or {})
    for full_key, value in sorted(entries.items()):
        key = str(full_key).removeprefix(prefix)
        if not str(full_key).startswith(prefix):
            continue
        if key not in known | set(cluster):
            raise WatchError(f"{path}: unknown stack config key {full_key!r}")
        if isinstance(value, dict) and set(cast("dict[str, Any]", value)) == {"secure"}:
            if key != "kubeconfig" or secret is None:
                raise WatchError(f"{path}: {full_key} is a secret; only kubeconfig may be one")
            cluster[key] = secret(full_key)
        elif key in cluster:
            cluster[key] = None if value is None else str(cast("object", value))
        else:
            values[key] = value
    try:
        args = VirtualMCPServerArgs.model_validate(values)
    except ValidationError as error:
        raise WatchError(f"{path}: {prefix}{describe_validation_error(error)}") from None
    if args.name is None:
        raise WatchError(f"{path}: stack config key '{prefix}name' is required")
    kubeconfig = cluster["kubeconfig"]
    if kubeconfig and "\n" not in kubeconfig and not Path(kubeconfig).expanduser().is_absolute():
        kubeconfig = str(cwd / kubeconfig)  # the program runs in the project directory
    return StackTarget(stack, cwd, project, args.name, args, kubeconfig, cluster["context"])


# ─── what the watch holds ───


def slim(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an object the rendering looks at.

    No managedFields, a ConfigMap's data, a Secret's key names only (its values are never kept).
    """
    raw_metadata = cast("Mapping[str, Any]", obj.get("metadata") or {})
    metadata = {k: v for k, v in raw_metadata.items() if k != "managedFields"}
    if kind == SECRET.kind:
        keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
        return {
            "apiVersion": "v1",
            "kind": SECRET.kind,
            "metadata": {k: metadata.get(k) for k in ("name", "namespace", "resourceVersion")},
            "data": dict.fromkeys(sorted(keys), ""),
        }
    if kind == CONFIG_MAP.kind:
        return {
            "apiVersion": "v1",
            "kind": CONFIG_MAP.kind,
            "metadata": metadata,
            "data": dict(obj.get("data") or {}),
        }
    return {**obj, "metadata": metadata}


@dataclass(frozen=True)
class Change:
    """One event on a watched object, and whether the component reads that object."""

    kind: str
    name: str
    type: Literal["ADDED", "MODIFIED", "DELETED"]
    resource_version: str | None
    relevant: bool


class Cache:
    """The namespace's objects of the watched kinds, and which of them the component reads."""

    def __init__(self, target: StackTarget) -> None:
        """An empty cache for `target`'s namespace."""
        self.target = target
        self._objects: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in WATCHED_KINDS}
        self._lock = threading.Lock()
        self._reads: frozenset[tuple[str, str]] = frozenset()

    def inventory(self) -> Inventory:
        """The objects held, as the inventory the rendering reads."""
        with self._lock:
            return self._inventory()

    def _inventory(self) -> Inventory:
        objects = [obj for kind in WATCHED_KINDS for obj in self._objects[kind].values()]
        return build_inventory(self.target.args.namespace, objects, "watched objects")

    def _plan_reads(self) -> frozenset[tuple[str, str]]:
        """(kind, name) of every object the component would read now."""
        args = self.target.args
        try:
            plan = InventoryDiscovery(self._inventory()).discover(
                args.namespace, args.group, args.entries, args.named_auth_configs()
            )
        except VmcpError:
            return frozenset({("*", "*")})  # unreadable objects: let the rendering say what
        return plan.object_names()

    def _relevant(self, before: frozenset[tuple[str, str]], kind: str, name: str) -> bool:
        self._reads = self._plan_reads()
        return any((kind, name) in reads or ("*", "*") in reads for reads in (before, self._reads))

    def apply(self, kind: str, event: str, obj: Mapping[str, Any]) -> Change:
        """Record one watch event; the Change says whether the component reads the object."""
        metadata = cast("Mapping[str, Any]", obj.get("metadata") or {})
        name: str = metadata.get("name", "")
        version: str | None = metadata.get("resourceVersion")
        with self._lock:
            before = self._reads
            if event == "DELETED":
                self._objects[kind].pop(name, None)
            else:
                self._objects[kind][name] = slim(kind, obj)
            relevant = self._relevant(before, kind, name)
        typ: Any = event if event in ("ADDED", "DELETED") else "MODIFIED"
        return Change(kind, name, typ, version, relevant)

    def replace(self, kind: str, objects: Iterable[Mapping[str, Any]]) -> list[Change]:
        """A fresh list of `kind`: the differences from what was held, as Changes."""
        listed = {o["metadata"]["name"]: slim(kind, o) for o in objects}
        with self._lock:
            held = self._objects[kind]
            before = self._reads
            self._objects[kind] = listed
            self._reads = self._plan_reads()
            changes: list[tuple[str, Any, str | None]] = [
                (name, "DELETED", held[name]["metadata"].get("resourceVersion"))
                for name in sorted(set(held) - set(listed))
            ]
            for name, obj in sorted(listed.items()):
                version = obj["metadata"].get("resourceVersion")
                old = held.get(name)
                if old is None:
                    changes.append((name, "ADDED", version))
                elif old["metadata"].get("resourceVersion") != version:
                    changes.append((name, "MODIFIED", version))
            return [
                Change(
                    kind,
                    name,
                    typ,
                    version,
                    any((kind, name) in r or ("*", "*") in r for r in (before, self._reads)),
                )
                for name, typ, version in changes
            ]


# ─── the decision: rendered output unchanged -> no run ───


@dataclass(frozen=True)
class Fingerprint:
    """Digests of each rendered object and of the status; equal fingerprints, equal output."""

    parts: Mapping[str, str]
    status: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def digest(self) -> str:
        """One digest of every rendered object's digest."""
        return _digest(sorted(self.parts.items()))


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(rendering: Rendering) -> Fingerprint:
    """The digests of a rendering's objects (by kind/name) and of its status."""
    parts = {f"{obj['kind']}/{obj['metadata']['name']}": _digest(obj) for obj in rendering.objects}
    parts["status"] = _digest(rendering.status)
    return Fingerprint(parts, rendering.status)


@dataclass(frozen=True)
class Decision:
    """What to do about a rendering: run the engine, nothing, or refuse (it failed)."""

    action: Literal["run", "none", "refused"]
    reason: str
    changed: tuple[str, ...] = ()


def decide(baseline: Fingerprint | None, rendered: Fingerprint | VmcpError) -> Decision:
    """Run the engine only when the rendering differs from the baseline.

    A failed rendering (which `pulumi up` would fail the same way, changing nothing) runs nothing.
    """
    if isinstance(rendered, VmcpError):
        return Decision("refused", f"rendering fails, the cluster is left as it is: {rendered}")
    if baseline is None:
        return Decision("run", "no applied rendering known", tuple(sorted(rendered.parts)))
    changed = tuple(
        sorted(
            key
            for key in set(baseline.parts) | set(rendered.parts)
            if baseline.parts.get(key) != rendered.parts.get(key)
        )
    )
    if not changed:
        return Decision("none", "rendered objects and status unchanged")
    return Decision("run", "rendered objects or status changed", changed)


def status_matches(status: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
    """The stack's outputs hold this status (what the last `up` recorded)."""
    return all(key in outputs and outputs[key] == value for key, value in status.items())


# ─── when to reconcile: debounce, coalescing, backoff ───


@dataclass
class Scheduler:
    """Pure timing (the caller passes the clock).

    A burst of triggers is reconciled `debounce` seconds after the last one (at most `max_delay`
    after the first); one engine run at a time, triggers during it coalesce into one follow-up;
    failures back off exponentially.
    """

    debounce: float = DEFAULT_DEBOUNCE
    max_delay: float = 0.0
    """0: five times `debounce`."""
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    first: float | None = None
    last: float | None = None
    triggers: int = 0
    running: bool = False
    failures: int = 0
    retry_at: float = 0.0

    def trigger(self, now: float) -> None:
        """A relevant change at `now`: a reconcile becomes due."""
        if self.first is None:
            self.first = now
        self.last = now
        self.triggers += 1

    @property
    def pending(self) -> bool:
        """A reconcile is due or waiting for its debounce."""
        return self.first is not None

    def wait(self, now: float) -> float | None:
        """Seconds until a reconcile is due: 0 = now, None = nothing to do (or a run going)."""
        if self.first is None or self.last is None or self.running:
            return None
        cap = self.max_delay or 5 * self.debounce
        due = max(min(self.last + self.debounce, self.first + cap), self.retry_at)
        return max(0.0, due - now)

    def begin(self) -> tuple[int, float | None]:
        """A reconcile starts: (triggers it covers, when the first of them came)."""
        covered, first = self.triggers, self.first
        self.first = self.last = None
        self.triggers = 0
        return covered, first

    def run_started(self) -> None:
        """An engine run starts."""
        self.running = True

    def backoff(self) -> float:
        """Seconds before the retry after the failures so far."""
        return min(self.backoff_base * 2 ** max(self.failures - 1, 0), self.backoff_max)

    def run_finished(self, now: float, ok: bool) -> float:
        """Record the outcome; after a failure a retry is pending.

        Returns the backoff (0 on success).
        """
        self.running = False
        if ok:
            self.failures, self.retry_at = 0, 0.0
            return 0.0
        self.failures += 1
        delay = self.backoff()
        self.retry_at = now + delay
        if self.first is None:
            self.first = self.last = now
        return delay


# ─── logs ───


class JsonLog:
    """One JSON object per line; `log` names what happened (event, decision, run, ...)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        """Lines go to `stream` (None: stdout)."""
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def __call__(self, log: str, **fields: Any) -> None:
        """Write one line: a timestamp, `log`, then `fields`."""
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = json.dumps({"ts": stamp, "log": log, **fields}, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


# ─── the engine ───


@dataclass(frozen=True)
class RunResult:
    """One engine run: success, the resource changes, the stack's outputs, or the error."""

    ok: bool
    changes: Mapping[str, int] = field(default_factory=dict[str, int])
    outputs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    error: str = ""


class StackRunner:
    """`pulumi up` and the stack's outputs through `pulumi.automation` (CLI from PATH)."""

    def __init__(self, stack: str, cwd: Path) -> None:
        """Select `stack` in the project directory `cwd`."""
        from pulumi import automation as auto  # noqa: PLC0415 - only a running watch needs it

        self._auto = auto
        try:
            self._stack: auto.Stack = auto.select_stack(stack_name=stack, work_dir=str(cwd))
        except Exception as error:  # noqa: BLE001 - no CLI on PATH, no stack, no backend
            raise WatchError(f"cannot select stack {stack!r} in {cwd}: {_tail(error)}") from None

    def secret(self, key: str) -> str:
        """The decrypted value of the stack config key `key`."""
        return self._stack.get_config(key).value

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs (what the last `up` recorded)."""
        return {key: value.value for key, value in self._stack.outputs().items()}

    def up(self) -> RunResult:
        """Run `pulumi up` for the stack; a failed run is a result, not an exception."""
        try:
            result = self._stack.up(color="never", suppress_progress=True, on_output=_drop)
        except self._auto.CommandError as error:
            return RunResult(False, error=_tail(error))
        changes = {
            str(getattr(op, "value", op)): n
            for op, n in (result.summary.resource_changes or {}).items()
        }
        return RunResult(True, changes, {k: v.value for k, v in result.outputs.items()})

    def interrupt(self) -> list[int]:
        """Ctrl-C for the Pulumi CLI we started: it cancels and releases the stack's lock."""
        stopped: list[int] = []
        for pid in _children(os.getpid()):
            if _command_name(pid) == "pulumi":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGINT)
                    stopped.append(pid)
        return stopped


def _drop(_line: str) -> None:
    """Engine output is not logged line by line (the run's summary is)."""


def _tail(error: Exception, limit: int = 1500) -> str:
    """The engine's `error:` lines when it printed some, else the end of the message."""
    text = str(error).strip()
    errors = [line.strip() for line in text.splitlines() if line.strip().startswith("error:")]
    if errors:
        text = " | ".join(dict.fromkeys(errors))
    return text if len(text) <= limit else "..." + text[-limit:]


def _children(parent: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
    return found


def _command_name(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


# ─── the watcher ───


def _gone(error: Exception) -> bool:
    if isinstance(error, ApiError):
        return error.status.code == 410
    response = getattr(error, "response", None)  # an HTTP status error from lightkube's client
    return getattr(response, "status_code", None) == 410


class Watcher:
    """The reconciler: watches in, engine runs out. `run()` returns the exit code."""

    def __init__(
        self,
        target: StackTarget,
        runner: StackRunner,
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
        self.target = target
        self.runner = runner
        self._kube = kube
        self.log = log or JsonLog()
        self.cache = Cache(target)
        self.scheduler = Scheduler(debounce=debounce, backoff_max=backoff_max)
        self.grace = grace
        self.baseline: Fingerprint | None = None
        self.stop_reason: str | None = None
        self._ready_at = (ready_address, ready_port)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._synced: dict[str, bool] = dict.fromkeys(WATCHED_KINDS, False)
        self._watching: dict[str, bool] = dict.fromkeys(WATCHED_KINDS, False)
        self._started = False
        self._run: threading.Thread | None = None
        self._interrupted = False
        self.last_run: dict[str, Any] = {}

    # readiness

    @property
    def ready(self) -> bool:
        """Every watch listed once, the baseline checked, and no stop requested."""
        return self._started and all(self._synced.values()) and not self._stop.is_set()

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

    def _serve_readiness(self) -> http.server.ThreadingHTTPServer:
        watcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in ("/readyz", "/healthz"):
                    self.send_error(404)
                    return
                ok = self.path == "/healthz" or watcher.ready
                body = json.dumps(watcher.health()).encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Probes are not logged."""

        server = http.server.ThreadingHTTPServer(self._ready_at, Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="readyz", daemon=True).start()
        host, port = server.server_address[:2]
        self.log("readiness", address=f"http://{host}:{port}/readyz")
        return server

    # watches

    def _watch_all(self) -> None:
        """Every watch as a task of one event loop in this thread.

        lightkube's decoding (msgspec) is not safe to start from several threads at once (it
        crashed the process here).
        """
        asyncio.run(self._watch_kinds())

    async def _watch_kinds(self) -> None:
        if self._kube is None:
            raise WatchError("no cluster to watch")
        client = AsyncClient(config=self._kube)
        await asyncio.gather(*(self._watch_kind(client, kind) for kind in WATCHED_KINDS))

    async def _watch_kind(self, client: AsyncClient, kind: str) -> None:
        resource, namespace = RESOURCES[kind], self.target.args.namespace
        version: str | None = None
        errors = 0
        while not self._stop.is_set():
            try:
                if version is None:
                    version = await self._list(client, kind)
                self._watching[kind] = True
                async for event, obj in client.watch(  # pyright: ignore[reportUnknownMemberType]
                    resource,
                    namespace=namespace,
                    resource_version=version,
                    server_timeout=WATCH_TIMEOUT,
                ):
                    errors = 0
                    body = obj.to_dict()
                    version = body["metadata"].get("resourceVersion") or version
                    if event in ("ADDED", "MODIFIED", "DELETED"):
                        self.record(self.cache.apply(kind, event, body), "watch")
            except Exception as error:  # noqa: BLE001 - any failure: resume or relist
                self._watching[kind] = False
                if self._stop.is_set():
                    return
                if _gone(error):
                    self.log("watch", kind=kind, state="relist", reason="410 Gone", version=version)
                    version = None
                    continue
                errors += 1
                delay = min(0.5 * 2 ** (errors - 1), 4.0)
                self.log(
                    "watch",
                    kind=kind,
                    state="reconnecting",
                    version=version,
                    error=f"{type(error).__name__}: {error}"[:300],
                    retryIn=delay,
                )
                await asyncio.sleep(delay)

    async def _list(self, client: AsyncClient, kind: str) -> str:
        listed = client.list(  # pyright: ignore[reportUnknownMemberType]
            RESOURCES[kind], namespace=self.target.args.namespace
        )
        objects = [obj.to_dict() async for obj in listed]
        version = listed.resourceVersion  # known once the list was read, even when empty
        changes = self.cache.replace(kind, objects)
        first = not self._synced[kind]
        self._synced[kind] = True
        self.log("watch", kind=kind, state="listed", objects=len(objects), version=version)
        if not first:
            for change in changes:
                self.record(change, "relist")
        return version

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
            with self._lock:
                self.scheduler.trigger(time.monotonic())

    # reconcile

    def _render(self) -> Fingerprint | VmcpError:
        try:
            return fingerprint(render(self.cache.inventory(), self.target.name, self.target.args))
        except VmcpError as error:
            return error

    def startup(self) -> None:
        """Baseline: the first rendering, if the stack's outputs already hold its status."""
        rendered = self._render()
        try:
            outputs = self.runner.outputs()
        except Exception as error:  # noqa: BLE001 - no outputs known: reconcile once
            outputs = {}
            self.log("decision", action="check", reason=f"no stack outputs: {_tail(error, 300)}")
        if isinstance(rendered, Fingerprint) and status_matches(rendered.status, outputs):
            self.baseline = rendered
            self.log("decision", action="none", reason="in sync with the stack's outputs")
        else:
            with self._lock:
                self.scheduler.trigger(time.monotonic())
            self.log("decision", action="check", reason="the stack's outputs differ; reconciling")

    def reconcile(self) -> None:
        """Render, decide, and start an engine run when the rendering changed."""
        with self._lock:
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
        with self._lock:
            self.scheduler.run_started()
        self._run = threading.Thread(
            target=self._engine_run, args=(rendered, first, covered), name="engine", daemon=True
        )
        self._run.start()

    def _engine_run(self, rendered: Fingerprint, first: float | None, covered: int) -> None:
        started = time.monotonic()
        try:
            result = self.runner.up()
        except Exception as error:  # noqa: BLE001 - the runner must never kill the loop
            result = RunResult(False, error=_tail(error))
        now = time.monotonic()
        if result.ok:
            self.baseline = rendered
            if not status_matches(rendered.status, result.outputs):
                # The engine saw a newer cluster than the rendering: reconcile once more.
                with self._lock:
                    self.scheduler.trigger(now)
        with self._lock:
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

    # the loop

    def wait_for_run(self, timeout: float | None = None) -> None:
        """Wait for the engine run in progress, if any."""
        if self._run is not None:
            self._run.join(timeout)

    def request_stop(self, reason: str) -> None:
        """Stop the watcher (the first `reason` is the one logged)."""
        self.stop_reason = self.stop_reason or reason
        self._stop.set()

    def run(self) -> int:
        """Watch and reconcile until a stop is requested; the exit code."""
        server = self._serve_readiness()
        threading.Thread(target=self._watch_all, name="watches", daemon=True).start()
        while not self._stop.is_set() and not all(self._synced.values()):
            self._stop.wait(0.1)
        if not self._stop.is_set():
            self.startup()
            self._started = True
            self.log("ready", kinds=list(WATCHED_KINDS))
        while not self._stop.is_set():
            with self._lock:
                wait = self.scheduler.wait(time.monotonic())
            if wait == 0:
                self.reconcile()
            else:
                self._stop.wait(min(wait or 0.5, 0.5))
        self._finish()
        server.shutdown()
        return 0

    def _finish(self) -> None:
        run = self._run
        if run is not None and run.is_alive():
            self.log("stopping", reason=self.stop_reason, waitingForRunSeconds=self.grace)
            run.join(self.grace)
            if run.is_alive():
                self._interrupted = True
                interrupted = self.runner.interrupt()
                self.log("stopping", reason="grace period over", interrupted=interrupted)
                run.join()
        self.log("stopped", reason=self.stop_reason, lastRun=self.last_run)


# ─── entry points ───


def run_watch(
    stack: str,
    cwd: Path,
    *,
    debounce: float = DEFAULT_DEBOUNCE,
    grace: float = DEFAULT_GRACE,
    ready_address: str = "127.0.0.1",
    ready_port: int = DEFAULT_READY_PORT,
    log: JsonLog | None = None,
) -> int:
    """Watch `stack` (its stack file under `cwd`) until SIGTERM/SIGINT; the exit code."""
    log = log or JsonLog()
    cwd = cwd.resolve()
    runners: list[StackRunner] = []

    def engine() -> StackRunner:
        if not runners:
            runners.append(StackRunner(stack, cwd))
        return runners[0]

    try:
        target = load_target(stack, cwd, lambda key: engine().secret(key))
        runner = engine()
    except WatchError as error:
        log("error", error=str(error))
        return 2
    try:
        watcher = Watcher(
            target,
            runner,
            debounce=debounce,
            grace=grace,
            ready_address=ready_address,
            ready_port=ready_port,
            log=log,
            kube=load_kube_config(target.kubeconfig, target.context),
        )
    except VmcpError as error:
        log("error", error=str(error))
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda n, _f: watcher.request_stop(signal.Signals(n).name))
    log(
        "start",
        stack=stack,
        cwd=str(cwd),
        namespace=target.args.namespace,
        group=target.args.group,
        name=target.name,
        debounce=debounce,
    )
    return watcher.run()


def parser(prog: str = "vmcp-components watch") -> argparse.ArgumentParser:
    """The command line of `vmcp-components watch`."""
    command = argparse.ArgumentParser(
        prog=prog,
        description="Re-run `pulumi up` for a stack when its MCPGroup, a member, an auth config "
        "or a referenced ConfigMap/Secret changes; JSON-line logs on stdout.",
    )
    command.add_argument("--stack", required=True, help="the stack (stacks/Pulumi.<NAME>.yaml)")
    command.add_argument("--cwd", type=Path, default=Path(), help="the Pulumi project directory")
    command.add_argument(
        "--debounce",
        type=float,
        default=DEFAULT_DEBOUNCE,
        metavar="SECONDS",
        help="quiet time after the last change before reconciling (default 2)",
    )
    command.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        metavar="SECONDS",
        help="on SIGTERM, how long a run may finish before it is cancelled (default 20)",
    )
    command.add_argument("--ready-address", default="127.0.0.1", help="readiness endpoint host")
    command.add_argument(
        "--ready-port",
        type=int,
        default=DEFAULT_READY_PORT,
        help=f"readiness endpoint port (default {DEFAULT_READY_PORT}; 0 picks a free one)",
    )
    return command


def main(argv: list[str] | None = None) -> int:
    """`vmcp-components watch`: parse `argv`, watch the stack; the exit code."""
    options = parser().parse_args(argv)
    return run_watch(
        options.stack,
        options.cwd,
        debounce=options.debounce,
        grace=options.grace,
        ready_address=options.ready_address,
        ready_port=options.ready_port,
    )

"""The real ToolHive for the e2e tests: its binaries, how a pod would run vmcp, and a sandbox.

`scripts/toolhive build` builds `vmcp` and `thv-operator` at the pinned ToolHive version (v0.63.0)
from the Go module proxy and extracts the real CRDs from the same module. Two modules ToolHive
needs are refused by the proxy and stood in (scripts/toolhive-standins/): `toolhive-core/redisconn`
(Redis session storage, rate limits, auth-server storage) and `jwx-go/jwkfetch` (JWKS fetching
for OIDC incoming auth); every call of either fails. No test reaches them: static mode keeps
sessions in memory, incoming auth is anonymous, and the operator's VirtualMCPServer reconcile
uses neither.

`pod_env`, `pod_files` and `pod_argv` turn a rendered Deployment into what the kubelet would give
the container: its env (Secret references resolved from the test's own Secrets), the files of
its ConfigMap volumes at their mount paths, and its args. `Sandbox` runs processes in private
mount and network namespaces (root only): just a loopback interface, `/etc` overlaid with the
test's files (its own `/etc/hosts`, the mounted ConfigMaps), `/tmp` a private tmpfs (with the
repository, the virtualenv and the build cache bound back in when they live under /tmp). Nothing is
written outside the test's directory, and the machine's `/etc/hosts` is never read or changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "toolhive"

# Bring `lo` up (SIOCGIFFLAGS / SIOCSIFFLAGS | IFF_UP) without needing iproute2.
_LO_UP = (
    "import fcntl, socket, struct; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "f = struct.unpack('16sH', fcntl.ioctl(s, 0x8913, struct.pack('16sH', b'lo', 0)))[1]; "
    "fcntl.ioctl(s, 0x8914, struct.pack('16sH', b'lo', f | 1))"
)


@dataclass(frozen=True)
class ToolHive:
    """A built ToolHive: `vmcp`, `thv-operator` and the directory of its real CRDs."""

    root: Path

    @property
    def vmcp(self) -> Path:
        return self.root / "bin" / "vmcp"

    @property
    def operator(self) -> Path:
        return self.root / "bin" / "thv-operator"

    @property
    def crds(self) -> list[Path]:
        return sorted((self.root / "crds").glob("*.yaml"))


def build(timeout: float | None = None) -> ToolHive:
    """`scripts/toolhive build` (a cache hit takes a second; a cold build ~10-25 minutes)."""
    proc = subprocess.run(
        [str(SCRIPT), "build"], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/toolhive build failed:\n{proc.stderr[-4000:]}")
    return ToolHive(Path(proc.stdout.strip().splitlines()[-1]))


# ─── what the kubelet would give the vmcp container ───


def _container(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    """The vmcp container (a podTemplateSpec may add sidecars next to it)."""
    containers = deployment["spec"]["template"]["spec"]["containers"]
    [vmcp] = [container for container in containers if container["name"] == "vmcp"]
    return vmcp


def pod_env(
    deployment: Mapping[str, Any], secrets: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The container's env, in order: literal values, and `secretKeyRef`s resolved from
    `secrets` (name -> key -> value); any other source is an error here."""
    env: dict[str, str] = {}
    for item in _container(deployment).get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        env[item["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def pod_files(
    deployment: Mapping[str, Any], config_maps: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Path -> content of every file the container's ConfigMap volumes put at its mounts."""
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    files: dict[str, str] = {}
    for mount in _container(deployment).get("volumeMounts", []):
        source = volumes[mount["name"]]["configMap"]
        data = config_maps[source["name"]]
        items = source.get("items") or [{"key": key, "path": key} for key in data]
        for item in items:
            files[str(PurePosixPath(mount["mountPath"]) / item["path"])] = data[item["key"]]
    return files


def pod_argv(deployment: Mapping[str, Any], vmcp: Path) -> list[str]:
    """The container's command line with the image's entrypoint (`vmcp`) as `vmcp`."""
    container = _container(deployment)
    assert "command" not in container, "the image's entrypoint is vmcp"
    return [str(vmcp), *container.get("args", [])]


# ─── private namespaces ───

HOST_TMP = ".vmcp-host-tmp"


def _cache_root() -> Path:
    """Where `scripts/` keep what they build (vmcp among it), as they find it."""
    if os.environ.get("VMCP_CACHE_DIR"):
        return Path(os.environ["VMCP_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vmcp-components"


def _kept_under_tmp() -> list[Path]:
    """The repository, the interpreter's environment and the build cache, where under /tmp."""
    paths = {REPO, Path(sys.prefix).resolve(), Path(sys.executable).resolve().parents[1]}
    paths.add(_cache_root().resolve())
    return sorted(p for p in paths if p.is_relative_to("/tmp") and p != Path("/tmp"))


@dataclass
class Sandbox:
    """Processes in private mount + network namespaces (see the module docstring).

    `files` maps absolute paths under /etc to their content; `hosts` maps test host names to
    addresses for the sandbox's own /etc/hosts.
    """

    root: Path
    files: Mapping[str, str | bytes]
    hosts: Mapping[str, str]
    _holder: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _started: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False, repr=False)

    def __enter__(self) -> Sandbox:
        if os.geteuid() != 0:
            raise RuntimeError("the sandbox needs root (unshare --mount --net, overlay mounts)")
        upper, work = self.root / "etc-upper", self.root / "etc-work"
        upper.mkdir(parents=True)
        work.mkdir()
        lines = ["127.0.0.1 localhost"] + [f"{a} {h}" for h, a in sorted(self.hosts.items())]
        (upper / "hosts").write_text("\n".join(lines) + "\n")
        for path, content in self.files.items():
            relative = PurePosixPath(path).relative_to("/etc")
            target = upper / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        # /tmp becomes a private tmpfs; what the sandbox runs from /tmp (a clone or its .venv
        # there) is bound back in through a view of the host's /tmp at /etc/<HOST_TMP>.
        (upper / HOST_TMP).mkdir()
        rebind = "".join(
            f" && mkdir -p {kept} && mount --bind /etc/{HOST_TMP}/{kept.relative_to('/tmp')} {kept}"
            for kept in _kept_under_tmp()
        )
        setup = (
            f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={work} /etc"
            f" && mount --bind /tmp /etc/{HOST_TMP} && mount -t tmpfs -o mode=1777 tmpfs /tmp"
            f"{rebind} && umount /etc/{HOST_TMP}"
            f' && {sys.executable} -c "{_LO_UP}" && echo ready && exec sleep 86400'
        )
        self._holder = subprocess.Popen(
            ["unshare", "--mount", "--net", "--propagation", "private", "--", "sh", "-c", setup],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != b"ready":
            self._holder.wait(10)
            raise RuntimeError(f"sandbox setup failed: {self._holder.stderr.read()!r}")  # type: ignore[union-attr]
        return self

    def _enter(self, argv: Sequence[str]) -> list[str]:
        assert self._holder is not None, "use the sandbox as a context manager"
        return ["nsenter", f"--target={self._holder.pid}", "--net", "--mount", "--", *argv]

    def start(
        self, argv: Sequence[str], *, env: Mapping[str, str], stdout: IO[Any], stderr: IO[Any]
    ) -> subprocess.Popen[bytes]:
        """Start a process inside; it is stopped when the sandbox closes."""
        proc = subprocess.Popen(
            self._enter(argv), env=dict(env), stdout=stdout, stderr=stderr, cwd=self.root
        )
        self._started.append(proc)
        return proc

    def run(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._enter(argv),
            env=dict(os.environ if env is None else env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )

    def add_address(self, address: str) -> None:
        """Give the sandbox's loopback interface `address` too (/32): a non-loopback address
        that the SSRF rules allow (198.18.0.0/15, the benchmarking range, is never routed)."""
        added = self.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], timeout=30)
        if added.returncode != 0:
            raise RuntimeError(f"ip addr add {address}: {added.stderr}")

    def wait_for_port(self, port: int, timeout: float = 60, address: str = "127.0.0.1") -> None:
        """Until something listens on `address`:`port` inside the sandbox."""
        probe = (
            "import socket, sys; s = socket.socket(); s.settimeout(1); "
            f"sys.exit(s.connect_ex(('{address}', {port})))"
        )
        deadline = time.monotonic() + timeout
        while self.run([sys.executable, "-c", probe], timeout=10).returncode != 0:
            for proc in self._started:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port} after {timeout}s")
            time.sleep(0.2)

    def __exit__(self, *_: object) -> None:
        for proc in reversed(self._started):
            _stop(proc)
        if self._holder is not None:
            _stop(self._holder)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ─── vmcp validate ───


class _AnySecret(Mapping[str, Mapping[str, str]]):
    """Every Secret holds every key, with a placeholder value (`vmcp validate` needs the env
    variables set; their values are never looked at)."""

    def __getitem__(self, name: str) -> Mapping[str, str]:
        return _AnyKey()

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


class _AnyKey(Mapping[str, str]):
    def __getitem__(self, key: str) -> str:
        return "placeholder-secret-value"

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


PLACEHOLDER_SECRETS: Mapping[str, Mapping[str, str]] = _AnySecret()


def vmcp_validate(
    toolhive: ToolHive,
    workdir: Path,
    config_map: Mapping[str, Any],
    deployment: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`vmcp validate` on the ConfigMap's config.yaml, with the pod's env (placeholder secret
    values unless `env` is given)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yaml"
    config.write_text(config_map["data"]["config.yaml"])
    return subprocess.run(
        [str(toolhive.vmcp), "validate", "--config", str(config)],
        env=dict(pod_env(deployment, PLACEHOLDER_SECRETS) if env is None else env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=workdir,
    )

"""Python handle on the loopback test cluster of scripts/test-cluster, for pytest fixtures.

Owned by the test-cluster tooling. ``start(workdir)`` runs ``scripts/test-cluster up WORKDIR``
(which builds or reuses the cached kube-apiserver, kube-controller-manager and etcd, starts them
on 127.0.0.1 and installs ToolHive's real CRDs, built by scripts/toolhive), then starts the fake
kubelet in a thread so Deployments become Available. ``Cluster.stop()`` stops both
(``scripts/test-cluster down``).

    cluster = start(tmp_path / "cluster")
    try:
        cluster.client().list(ConfigMap)
    finally:
        cluster.stop()
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lightkube import Client, KubeConfig

try:  # tests/ as a package, or the repo root on sys.path
    from tests.e2e.fake_kubelet import FakeKubelet, client_for
except ImportError:  # pytest's default rootdir-less import: tests/e2e itself on sys.path
    from fake_kubelet import FakeKubelet, client_for  # pyright: ignore[reportMissingImports]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "test-cluster"


@dataclass
class Cluster:
    """A running cluster: `kubeconfig` (context vmcp-test), `server` URL and admin `token`."""

    workdir: Path
    kubeconfig: Path
    server: str
    token: str
    kubelet: FakeKubelet | None = field(default=None, repr=False)

    def client(self, namespace: str = "default", field_manager: str | None = None) -> Client:
        """A lightkube Client authenticated as the admin (group system:masters)."""
        config = KubeConfig.from_file(str(self.kubeconfig))
        return Client(config, namespace=namespace, field_manager=field_manager)

    def stop(self) -> None:
        """Stop the fake kubelet and every process `up` started (by pid)."""
        if self.kubelet is not None:
            self.kubelet.stop()
            self.kubelet = None
        _run("down", self.workdir)


def _run(command: str, workdir: Path, timeout: float | None = None) -> str:
    proc = subprocess.run(
        [str(SCRIPT), command, str(workdir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/test-cluster {command} failed:\n{proc.stderr[-4000:]}")
    return proc.stdout


def start(workdir: Path | str, *, kubelet: bool = True, timeout: float | None = None) -> Cluster:
    """Start a cluster with its state in `workdir`; `timeout` also bounds a first build."""
    workdir = Path(workdir).resolve()
    kubeconfig = Path(_run("up", workdir, timeout).strip().splitlines()[-1])
    cluster = Cluster(
        workdir=workdir,
        kubeconfig=kubeconfig,
        server=(workdir / "server").read_text().strip(),
        token=(workdir / "token").read_text().strip(),
    )
    if kubelet:
        cluster.kubelet = FakeKubelet(client_for(str(kubeconfig)))
        cluster.kubelet.start()
    return cluster

"""Python handle on the loopback test cluster of scripts/test-cluster, for pytest fixtures.

Owned by the test-cluster tooling. ``start(workdir)`` runs ``scripts/test-cluster up WORKDIR``
(which builds or reuses the cached kube-apiserver, kube-controller-manager and etcd, starts them
on 127.0.0.1 and installs ToolHive's real CRDs, built by scripts/toolhive), with the fake
kubelet (tests/e2e/fake_kubelet.py) as one more process of the cluster, so Deployments become
Available. ``Cluster.stop()`` stops them all (``scripts/test-cluster down``).

The fake kubelet runs in its own process, not in a thread of the test process: a second thread
doing TLS and msgspec decoding next to the tests, started and torn down inside pytest, was the
prime suspect of the e2e tier's segmentation fault (issue 22), and a process is killed cleanly.

    cluster = start(tmp_path / "cluster")
    try:
        cluster.client().list(ConfigMap)
    finally:
        cluster.stop()
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lightkube import Client, KubeConfig

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "test-cluster"


@dataclass
class Cluster:
    """A running cluster: `kubeconfig` (context vmcp-test), `server` URL and admin `token`."""

    workdir: Path
    kubeconfig: Path
    server: str
    token: str

    def client(self, namespace: str = "default", field_manager: str | None = None) -> Client:
        """A lightkube Client authenticated as the admin (group system:masters)."""
        config = KubeConfig.from_file(str(self.kubeconfig))
        return Client(config, namespace=namespace, field_manager=field_manager)

    def stop(self) -> None:
        """Stop every process `up` started (by pid), the fake kubelet included."""
        _run("down", self.workdir)


def _run(
    command: str, workdir: Path, timeout: float | None = None, env: Mapping[str, str] = {}
) -> str:
    proc = subprocess.run(
        [str(SCRIPT), command, str(workdir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **env},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/test-cluster {command} failed:\n{proc.stderr[-4000:]}")
    return proc.stdout


def start(workdir: Path | str, *, kubelet: bool = True, timeout: float | None = None) -> Cluster:
    """Start a cluster with its state in `workdir`; `timeout` also bounds a first build."""
    workdir = Path(workdir).resolve()
    env = {"VMCP_FAKE_KUBELET": "1", "VMCP_PYTHON": sys.executable} if kubelet else {}
    kubeconfig = Path(_run("up", workdir, timeout, env).strip().splitlines()[-1])
    return Cluster(
        workdir=workdir,
        kubeconfig=kubeconfig,
        server=(workdir / "server").read_text().strip(),
        token=(workdir / "token").read_text().strip(),
    )

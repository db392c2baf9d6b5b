"""Live MCP traffic through the real `vmcp serve` (ToolHive v0.63.0), configured by our render.

Two real MCP servers (the `mcp` Python SDK, tests/e2e/mcp_backend.py) are the backends:
`alpha`, streamable HTTP behind TLS with a certificate signed by a CA made here, with header
forwarding (a plaintext header and one from a Secret); `beta`, SSE over plain HTTP. They are
declared as MCPServerEntry objects in the test cluster (alpha's CA in a ConfigMap through
`caBundleRef`), found by the real discovery and rendered. Then `vmcp serve` runs with exactly
the rendered Deployment's args and env (its Secret references resolved from the test's
Secret), and the ConfigMap volumes' files at their mount paths: the config at
/etc/vmcp-config/config.yaml and the CA at its `caBundlePath` under /etc/toolhive/ca-bundles.

Everything runs in a private mount + network namespace (tests/e2e/toolhive.py `Sandbox`): only a
loopback interface, the test's own /etc/hosts naming `alpha.mcp.test` and `beta.mcp.test` (the
SSRF rules rightly refuse `localhost` and 127.0.0.0/8 in a remoteUrl), /etc overlaid and /tmp a
private tmpfs, so nothing outside the test's directory is written.

Proven: an MCP client connected to vmcp lists the prefixed tools of both backends and calls one
of each; the forwarded headers reach alpha and never beta; with the wrong CA in the ConfigMap,
alpha fails with a certificate error while beta still serves.

`vmcp` is built by scripts/toolhive with two stand-ins for modules the Go proxy refuses
(`toolhive-core/redisconn`: Redis session storage; `jwx-go/jwkfetch`: JWKS for OIDC incoming
auth): this config keeps sessions in memory and uses anonymous incoming auth, so `serve` reaches
neither.
"""

# pyright: reportOptionalMemberAccess=false, reportOptionalSubscript=false

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from lightkube import Client
from lightkube.resources.core_v1 import ConfigMap

from tests import clock
from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, seed
from tests.e2e.toolhive import Sandbox, ToolHive, pod_argv, pod_env, pod_files
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.kube.discovery import ClusterDiscovery

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent
NAME = "live"
API_KEY = "alpha-api-key-value"
ALPHA_URL = "https://alpha.mcp.test:8443/mcp"
BETA_URL = "http://beta.mcp.test:8080/sse"
HOSTS = {"alpha.mcp.test": "127.0.0.1", "beta.mcp.test": "127.0.0.1"}
VMCP_PORT = 4483


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(directory: Path) -> dict[str, str]:
    """A CA that signs alpha's server certificate, and an unrelated second CA."""
    directory.mkdir()
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", f"/CN=vmcp-live-test-{ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.crt",
                 cwd=directory)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=alpha.mcp.test",
             "-keyout", "alpha.key", "-out", "alpha.csr", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=DNS:alpha.mcp.test\n")
    _openssl("x509", "-req", "-in", "alpha.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "alpha.crt",
             cwd=directory)  # fmt: skip
    return {p.name: p.read_text() for p in directory.iterdir() if p.suffix in (".crt", ".key")}


def group_objects(namespace: str, ca_pem: str) -> list[dict[str, Any]]:
    meta = {"namespace": namespace}
    entry = {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPServerEntry"}
    return [
        {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPGroup",
         "metadata": {"name": GROUP, **meta}, "spec": {}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha-ca", **meta},
         "data": {"ca.crt": ca_pem}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "alpha-credentials", **meta},
         "stringData": {"api-key": API_KEY}},
        {**entry, "metadata": {"name": "alpha", **meta},
         "spec": {"remoteUrl": ALPHA_URL, "transport": "streamable-http",
                  "groupRef": {"name": GROUP},
                  "caBundleRef": {"configMapRef": {"name": "alpha-ca", "key": "ca.crt"}},
                  "headerForward": {
                      "addPlaintextHeaders": {"X-Tenant-ID": "tenant-a"},
                      "addHeadersFromSecret": [
                          {"headerName": "X-Api-Key",
                           "valueSecretRef": {"name": "alpha-credentials", "key": "api-key"}}]}}},
        {**entry, "metadata": {"name": "beta", **meta},
         "spec": {"remoteUrl": BETA_URL, "transport": "sse", "groupRef": {"name": GROUP}}},
    ]  # fmt: skip


def render_from_cluster(cluster: Cluster, namespace: str) -> Rendering:
    discovery = ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")
    inventory = discovery.fetch(namespace, GROUP, None)
    return render(inventory, NAME, VirtualMCPServerArgs(namespace=namespace, group=GROUP))


@dataclass
class LiveRun:
    probe: dict[str, Any]
    vmcp_log: str
    headers: dict[str, list[dict[str, str]]]  # backend -> headers of each request it got


def _wait_ready(sandbox: Sandbox, timeout: float = 90) -> None:
    check = (
        "import sys, urllib.request\n"
        f"try: sys.exit(urllib.request.urlopen('http://127.0.0.1:{VMCP_PORT}/readyz',"
        " timeout=2).status != 200)\nexcept Exception: sys.exit(1)"
    )
    deadline = time.monotonic() + timeout
    while sandbox.run([sys.executable, "-c", check], timeout=30).returncode != 0:
        assert time.monotonic() < deadline, "vmcp did not become ready"
        time.sleep(0.5)


def run_live(
    toolhive: ToolHive,
    workdir: Path,
    rendering: Rendering,
    ca_config_map: dict[str, str],
    pki: dict[str, str],
) -> LiveRun:
    """Start both backends and `vmcp serve` as the pod would run it; probe through vmcp."""
    deployment = rendering.object("Deployment")
    config_maps = {
        rendering.object("ConfigMap")["metadata"]["name"]: rendering.object("ConfigMap")["data"],
        "alpha-ca": ca_config_map,
    }
    files: dict[str, str | bytes] = dict(pod_files(deployment, config_maps))
    assert set(files) == {"/etc/vmcp-config/config.yaml", "/etc/toolhive/ca-bundles/alpha/ca.crt"}
    files["/etc/mcp-test/alpha.crt"] = pki["alpha.crt"]
    files["/etc/mcp-test/alpha.key"] = pki["alpha.key"]
    env = pod_env(deployment, {"alpha-credentials": {"api-key": API_KEY}})
    logs = workdir / "logs"
    logs.mkdir(parents=True)
    with Sandbox(workdir / "sandbox", files, HOSTS) as sandbox:
        backend = [sys.executable, str(HERE / "mcp_backend.py")]
        for name, transport, port, tls in (
            ("alpha", "streamable-http", 8443, ["--certfile", "/etc/mcp-test/alpha.crt",
                                                "--keyfile", "/etc/mcp-test/alpha.key"]),
            ("beta", "sse", 8080, []),
        ):  # fmt: skip
            with (
                (logs / f"{name}.jsonl").open("wb") as out,
                (logs / f"{name}.log").open("wb") as err,
            ):
                sandbox.start(
                    [*backend, "--name", name, "--transport", transport, "--port", str(port), *tls],
                    env=os.environ, stdout=out, stderr=err,
                )  # fmt: skip
            sandbox.wait_for_port(port)
        with (logs / "vmcp.log").open("wb") as out:
            # exactly the pod's command line and env: nothing inherited from this process
            sandbox.start(pod_argv(deployment, toolhive.vmcp), env=env, stdout=out, stderr=out)
        sandbox.wait_for_port(VMCP_PORT)
        _wait_ready(sandbox)
        calls = [["alpha_echo", {"text": "hello"}], ["beta_add", {"a": 2, "b": 40}]]
        probe = sandbox.run(
            [sys.executable, str(HERE / "mcp_probe.py"), f"http://127.0.0.1:{VMCP_PORT}/mcp",
             json.dumps(calls)], timeout=120,
        )  # fmt: skip
    vmcp_log = (logs / "vmcp.log").read_text()
    assert probe.returncode == 0, f"{probe.stderr[-3000:]}\nvmcp:\n{vmcp_log[-3000:]}"
    headers = {
        name: [
            json.loads(line)["headers"]
            for line in (logs / f"{name}.jsonl").read_text().splitlines()
        ]
        for name in ("alpha", "beta")
    }
    return LiveRun(json.loads(probe.stdout), vmcp_log, headers)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    return make_pki(tmp_path / "pki")


Seeder = Callable[[str], tuple[Rendering, dict[str, str]]]


@pytest.fixture
def seed_and_render(
    cluster: Cluster, client: Client, namespace: str, pki: dict[str, str]
) -> Seeder:
    """Seed the group with the named CA file in `alpha-ca`; the rendering and that ConfigMap."""
    issued = x509.load_pem_x509_certificate(pki["ca.crt"].encode()).not_valid_before_utc

    def run(ca_file: str) -> tuple[Rendering, dict[str, str]]:
        seed(client, group_objects(namespace, pki[ca_file]))
        # The real vmcp checks these certificates against the real clock, and make_pki issued
        # them for two days from now: the render checks them a minute into their validity.
        with clock.frozen_at(issued + timedelta(minutes=1)):
            rendering = render_from_cluster(cluster, namespace)
        assert rendering.status["skippedBackends"] == []
        return rendering, client.get(ConfigMap, "alpha-ca", namespace=namespace).data or {}

    return run


def test_vmcp_serves_both_backends_through_our_ca_volume_and_headers(
    seed_and_render: Seeder, real_toolhive: ToolHive, tmp_path: Path, pki: dict[str, str]
) -> None:
    rendering, ca = seed_and_render("ca.crt")
    live = run_live(real_toolhive, tmp_path / "good", rendering, ca, pki)

    assert {"alpha_echo", "alpha_add", "beta_echo", "beta_add"} <= set(live.probe["tools"])
    assert live.probe["calls"] == [
        {"tool": "alpha_echo", "error": False, "text": "alpha: hello"},
        {"tool": "beta_add", "error": False, "text": "42"},
    ]
    alpha, beta = live.headers["alpha"], live.headers["beta"]
    assert alpha, "alpha was never reached"
    assert beta, "beta was never reached"
    assert any(h.get("x-tenant-id") == "tenant-a" and h.get("x-api-key") == API_KEY for h in alpha)
    for request in beta:
        assert "x-tenant-id" not in request
        assert "x-api-key" not in request
        assert API_KEY not in json.dumps(request)


def test_with_the_wrong_ca_only_that_backend_fails(
    seed_and_render: Seeder, real_toolhive: ToolHive, tmp_path: Path, pki: dict[str, str]
) -> None:
    rendering, ca = seed_and_render("other-ca.crt")
    live = run_live(real_toolhive, tmp_path / "wrong-ca", rendering, ca, pki)

    assert "certificate signed by unknown authority" in live.vmcp_log
    assert {"beta_echo", "beta_add"} <= set(live.probe["tools"])
    assert not {"alpha_echo", "alpha_add"} & set(live.probe["tools"])
    alpha_call, beta_call = live.probe["calls"]
    assert alpha_call["error"] is True
    assert beta_call == {"tool": "beta_add", "error": False, "text": "42"}
    assert not live.headers["alpha"], "no request reached alpha over a refused TLS handshake"

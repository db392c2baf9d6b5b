"""Live MCP traffic through the real `vmcp serve` (ToolHive v0.63.0), configured by our render.

Two real MCP servers (the `mcp` Python SDK, tests/e2e/mcp_backend.py) are the backends:
`alpha`, streamable HTTP behind TLS with a certificate signed by a CA made here, with header
forwarding (a plaintext header and one from a Secret); `beta`, SSE over plain HTTP. They are
declared as MCPServerEntry objects in the test cluster (alpha's CA in a ConfigMap through
`caBundleRef`), found by the real discovery and rendered. Then `vmcp serve` runs with exactly
the rendered Deployment's args and env (its Secret references resolved from the test's
Secret), and the ConfigMap volumes' files at their mount paths: the config at
/etc/vmcp-config/config.yaml and the CA at its `caBundlePath` under /etc/toolhive/ca-bundles.

The settings come from one stack file (`vmcp-components:compositeTools` among them), read by the
render here and by `vmcp-components preflight --stack` in the sandbox, with a snapshot of the
same namespace: what preflight predicts is checked against what this very vmcp serves.

Everything runs in a private mount + network namespace (tests/e2e/toolhive.py `Sandbox`): a
loopback interface that also holds 198.18.0.1 (the benchmarking range: not loopback, so the
SSRF rules, which rightly refuse `localhost` and 127.0.0.0/8, let preflight probe it), where
the backends listen; the test's own /etc/hosts naming `alpha.mcp.test` and `beta.mcp.test` at
it; /etc overlaid and /tmp a private tmpfs, so nothing outside the test's directory is written.

Proven: an MCP client connected to vmcp lists the prefixed tools of both backends and calls one
of each; a composite tool calls beta's `add`, hands its text output to alpha's `echo` (vmcp's
`{{.steps.<id>.content.text}}` templating) and answers both results; the forwarded headers
reach alpha and never beta; with the wrong CA in the ConfigMap, alpha fails with a certificate
error while beta still serves, and the composite tool, one of whose steps cannot be routed, is
not listed. In both runs the tool names preflight predicts are exactly the names vmcp lists.

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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from lightkube import Client
from lightkube.resources.core_v1 import ConfigMap

from tests import clock
from tests.e2e.cluster import Cluster
from tests.e2e.conftest import GROUP, ROOT, seed
from tests.e2e.toolhive import Sandbox, ToolHive, pod_argv, pod_env, pod_files
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.stack_files import load_stack_file
from vmcp_components.kube.discovery import ClusterDiscovery
from vmcp_components.kube.snapshot import take_snapshot

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent
NAME = "live"
API_KEY = "alpha-api-key-value"
ALPHA_URL = "https://alpha.mcp.test:8443/mcp"
BETA_URL = "http://beta.mcp.test:8080/sse"
ADDRESS = "198.18.0.1"
HOSTS = {"alpha.mcp.test": ADDRESS, "beta.mcp.test": ADDRESS}
VMCP_PORT = 4483
PROJECT = "/etc/live-test"  # the stack and the snapshot inside the sandbox (/tmp is its own)
STACK = f"{PROJECT}/stacks/Pulumi.{NAME}.yaml"
SNAPSHOT = f"{PROJECT}/snapshot.yaml"

COMPOSITE = "sum_then_echo"
COMPOSITE_TOOLS = [
    {
        "name": COMPOSITE,
        "description": "Add two numbers with beta, then have alpha echo the sum",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
        "steps": [
            # `{workload}.{tool}`: the backend's own tool name, whatever the prefixing
            {"id": "sum", "tool": "beta.add",
             "arguments": {"a": "{{.params.a}}", "b": "{{.params.b}}"}},
            {"id": "echo", "tool": "alpha.echo", "dependsOn": ["sum"],
             "arguments": {"text": "the sum is {{.steps.sum.content.text}}"}},
        ],
        "output": {
            "properties": {
                "sum": {"type": "integer", "description": "beta's answer",
                        "value": "{{.steps.sum.content.text}}"},
                "echoed": {"type": "string", "description": "alpha's answer",
                           "value": "{{.steps.echo.content.text}}"},
            },
            "required": ["sum", "echoed"],
        },
    }
]  # fmt: skip


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


def stack_text(namespace: str) -> str:
    """The stack file: the vMCP's settings, composite tools included."""
    config = {"namespace": namespace, "group": GROUP, "name": NAME,
              "compositeTools": COMPOSITE_TOOLS}  # fmt: skip
    return yaml.safe_dump({"config": {f"vmcp-components:{k}": v for k, v in config.items()}})


@dataclass
class Stack:
    """The stack file and the namespace's snapshot, as the sandbox sees them (path -> text)."""

    files: dict[str, str]
    rendering: Rendering
    rendered_at: datetime  # the time CA bundles are checked at (tests/clock.py)


def render_from_cluster(cluster: Cluster, namespace: str, workdir: Path, at: datetime) -> Stack:
    """Render the stack's settings from the cluster at `at`; the same stack and a snapshot of
    the namespace for preflight."""
    files = {f"{PROJECT}/Pulumi.yaml": (ROOT / "Pulumi.yaml").read_text(),
             STACK: stack_text(namespace),
             SNAPSHOT: take_snapshot(namespace, str(cluster.kubeconfig), "vmcp-test")}  # fmt: skip
    for path, text in files.items():  # the same project on this side, to load the stack here
        local = workdir / Path(path).relative_to(PROJECT)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text)
    settings = load_stack_file(workdir / Path(STACK).relative_to(PROJECT))
    discovery = ClusterDiscovery(kubeconfig=str(cluster.kubeconfig), context="vmcp-test")
    inventory = discovery.fetch(namespace, GROUP, None)
    with clock.frozen_at(at):
        rendering = render(inventory, settings.name, settings.args)
    return Stack(files, rendering, at)


@dataclass
class LiveRun:
    probe: dict[str, Any]
    vmcp_log: str
    headers: dict[str, list[dict[str, str]]]  # backend -> headers of each request it got
    preflight: dict[str, Any]  # `vmcp-components preflight --json` of the same stack


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
    stack: Stack,
    ca_config_map: dict[str, str],
    pki: dict[str, str],
) -> LiveRun:
    """Start both backends and `vmcp serve` as the pod would run it; probe through vmcp, and run
    preflight on the same stack."""
    rendering = stack.rendering
    deployment = rendering.object("Deployment")
    config_maps = {
        rendering.object("ConfigMap")["metadata"]["name"]: rendering.object("ConfigMap")["data"],
        "alpha-ca": ca_config_map,
    }
    files: dict[str, str | bytes] = dict(pod_files(deployment, config_maps))
    assert set(files) == {"/etc/vmcp-config/config.yaml", "/etc/toolhive/ca-bundles/alpha/ca.crt"}
    files["/etc/mcp-test/alpha.crt"] = pki["alpha.crt"]
    files["/etc/mcp-test/alpha.key"] = pki["alpha.key"]
    files.update(stack.files)
    env = pod_env(deployment, {"alpha-credentials": {"api-key": API_KEY}})
    logs = workdir / "logs"
    logs.mkdir(parents=True)
    with Sandbox(workdir / "sandbox", files, HOSTS) as sandbox:
        sandbox.add_address(ADDRESS)
        backend = [sys.executable, str(HERE / "mcp_backend.py"), "--host", ADDRESS]
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
            sandbox.wait_for_port(port, address=ADDRESS)
        with (logs / "vmcp.log").open("wb") as out:
            # exactly the pod's command line and env: nothing inherited from this process
            sandbox.start(pod_argv(deployment, toolhive.vmcp), env=env, stdout=out, stderr=out)
        sandbox.wait_for_port(VMCP_PORT)
        _wait_ready(sandbox)
        calls = [["alpha_echo", {"text": "hello"}], ["beta_add", {"a": 2, "b": 40}],
                 [COMPOSITE, {"a": 2, "b": 40}]]  # fmt: skip
        probe = sandbox.run(
            [sys.executable, str(HERE / "mcp_probe.py"), f"http://127.0.0.1:{VMCP_PORT}/mcp",
             json.dumps(calls)], timeout=120,
        )  # fmt: skip
        preflight = sandbox.run(
            [sys.executable, "-m", "vmcp_components", "preflight", "--stack", STACK,
             "--snapshot", SNAPSHOT, "--json"],
            env=clock.subprocess_env(stack.rendered_at), timeout=120,
        )  # fmt: skip
    vmcp_log = (logs / "vmcp.log").read_text()
    assert probe.returncode == 0, f"{probe.stderr[-3000:]}\nvmcp:\n{vmcp_log[-3000:]}"
    assert preflight.returncode in (0, 1), preflight.stderr[-3000:]
    headers = {
        name: [
            json.loads(line)["headers"]
            for line in (logs / f"{name}.jsonl").read_text().splitlines()
        ]
        for name in ("alpha", "beta")
    }
    return LiveRun(json.loads(probe.stdout), vmcp_log, headers, json.loads(preflight.stdout))


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    return make_pki(tmp_path / "pki")


Seeder = Callable[[str], tuple[Stack, dict[str, str]]]


@pytest.fixture
def seed_and_render(
    cluster: Cluster, client: Client, namespace: str, pki: dict[str, str], tmp_path: Path
) -> Seeder:
    """Seed the group with the named CA file in `alpha-ca`; the stack and that ConfigMap."""
    issued = x509.load_pem_x509_certificate(pki["ca.crt"].encode()).not_valid_before_utc

    def run(ca_file: str) -> tuple[Stack, dict[str, str]]:
        seed(client, group_objects(namespace, pki[ca_file]))
        # The real vmcp checks these certificates against the real clock, and make_pki issued
        # them for two days from now: the render checks them a minute into their validity.
        stack = render_from_cluster(
            cluster, namespace, tmp_path / "project", issued + timedelta(minutes=1)
        )
        assert stack.rendering.status["skippedBackends"] == []
        return stack, client.get(ConfigMap, "alpha-ca", namespace=namespace).data or {}

    return run


def served_names(report: dict[str, Any]) -> list[str]:
    """The tool names preflight predicts vmcp serves."""
    return sorted(tool["name"] for tool in report["servedTools"])


def test_vmcp_serves_both_backends_through_our_ca_volume_and_headers(
    seed_and_render: Seeder, real_toolhive: ToolHive, tmp_path: Path, pki: dict[str, str]
) -> None:
    stack, ca = seed_and_render("ca.crt")
    live = run_live(real_toolhive, tmp_path / "good", stack, ca, pki)

    assert live.probe["tools"] == [
        "alpha_add", "alpha_echo", "beta_add", "beta_echo", COMPOSITE
    ]  # fmt: skip
    assert live.probe["calls"][:2] == [
        {"tool": "alpha_echo", "error": False, "text": "alpha: hello"},
        {"tool": "beta_add", "error": False, "text": "42"},
    ]
    composite = live.probe["calls"][2]
    assert composite["error"] is False, composite
    # beta added, alpha echoed beta's answer: both backends, through vmcp's workflow engine
    assert json.loads(composite["text"]) == {"sum": 42, "echoed": "alpha: the sum is 42"}
    assert served_names(live.preflight) == live.probe["tools"]
    assert live.preflight["passed"] is True, live.preflight
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
    stack, ca = seed_and_render("other-ca.crt")
    live = run_live(real_toolhive, tmp_path / "wrong-ca", stack, ca, pki)

    assert "certificate signed by unknown authority" in live.vmcp_log
    # alpha's tools are gone, and with them the composite tool, whose echo step has no route
    assert live.probe["tools"] == ["beta_add", "beta_echo"]
    alpha_call, beta_call, composite_call = live.probe["calls"]
    assert alpha_call["error"] is True
    assert beta_call == {"tool": "beta_add", "error": False, "text": "42"}
    assert composite_call["error"] is True
    assert served_names(live.preflight) == live.probe["tools"]
    [alpha] = [b for b in live.preflight["backends"] if b["name"] == "alpha"]
    assert alpha["result"] == "tls-verify", alpha
    assert [w["tool"] for w in live.preflight["withheldTools"]] == [COMPOSITE]
    assert not live.headers["alpha"], "no request reached alpha over a refused TLS handshake"

"""`vmcp-components preflight` against real MCP servers made here, in a private network namespace.

The backends (tests/preflight/servers.py: the `mcp` SDK's streamable HTTP and SSE servers, one
behind TLS from a test CA, and servers that answer 401, 404, HTML, nothing at all) listen on
198.18.0.1, an address of the benchmarking range that the SSRF rules allow, added to the
sandbox's loopback interface; the sandbox's own /etc/hosts names them (`*.mcp.test`). The
machine's network and /etc/hosts are never touched (tests/e2e/toolhive.py `Sandbox`, root).
Preflight runs as the real command, inside the same sandbox.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.toolhive import Sandbox
from tests.preflight.pki import make_pki
from vmcp_components.preflight.report import PASSING

HERE = Path(__file__).resolve().parent
ADDRESS = "198.18.0.1"
NAMESPACE = "tools"
GROUP = "team"
API_KEY = "the-api-key-value-4711"
NAMES = ("plain", "sse", "tls", "wrongca", "unauthorized", "missing", "html", "stall", "closed",
         "keyed", "exchange", "token")  # fmt: skip
HOSTS = {f"{name}.mcp.test": ADDRESS for name in NAMES} | {"loopback.mcp.test": "127.0.0.1"}
SNAPSHOT = "/etc/preflight-test/snapshot.yaml"  # /tmp is the sandbox's own tmpfs
PORTS = (8001, 8002, 8443, 8004, 8005, 8006, 8007, 8008)


def entry(name: str, url: str, transport: str = "streamable-http", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "MCPServerEntry",
        "metadata": {"name": name},
        "spec": {"remoteUrl": url, "transport": transport, "groupRef": {"name": GROUP}, **spec},
    }


def snapshot(ca_pem: str, other_ca_pem: str) -> str:
    def ca(name: str) -> dict[str, Any]:
        return {"caBundleRef": {"configMapRef": {"name": name, "key": "ca.crt"}}}

    items = [
        {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPGroup",
         "metadata": {"name": GROUP}, "spec": {}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "test-ca"},
         "data": {"ca.crt": ca_pem}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other-ca"},
         "data": {"ca.crt": other_ca_pem}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keyed-credentials"},
         "data": {"api-key": "cGxhY2Vob2xkZXI="}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "exchange-oauth"},
         "data": {"client-secret": "cGxhY2Vob2xkZXI="}},
        {"apiVersion": "toolhive.stacklok.dev/v1beta1", "kind": "MCPExternalAuthConfig",
         "metadata": {"name": "exchange-auth"},
         "spec": {"type": "tokenExchange", "tokenExchange": {
             "tokenUrl": "http://token.mcp.test:8001/token", "clientId": "vmcp",
             "clientSecretRef": {"name": "exchange-oauth", "key": "client-secret"}}}},
        entry("plain", "http://plain.mcp.test:8001/mcp"),
        entry("sse", "http://sse.mcp.test:8002/sse", "sse"),
        entry("tls", "https://tls.mcp.test:8443/mcp", **ca("test-ca")),
        entry("wrongca", "https://tls.mcp.test:8443/mcp", **ca("other-ca")),
        entry("unauthorized", "http://unauthorized.mcp.test:8004/mcp"),
        entry("missing", "http://missing.mcp.test:8005/mcp"),
        entry("html", "http://html.mcp.test:8006/mcp"),
        entry("stall", "http://stall.mcp.test:8007/mcp"),
        entry("closed", "http://closed.mcp.test:8009/mcp"),
        entry("loopback", "http://loopback.mcp.test:8001/mcp"),
        entry("nowhere", "http://nowhere.mcp.test:8001/mcp"),
        entry("incluster", "http://tools.team.svc:8080/mcp", allowPrivateEndpoint=True),
        entry("keyed", "http://keyed.mcp.test:8008/mcp", headerForward={
            "addPlaintextHeaders": {"X-Tenant": "t1"},
            "addHeadersFromSecret": [{"headerName": "X-Api-Key", "valueSecretRef": {
                "name": "keyed-credentials", "key": "api-key"}}]}),
        entry("exchange", "http://exchange.mcp.test:8004/mcp",
              externalAuthConfigRef={"name": "exchange-auth"}),
    ]  # fmt: skip
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})


@dataclass
class Backends:
    sandbox: Sandbox
    snapshot: Path
    log: Path

    def run(self, *argv: str, timeout: float = 120) -> Any:
        return self.sandbox.run([sys.executable, *argv], env=dict(os.environ), timeout=timeout)

    def preflight(self, *options: str) -> Any:
        return self.run(
            "-m", "vmcp_components", "preflight", "--snapshot", str(self.snapshot),
            "--name", "pre", "--namespace", NAMESPACE, "--group", GROUP, *options,
        )  # fmt: skip

    def requests(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    root = tmp_path_factory.mktemp("preflight")
    pki = make_pki("tls.mcp.test")
    files = {"/etc/preflight-test/server.crt": pki.server_cert_pem,
             "/etc/preflight-test/server.key": pki.server_key_pem,
             SNAPSHOT: snapshot(pki.ca_pem, pki.other_ca_pem)}  # fmt: skip
    log = root / "requests.jsonl"
    with Sandbox(root / "sandbox", files, HOSTS) as sandbox:
        sandbox.add_address(ADDRESS)
        with log.open("wb") as out, (root / "servers.log").open("wb") as err:
            sandbox.start(
                [sys.executable, str(HERE / "servers.py"), ADDRESS,
                 "/etc/preflight-test/server.crt", "/etc/preflight-test/server.key", API_KEY],
                env=os.environ, stdout=out, stderr=err,
            )  # fmt: skip
        for port in PORTS:
            sandbox.wait_for_port(port, address=ADDRESS)
        yield Backends(sandbox, Path(SNAPSHOT), log)


EXPECTED = {
    "plain": ("ok", ""),
    "sse": ("ok", ""),
    "tls": ("ok", ""),
    "wrongca": ("tls-verify", "unable to get local issuer certificate"),
    "unauthorized": ("http", 'HTTP 401 from POST /mcp (WWW-Authenticate: Bearer realm="mcp")'),
    "missing": ("http", "HTTP 404 from POST /mcp"),
    "html": ("not-mcp", "POST /mcp answered 200 with text/html"),
    "stall": ("timeout", "no answer within 3 s (MCP initialize)"),
    "closed": ("tcp", f"{ADDRESS}:8009: Connection refused"),
    "loopback": ("ssrf", "loopback.mcp.test resolves to 127.0.0.1, which the SSRF rules refuse"),
    "nowhere": ("dns", "nowhere.mcp.test does not resolve"),
    "incluster": ("unreachable-from-here", "in-cluster name tools.team.svc does not resolve"),
    "keyed": ("auth-required", "HTTP 401 from POST /mcp (WWW-Authenticate: ApiKey)"),
    "exchange": ("auth-required", "without a user's token, as expected"),
}


@pytest.fixture(scope="module")
def json_run(backends: Backends) -> Any:
    """One `preflight --json --timeout 3` of the whole group (the tests below read it)."""
    return backends.preflight("--json", "--timeout", "3")


def test_every_backend_gets_its_result_class(json_run: Any) -> None:
    assert json_run.returncode == 1, json_run.stderr
    report = json.loads(json_run.stdout)
    results = {b["name"]: b for b in report["backends"]}
    assert set(results) == set(EXPECTED)
    for name, (result, reason) in EXPECTED.items():
        assert results[name]["result"] == result, (name, results[name])
        assert reason in results[name]["reason"], (name, results[name])
    assert results["plain"]["tools"] == ["echo", "add"]
    assert results["tls"]["toolCount"] == 2
    assert results["plain"]["latencyMs"] > 0
    assert results["keyed"]["notes"] == [
        "probed without its Secret header(s) X-Api-Key (add --with-secrets)"
    ]
    assert report["passed"] is False
    # the probes run side by side: the stalled one's deadline bounds the run, not the sum
    assert 3 <= report["seconds"] < 3 + 2


def test_it_never_connects_where_the_ssrf_rules_refuse(backends: Backends, json_run: Any) -> None:
    assert json.loads(json_run.stdout)["backends"]
    assert not any(r.get("loopback") for r in backends.requests())


def test_the_tools_vmcp_would_serve_and_the_collisions(json_run: Any) -> None:
    report = json.loads(json_run.stdout)

    served = [(t["name"], t["backend"]) for t in report["servedTools"]]
    assert served == [
        ("plain_add", "plain"), ("plain_echo", "plain"), ("sse_add", "sse"),
        ("sse_echo", "sse"), ("tls_echo", "tls"), ("tls_search", "tls"),
    ]  # fmt: skip
    collisions = {c["tool"]: c for c in report["collisions"]}
    assert collisions["echo"]["backends"] == ["plain", "sse", "tls"]
    assert collisions["echo"]["outcome"] == "prefixed: plain_echo, sse_echo, tls_echo"
    assert not any(c["fatal"] for c in report["collisions"])


def test_the_table_for_people(backends: Backends) -> None:
    run = backends.preflight("--timeout", "3")

    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "BACKEND",
        "KIND",
        "TRANSPORT",
        "RESULT",
        "LATENCY",
        "TOOLS",
        "DETAIL",
    ]
    wrong = next(line for line in lines if line.startswith("wrongca "))
    assert "tls-verify" in wrong
    assert "unable to get local issuer certificate" in wrong
    assert "  plain_echo  <- plain: echo" in lines
    assert lines[-1].startswith("preflight FAILED: 14 backends (")


def test_secret_headers_are_sent_and_never_shown(backends: Backends) -> None:
    secrets = json.dumps({"keyed-credentials/api-key": API_KEY})
    run = backends.run(str(HERE / "drive.py"), str(backends.snapshot), NAMESPACE, GROUP, secrets)

    assert run.returncode == 0, run.stderr
    keyed = next(b for b in json.loads(run.stdout)["backends"] if b["name"] == "keyed")
    assert (keyed["result"], keyed["tools"], keyed["notes"]) == ("ok", ["secret_tool"], [])
    assert API_KEY not in run.stdout + run.stderr
    reached = [r for r in backends.requests() if r.get("port") == 8008]
    assert any("x-api-key" in r["headers"] and "x-tenant" in r["headers"] for r in reached)
    others = [r for r in backends.requests() if r.get("port") not in (8008, None)]
    assert not any("x-api-key" in r.get("headers", []) for r in others)


def component(backends: Backends, mode: str) -> dict[str, Any]:
    run = backends.run(
        str(HERE / "component_run.py"), str(backends.snapshot), NAMESPACE, GROUP, mode
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_component_preflight_strict_fails_before_any_change(backends: Backends) -> None:
    outcome = component(backends, "strict")

    assert [c for c in outcome["creates"] if c.startswith("kubernetes:")] == []
    assert "VirtualMCPServer pre: preflight failed: " in outcome["error"]
    assert (
        'backend "wrongca": tls-verify: unable to get local issuer certificate' in outcome["error"]
    )


def test_component_preflight_warn_warns_and_deploys(backends: Backends) -> None:
    outcome = component(backends, "warn")

    assert outcome["error"] is None
    assert "kubernetes:core/v1:ConfigMap" in outcome["creates"]
    warnings = [w for w in outcome["warnings"] if w.startswith("preflight: ")]
    assert 'preflight: backend "missing": http: HTTP 404 from POST /mcp' in warnings
    failed = [n for n, (result, _) in EXPECTED.items() if result not in PASSING]
    assert len(warnings) == len(failed) == 8  # one per failed backend

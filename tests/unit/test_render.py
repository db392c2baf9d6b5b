"""The render result: status records and the refusals (DESIGN "Decisions", reference §3.2).

Checks: the status keys and record fields, backendCount equal to the backends in config.yaml,
configChecksum equal to the ConfigMap annotation, the Service URL; and the RenderErrors: zero
usable backends (upstream's message, with the skips), `strict` with a skip, a group too large
for one ConfigMap (size in bytes, the 1048576-byte limit), a Deployment too large for etcd.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests import factories
from tests.factories import GROUP, NAMESPACE
from tests.unit.helpers import CHECKSUM_ANNOTATION, config_of, render_checked
from vmcp_components.core.render import RenderError

Raw = dict[str, Any]


def _group() -> list[Raw]:
    return [
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.secret("oauth-client", {"client-secret": "dg=="}),
        factories.token_exchange("sso"),
        factories.entry("context7", url="https://mcp.context7.com/mcp", phase="Valid"),
        factories.entry("internal-mcp", ca=("corp-ca", "ca.crt"), auth="sso", transport="sse"),
        factories.server("github-mcp"),
        factories.proxy("jira", url="http://jira-proxy.tools:8080/mcp", phase=None),
        factories.entry("metadata", url="http://169.254.169.254/"),
        factories.server("pending-server", url=None, phase="Pending"),
    ]


# ─── status ───


def test_status_has_exactly_the_stack_output_keys() -> None:
    status = render_checked(factories.inventory(*_group())).status
    assert set(status) == {
        "discoveredBackends",
        "backendCount",
        "skippedBackends",
        "configChecksum",
        "url",
    }
    json.dumps(status)  # stack outputs and the status file are JSON


def test_discovered_backend_records() -> None:
    records = render_checked(factories.inventory(*_group())).status["discoveredBackends"]
    assert records == [
        {
            "name": "context7",
            "kind": "MCPServerEntry",
            "type": "entry",
            "url": "https://mcp.context7.com/mcp",
            "transport": "streamable-http",
            "status": "ready",
            "authType": None,
            "caBundlePath": None,
            "message": "operator phase Valid",
        },
        {
            "name": "github-mcp",
            "kind": "MCPServer",
            "type": "container",
            "url": f"http://mcp-github-mcp-proxy.{NAMESPACE}.svc.cluster.local:8080/mcp",
            "transport": "streamable-http",
            "status": "ready",
            "authType": None,
            "caBundlePath": None,
            "message": "operator phase Running",
        },
        {
            "name": "internal-mcp",
            "kind": "MCPServerEntry",
            "type": "entry",
            "url": "https://internal-mcp.example.com/mcp",
            "transport": "sse",
            "status": "unknown",
            "authType": "token_exchange",
            "caBundlePath": "/etc/toolhive/ca-bundles/internal-mcp/ca.crt",
            "message": "no status from the ToolHive operator; checked by vmcp-components",
        },
        {
            "name": "jira",
            "kind": "MCPRemoteProxy",
            "type": "proxy",
            "url": "http://jira-proxy.tools:8080/mcp",
            "transport": "streamable-http",
            "status": "unknown",
            "authType": None,
            "caBundlePath": None,
            "message": "no status from the ToolHive operator; checked by vmcp-components",
        },
    ]


def test_skipped_backend_records() -> None:
    skipped = render_checked(factories.inventory(*_group())).status["skippedBackends"]
    assert [set(item) for item in skipped] == [{"name", "kind", "reason"}] * 2
    assert [(s["name"], s["kind"]) for s in skipped] == [
        ("metadata", "MCPServerEntry"),
        ("pending-server", "MCPServer"),
    ]
    assert all(s["reason"] for s in skipped)


def test_backend_count_checksum_and_url() -> None:
    rendering = render_checked(factories.inventory(*_group()))
    status = rendering.status
    assert status["backendCount"] == len(config_of(rendering)["backends"]) == 4
    config_map = rendering.object("ConfigMap")
    assert status["configChecksum"] == config_map["metadata"]["annotations"][CHECKSUM_ANNOTATION]
    assert re.fullmatch(r"[0-9a-f]{64}", status["configChecksum"])
    assert status["url"] == f"http://vmcp-eng-tools.{NAMESPACE}.svc.cluster.local:4483"


def test_url_follows_name_and_namespace() -> None:
    objects = [factories.group(namespace="team-b"), factories.entry("e", namespace="team-b")]
    rendering = render_checked(
        factories.inventory(*objects, namespace="team-b"), name="tools", namespace="team-b"
    )
    assert rendering.status["url"] == "http://vmcp-tools.team-b.svc.cluster.local:4483"
    assert {o["metadata"]["namespace"] for o in rendering.objects} == {"team-b"}


# ─── refusals ───


def test_zero_usable_backends_is_refused_with_upstreams_meaning() -> None:
    inventory = factories.inventory(
        factories.group(),
        factories.entry("local", url="http://localhost/mcp"),
        factories.server("not-yet", url=None),
    )
    with pytest.raises(RenderError) as caught:
        render_checked(inventory)
    message = str(caught.value)
    assert message.startswith(
        "static mode requires at least one backend with valid transport "
        f"([sse streamable-http]), but none were discovered in group {GROUP} "
        f"(namespace {NAMESPACE}); skipped: "
    )
    assert 'MCPServerEntry "local": remote URL host is not allowed' in message
    assert 'MCPServer "not-yet": MCPServer has no status.url yet' in message


def test_an_empty_group_is_refused() -> None:
    with pytest.raises(RenderError, match=r"none were discovered in group engineering-team"):
        render_checked(factories.inventory(factories.group()))


def test_strict_refuses_any_skip_and_lists_it() -> None:
    with pytest.raises(RenderError) as caught:
        render_checked(factories.inventory(*_group()), strict=True)
    assert str(caught.value) == (
        f"strict mode: 2 member(s) of group {GROUP} would be skipped: "
        'MCPServerEntry "metadata": remote URL host is not allowed: IP address 169.254.169.254 '
        "falls within blocked range 169.254.0.0/16; it is never allowed, allowPrivateEndpoint "
        "does not change that; point remoteUrl at the MCP server itself; "
        'MCPServer "pending-server": MCPServer has no status.url yet; the ToolHive operator '
        "sets it once the workload runs"
    )


def test_strict_without_skips_renders() -> None:
    objects = [o for o in _group() if o["metadata"]["name"] not in ("metadata", "pending-server")]
    rendering = render_checked(factories.inventory(*objects), strict=True)
    assert rendering.status["skippedBackends"] == []


def _big_entries(count: int, annotation: str) -> list[Raw]:
    return [
        factories.entry(f"entry-{i:03d}", annotations={"example.com/notes": annotation})
        for i in range(count)
    ]


def _size_in(message: str) -> tuple[int, int]:
    found = re.search(
        r"would be (\d+) bytes for (\d+) backends, over the 1048576-byte limit", message
    )
    assert found, message
    return int(found.group(1)), int(found.group(2))


def test_a_group_too_large_for_one_config_map_is_refused() -> None:
    # Annotations are copied into each backend's metadata: 40 x 30 KiB is over 1 MiB.
    inventory = factories.inventory(factories.group(), *_big_entries(40, "n" * 30_000))
    with pytest.raises(RenderError) as caught:
        render_checked(inventory)
    message = str(caught.value)
    assert message.startswith(
        "group too large: the data of ConfigMap eng-tools-vmcp-config would be "
    )
    size, backends = _size_in(message)
    assert backends == 40
    assert 40 * 30_000 < size < 40 * 31_000
    assert message.endswith("split the group into several groups, each with its own vMCP")


def test_a_group_just_under_the_limit_renders() -> None:
    rendering = render_checked(
        factories.inventory(factories.group(), *_big_entries(33, "n" * 30_000))
    )
    text = rendering.object("ConfigMap")["data"]["config.yaml"]
    assert len("config.yaml") + len(text.encode()) <= 1024 * 1024


def test_the_config_map_limit_counts_bytes_not_characters() -> None:
    # 20 x 30,000 two-byte characters: 600,000 characters but 1.2 MB of UTF-8.
    inventory = factories.inventory(factories.group(), *_big_entries(20, "é" * 30_000))
    with pytest.raises(RenderError) as caught:
        render_checked(inventory)
    size, backends = _size_in(str(caught.value))
    assert backends == 20
    assert size > 1024 * 1024


def test_a_deployment_too_large_for_etcd_is_refused() -> None:
    # Header-forward values travel in the Deployment env, not in config.yaml.
    entries = [
        factories.entry(f"entry-{i:02d}", plaintext={"X-Blob": "b" * 100_000}) for i in range(17)
    ]
    with pytest.raises(RenderError) as caught:
        render_checked(factories.inventory(factories.group(), *entries))
    message = str(caught.value)
    assert message.startswith("group too large: Deployment eng-tools would be stored as about ")
    assert "for 17 backends, over etcd's default request limit of 1572864 bytes" in message

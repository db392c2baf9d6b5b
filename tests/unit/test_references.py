"""The one reference walk (what a member or auth config uses) and malformed reference shapes.

Checks: an entry uses its auth config, its CA ConfigMap key (`ca.crt` when the key is empty)
and the Secret keys of its headers, each with what it is for; an MCPServer or MCPRemoteProxy
uses only its auth config; an auth config uses only the Secret of the section its type
selects; and a member whose reference is the wrong shape (a string where an object belongs)
is a skip with the schema problem, in the CLI and in discovery alike, never a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import factories
from tests.unit.helpers import example_arguments
from vmcp_components.cli import main
from vmcp_components.core.backends.read_plan import InventoryDiscovery
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import (
    MCP_EXTERNAL_AUTH_CONFIG,
    MCP_SERVER,
    MCP_SERVER_ENTRY,
)
from vmcp_components.core.cluster.references import (
    ConfigMapKeyUse,
    References,
    SecretKeyUse,
    references,
)

NS = factories.NAMESPACE
Raw = dict[str, Any]


def _parsed(inventory: Inventory, name: str) -> Any:
    for kind in (MCP_SERVER_ENTRY, MCP_SERVER, MCP_EXTERNAL_AUTH_CONFIG):
        found = inventory.get(kind, name)
        if found is not None:
            return found
    raise AssertionError(name)


def test_an_entry_uses_its_auth_config_ca_key_and_header_secrets() -> None:
    raw = factories.entry(
        "e",
        auth="the-auth",
        ca=("corp-ca", ""),
        secret_headers=[("X-B", "s2", "k2"), ("Authorization", "s1", "k1")],
    )
    uses = references(_parsed(factories.inventory(raw), "e"))
    assert uses == References(
        auth_config="the-auth",
        ca_bundle=ConfigMapKeyUse("corp-ca", "ca.crt"),
        secret_keys=(
            SecretKeyUse("s2", "k2", 'header "X-B"'),
            SecretKeyUse("s1", "k1", 'header "Authorization"'),
        ),
    )


def test_a_server_uses_only_its_auth_config() -> None:
    inventory = factories.inventory(factories.server("s", auth="a"), factories.server("t"))
    assert references(_parsed(inventory, "s")) == References(auth_config="a")
    assert references(_parsed(inventory, "t")) == References()


def test_an_auth_config_uses_the_secret_of_its_type_only() -> None:
    both = factories.token_exchange("te", secret="client", key="cs")
    both["spec"]["headerInjection"] = {
        "headerName": "X-Key",
        "valueSecretRef": {"name": "unused", "key": "v"},
    }
    inventory = factories.inventory(
        both,
        factories.header_injection("hi", header="X-Key", secret="hs", key="hk"),
        factories.auth_config("open", auth_type="unauthenticated"),
    )
    assert references(_parsed(inventory, "te")).secret_keys == (
        SecretKeyUse("client", "cs", 'MCPExternalAuthConfig "te" clientSecretRef'),
    )
    assert references(_parsed(inventory, "hi")).secret_keys == (
        SecretKeyUse("hs", "hk", 'MCPExternalAuthConfig "hi" valueSecretRef'),
    )
    assert references(_parsed(inventory, "open")) == References()


# ─── malformed reference shapes ───

MALFORMED = [
    pytest.param("caBundleRef", "corp-ca", id="caBundleRef-string"),
    pytest.param("caBundleRef", {"configMapRef": "corp-ca"}, id="configMapRef-string"),
    pytest.param("headerForward", "Authorization", id="headerForward-string"),
    pytest.param(
        "headerForward", {"addHeadersFromSecret": ["Authorization"]}, id="header-item-string"
    ),
    pytest.param("externalAuthConfigRef", "the-auth", id="auth-ref-string"),
]


def _group_with_bad_entry(field: str, value: object) -> list[Raw]:
    bad = factories.entry("bad")
    bad["spec"][field] = value
    return [factories.group(), factories.entry("good"), bad]


@pytest.mark.parametrize(("field", "value"), MALFORMED)
def test_a_malformed_reference_is_a_skip_in_the_cli(
    field: str, value: object, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(yaml.safe_dump_all(_group_with_bad_entry(field, value)))
    status_file = tmp_path / "status.json"

    assert main([*example_arguments(snapshot), "--status-file", str(status_file)]) == 0

    status = json.loads(status_file.read_text())
    assert [b["name"] for b in status["discoveredBackends"]] == ["good"]
    [skipped] = status["skippedBackends"]
    assert skipped["name"] == "bad"
    assert skipped["reason"].startswith(f"invalid MCPServerEntry 'bad': spec.{field}")


@pytest.mark.parametrize(("field", "value"), MALFORMED)
def test_a_malformed_reference_is_read_and_skipped_by_discovery(field: str, value: object) -> None:
    inventory = factories.inventory(*_group_with_bad_entry(field, value))
    plan = InventoryDiscovery(inventory).discover(NS, factories.GROUP, None, [])
    assert plan.members["MCPServerEntry"] == ("bad", "good")
    assert (plan.auth_configs, plan.config_maps, dict(plan.secret_keys)) == ((), (), {})

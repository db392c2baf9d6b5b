"""Reading a snapshot into an Inventory (DESIGN "Snapshot", the offline render contract).

Checks: `kind: List`, multi-document YAML and nested Lists give the same inventory; text that
is not YAML fails with line and column; documents that are not Kubernetes objects (scalars,
sequences, no kind/apiVersion/metadata.name) fail naming the object's index; other namespaces
and unknown kinds are ignored; an object without metadata.namespace belongs to the given
namespace; the same kind+name twice is an error; a wrong apiVersion for a known kind is an
error; Secrets keep key names only, so a Secret value appears nowhere: not in the Inventory,
not in any rendered object, not in the status.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from tests import factories
from tests.unit.helpers import render_checked
from vmcp_components.cli import dump_objects
from vmcp_components.core.cluster.inventory import Inventory, SnapshotError
from vmcp_components.core.cluster.kinds import MCP_GROUP, MCP_SERVER, MCP_SERVER_ENTRY
from vmcp_components.core.cluster.models import Malformed, MCPServer
from vmcp_components.core.cluster.snapshot import load_snapshot

NS = factories.NAMESPACE


def _as_list(*objects: dict[str, Any]) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": list(objects)})


def _as_documents(*objects: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(objects))


def _small_group() -> list[dict[str, Any]]:
    return [
        factories.group(),
        factories.entry("context7", url="https://mcp.context7.com/mcp", phase="Valid"),
        factories.server("github-mcp"),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.secret("creds", {"token": "c2VjcmV0"}),
    ]


def _shape(inventory: Inventory) -> tuple[Any, ...]:
    return (
        inventory.namespace,
        {kind: dict(objects) for kind, objects in inventory.toolhive.items()},
        {name: dict(data) for name, data in inventory.config_maps.items()},
        dict(inventory.secret_keys),
    )


# ─── document forms ───


def test_kind_list_is_read() -> None:
    inventory = load_snapshot(_as_list(*_small_group()), NS)

    assert inventory.namespace == NS
    assert set(inventory.toolhive) == {"MCPGroup", "MCPServerEntry", "MCPServer"}
    assert set(inventory.of_kind(MCP_SERVER_ENTRY)) == {"context7"}
    assert inventory.get(MCP_SERVER, "github-mcp") == MCPServer.model_validate(
        factories.server("github-mcp")
    )
    assert inventory.config_maps == {"corp-ca": {"ca.crt": factories.ca_pem()}}
    assert inventory.secret_keys == {"creds": frozenset({"token"})}


def test_each_object_is_parsed_where_the_inventory_is_built() -> None:
    """A malformed member is kept as Malformed with its precise problem and the group it names."""
    bad = factories.entry("bad", transport=None)
    bad["spec"]["caBundleRef"] = "corp-ca"  # a string where an object belongs
    inventory = load_snapshot(_as_list(factories.group(), bad), NS)

    assert inventory.get(MCP_SERVER_ENTRY, "bad") == Malformed(
        kind="MCPServerEntry",
        name="bad",
        problem="MCPServerEntry 'bad': spec.transport: Field required; "
        "spec.caBundleRef: Input should be a valid dictionary or instance of CABundleSource "
        "(got 'corp-ca'); write a mapping of keys to values (key: value)",
        group=factories.GROUP,
    )


def test_multi_document_yaml_gives_the_same_inventory_as_a_list() -> None:
    from_list = load_snapshot(_as_list(*_small_group()), NS)
    from_documents = load_snapshot(_as_documents(*_small_group()), NS)
    assert _shape(from_documents) == _shape(from_list)


def test_nested_lists_and_empty_documents_are_flattened() -> None:
    objects = _small_group()
    inner = {"apiVersion": "v1", "kind": "List", "metadata": {}, "items": objects[2:]}
    text = "---\n" + _as_documents(
        {"apiVersion": "v1", "kind": "List", "items": [objects[0], inner]},
        objects[1],
    )
    text += "---\n# only a comment\n---\n"

    assert _shape(load_snapshot(text, NS)) == _shape(load_snapshot(_as_list(*objects), NS))


def test_a_list_without_items_is_refused() -> None:
    with pytest.raises(SnapshotError, match="'kind: List' document has no 'items' list"):
        load_snapshot("apiVersion: v1\nkind: List\nitems: 3\n", NS)


# ─── bad input ───


def test_text_that_is_not_yaml_reports_line_and_column() -> None:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot("apiVersion: v1\n\tkind: List\n", NS, source="snap.yaml")
    message = str(caught.value)
    assert message.startswith("snap.yaml: not valid YAML at line 2, column 1: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    "text", ["", "# nothing here\n", "---\n---\n", "apiVersion: v1\nkind: List\nitems: []\n"]
)
def test_a_snapshot_without_objects_is_refused(text: str) -> None:
    with pytest.raises(SnapshotError, match=r"^snapshot: holds no Kubernetes objects$"):
        load_snapshot(text, NS)


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        (["just a string"], r"object #1: expected a Kubernetes object \(a mapping\), got str"),
        ([[1, 2]], r"object #1: expected a Kubernetes object \(a mapping\), got list"),
        ([{"kind": "ConfigMap", "metadata": {"name": "x"}}], "object #1: not a Kubernetes object"),
        (
            [{"apiVersion": "v1", "metadata": {"name": "x"}}],
            "object #1: not a Kubernetes object",
        ),
        (
            [factories.group(), {"apiVersion": "v1", "kind": "ConfigMap", "data": {}}],
            "object #2: ConfigMap has no metadata.name",
        ),
        (
            [
                factories.group(),
                factories.entry("e"),
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": ""}},
            ],
            "object #3: Secret has no metadata.name",
        ),
        (
            [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 7}}],
            "object #1: ConfigMap has no metadata.name",
        ),
        (
            [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": 3}}],
            "object #1: ConfigMap 'x' has a non-string metadata.namespace",
        ),
    ],
)
def test_documents_that_are_not_kubernetes_objects_are_refused_with_their_index(
    documents: list[Any], expected: str
) -> None:
    with pytest.raises(SnapshotError, match=expected):
        load_snapshot(_as_documents(*documents), NS)


def test_object_index_counts_list_items_across_documents() -> None:
    text = (
        _as_list(factories.group(), factories.entry("e"))
        + "---\n"
        + _as_documents({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    )
    with pytest.raises(SnapshotError, match=r"^snapshot: object #3: ConfigMap has no metadata"):
        load_snapshot(text, NS)


@pytest.mark.parametrize(
    ("obj", "expected_api_versions"),
    [
        (
            dict(factories.entry("e"), apiVersion="toolhive.stacklok.dev/v2"),
            "toolhive.stacklok.dev/v1beta1",
        ),
        (dict(factories.group(), apiVersion="v1beta1"), "toolhive.stacklok.dev/v1alpha1"),
        (dict(factories.config_map("c", {}), apiVersion="apps/v1"), "'v1'"),
        (dict(factories.secret("s", {}), apiVersion="v2"), "'v1'"),
    ],
)
def test_a_wrong_api_version_for_a_known_kind_is_an_error(
    obj: dict[str, Any], expected_api_versions: str
) -> None:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(_as_documents(obj), NS)
    message = str(caught.value)
    assert f"({obj['kind']} '{obj['metadata']['name']}')" in message
    assert f"apiVersion {obj['apiVersion']!r} is not one of" in message
    assert expected_api_versions in message


def test_v1alpha1_toolhive_objects_are_accepted() -> None:
    old = dict(factories.entry("e"), apiVersion="toolhive.stacklok.dev/v1alpha1")
    inventory = load_snapshot(_as_documents(factories.group(), old), NS)
    assert set(inventory.of_kind(MCP_SERVER_ENTRY)) == {"e"}


@pytest.mark.parametrize(
    ("kind", "section"),
    [("Secret", "data"), ("Secret", "stringData"), ("ConfigMap", "data")],
)
def test_core_objects_with_a_non_mapping_data_section_are_refused(kind: str, section: str) -> None:
    obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}, section: ["a", "b"]}
    with pytest.raises(
        SnapshotError, match=f"object #2 \\({kind} 'x'\\): {section} is not a mapping"
    ):
        load_snapshot(_as_documents(factories.group(), obj), NS)


# ─── scope ───


def test_other_namespaces_and_unknown_kinds_are_ignored() -> None:
    text = _as_documents(
        factories.group(),
        factories.entry("mine"),
        factories.entry("theirs", namespace="other-team"),
        factories.group("other-group", namespace="other-team"),
        factories.secret("their-secret", {"k": "dg=="}, namespace="other-team"),
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}},
        # Unknown kinds are ignored before any other check, even odd ones.
        {"apiVersion": "weird", "kind": "Pod", "metadata": {"name": "p"}, "data": [1]},
    )
    inventory = load_snapshot(text, NS)

    assert set(inventory.toolhive) == {"MCPGroup", "MCPServerEntry"}
    assert set(inventory.of_kind(MCP_SERVER_ENTRY)) == {"mine"}
    assert set(inventory.of_kind(MCP_GROUP)) == {factories.GROUP}
    assert dict(inventory.config_maps) == {}
    assert dict(inventory.secret_keys) == {}


def test_an_object_without_namespace_belongs_to_the_given_namespace() -> None:
    text = _as_documents(factories.group(namespace=None), factories.entry("e", namespace=None))
    inventory = load_snapshot(text, "team-a")

    assert set(inventory.of_kind(MCP_GROUP)) == {factories.GROUP}
    assert set(inventory.of_kind(MCP_SERVER_ENTRY)) == {"e"}
    assert inventory.namespace == "team-a"


def test_same_name_in_another_namespace_or_kind_is_not_a_duplicate() -> None:
    text = _as_documents(
        factories.entry("dup"),
        factories.entry("dup", namespace="other-team"),
        factories.server("dup"),
        factories.config_map("dup", {}),
    )
    inventory = load_snapshot(text, NS)
    assert inventory.get(MCP_SERVER_ENTRY, "dup") is not None
    assert inventory.get(MCP_SERVER, "dup") is not None
    assert "dup" in inventory.config_maps


@pytest.mark.parametrize("second_namespace", [NS, None])
def test_the_same_kind_and_name_twice_is_an_error(second_namespace: str | None) -> None:
    text = _as_documents(
        factories.entry("dup"),
        factories.entry("dup", url="https://b.example.com/", namespace=second_namespace),
    )
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(text, NS, source="snap.yaml")
    assert str(caught.value) == (
        f"snap.yaml: MCPServerEntry 'dup' appears twice in namespace '{NS}'"
    )


# ─── Secrets: key names only ───

SECRET_VALUE = "s3cr3t-Value-That-Must-Not-Leak-7f1c"
SECRET_B64 = base64.b64encode(SECRET_VALUE.encode()).decode()


def _group_with_secrets() -> list[dict[str, Any]]:
    return [
        factories.group(),
        factories.secret(
            "api-creds",
            {"bearer-token": SECRET_B64},
            string_data={"extra": SECRET_VALUE},
        ),
        factories.secret("oauth-client", {"client-secret": SECRET_B64}),
        factories.token_exchange("salesforce-auth"),
        factories.entry(
            "internal-api",
            plaintext={"X-Tenant-ID": "tenant-123"},
            secret_headers=[("Authorization", "api-creds", "bearer-token")],
        ),
        factories.entry("salesforce-mcp", auth="salesforce-auth"),
    ]


def test_secrets_keep_key_names_only() -> None:
    inventory = load_snapshot(_as_list(*_group_with_secrets()), NS)

    assert dict(inventory.secret_keys) == {
        "api-creds": frozenset({"bearer-token", "extra"}),
        "oauth-client": frozenset({"client-secret"}),
    }
    assert "Secret" not in inventory.toolhive
    assert dict(inventory.config_maps) == {}
    assert SECRET_VALUE not in repr(inventory)
    assert SECRET_B64 not in repr(inventory)


def test_a_secret_value_appears_in_no_rendered_object_and_no_status() -> None:
    inventory = load_snapshot(_as_list(*_group_with_secrets()), NS)
    rendering = render_checked(inventory)

    # The secrets are used: the env vars reference them by name and key.
    assert rendering.status["backendCount"] == 2
    secret_refs = [
        env["valueFrom"]["secretKeyRef"]
        for container in rendering.object("Deployment")["spec"]["template"]["spec"]["containers"]
        for env in container["env"]
        if "valueFrom" in env
    ]
    assert {"name": "api-creds", "key": "bearer-token"} in secret_refs
    assert {"name": "oauth-client", "key": "client-secret"} in secret_refs

    for text in (dump_objects(rendering), json.dumps(rendering.status), repr(rendering)):
        assert SECRET_VALUE not in text
        assert SECRET_B64 not in text

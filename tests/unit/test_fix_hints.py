"""Every skip reason and error says how to fix it: the groups and namespaces there are for a
missing group, the keys a Secret or ConfigMap has for a missing key (names only, bounded)."""

from __future__ import annotations

import pytest

from tests import factories
from vmcp_components.core.backends.derivation import derive_backends
from vmcp_components.core.backends.membership import GroupError
from vmcp_components.core.cluster.inventory import build_inventory
from vmcp_components.errors import listing

NS = factories.NAMESPACE


def test_a_missing_group_lists_the_groups_of_the_namespace() -> None:
    inventory = factories.inventory(factories.group("alpha"), factories.group("beta"))
    with pytest.raises(GroupError) as raised:
        derive_backends(inventory, "qa-team")
    assert str(raised.value) == (
        f'MCPGroup "qa-team" not found in namespace "{NS}" (MCPGroups there: "alpha", "beta"); '
        "create the group, or set the group (and namespace) to an existing one"
    )


def test_a_missing_group_names_the_namespace_of_the_snapshot_that_has_it() -> None:
    objects = [factories.group("qa-team", namespace="qa"), factories.group("x", namespace="ops")]
    with pytest.raises(GroupError) as raised:
        derive_backends(build_inventory(NS, objects, "snapshot"), "qa-team")
    assert str(raised.value) == (
        f'MCPGroup "qa-team" not found in namespace "{NS}" (MCPGroups there: none); the '
        'snapshot has MCPGroup "qa-team" in namespace "qa"; create the group, or set the group '
        "(and namespace) to an existing one"
    )


def test_a_missing_group_lists_the_other_namespaces_of_the_snapshot() -> None:
    objects = [factories.group("x", namespace="ops"), factories.group("y", namespace="dev")]
    with pytest.raises(GroupError) as raised:
        derive_backends(build_inventory(NS, objects, "snapshot"), "qa-team")
    assert '; other namespaces in the snapshot: "dev", "ops"; create the group' in str(raised.value)


def test_a_missing_secret_key_lists_the_keys_there_and_never_a_value() -> None:
    entry = factories.entry("e", secret_headers=[("Authorization", "creds", "token")])
    secret = factories.secret("creds", {"tok": "c2VjcmV0LXZhbHVl", "api-key": "eA=="})
    result = derive_backends(factories.inventory(factories.group(), entry, secret), factories.GROUP)
    (skipped,) = result.skipped
    assert skipped.reason == (
        'Secret "creds" has no key "token" referenced for header "Authorization"; its keys are '
        '"api-key", "tok": add the key, or reference one of them'
    )
    assert "c2VjcmV0" not in skipped.reason


def test_a_listing_is_sorted_and_bounded() -> None:
    assert listing([]) == "none"
    assert listing(["b", "a", "a"]) == '"a", "b"'
    names = [f"k{i:02d}" for i in range(13)]
    assert listing(names) == ", ".join(f'"{n}"' for n in names[:10]) + " and 3 more"
    assert len(listing(["x" * 1000])) < 210

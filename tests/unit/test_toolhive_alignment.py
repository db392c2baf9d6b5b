"""What changed upstream by ToolHive v0.63.0, mirrored here (reference/real-upstream.md §2).

- `config.yaml` carries no runtime state: an operator phase change (Pending -> Valid, Running ->
  Failed) leaves the config and its checksum alone, so it never rolls the vMCP pods; the phase
  stays visible in `discoveredBackends[].status`.
- The real MCPServerEntry CRD's CEL rule on `spec.caBundleRef` (a `configMapRef` with a non-empty
  `name`) is a schema rule here too: such an entry is skipped with the rule as its reason, not
  with a lookup of a ConfigMap named "".
- The default image is the version the output is proven against, and `scripts/toolhive` builds
  that same version for the e2e tier.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import config_of, render_checked, skipped_by_name
from vmcp_components.core.settings.args import DEFAULT_IMAGE

ROOT = Path(__file__).resolve().parents[2]
CEL_RULE = "has(self.configMapRef) && size(self.configMapRef.name) > 0"


def _members(entry_phase: str | None, server_phase: str | None) -> list[dict[str, Any]]:
    return [
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry("context7", phase=entry_phase),
        factories.entry("internal", ca=("corp-ca", "ca.crt"), phase=entry_phase),
        factories.server("github", phase=server_phase),
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [((None, "Running"), ("Pending", "Running")), (("Pending", "Running"), ("Valid", "Pending"))],
)
def test_a_phase_change_does_not_change_the_config_or_roll_the_pods(
    before: tuple[str | None, str], after: tuple[str | None, str]
) -> None:
    first = render_checked(factories.inventory(*_members(*before)))
    second = render_checked(factories.inventory(*_members(*after)))
    assert first.status["configChecksum"] == second.status["configChecksum"]
    assert first.object("ConfigMap") == second.object("ConfigMap")
    assert first.object("Deployment") == second.object("Deployment")
    for backend in config_of(second)["backends"]:
        assert "workload_status" not in backend["metadata"]
    # the phase is still reported, in the status outputs only
    statuses = {b["name"]: b["message"] for b in second.status["discoveredBackends"]}
    assert statuses["github"] == f"operator phase {after[1]}"


@pytest.mark.parametrize(
    "ca_bundle_ref",
    [
        {"configMapRef": {"name": "", "key": "ca.crt"}},
        {"configMapRef": {"key": "ca.crt"}},
        {},
    ],
    ids=["empty-name", "no-name", "no-configMapRef"],
)
def test_a_ca_bundle_ref_without_a_config_map_name_is_the_crd_rule(
    ca_bundle_ref: dict[str, Any],
) -> None:
    bad = factories.entry("bad")
    bad["spec"]["caBundleRef"] = ca_bundle_ref
    rendering = render_checked(factories.inventory(factories.group(), bad, factories.entry("ok")))
    reason = skipped_by_name(rendering)["bad"]
    assert reason.startswith("invalid MCPServerEntry 'bad': spec.caBundleRef: ")
    assert "configMapRef.name is required and must be non-empty" in reason
    assert CEL_RULE in reason
    assert "not found" not in reason
    assert [b["name"] for b in config_of(rendering)["backends"]] == ["ok"]


def test_the_default_image_is_the_toolhive_version_the_e2e_tier_builds() -> None:
    tag = re.fullmatch(r"ghcr\.io/stacklok/toolhive/vmcp:v(\d+\.\d+\.\d+)", DEFAULT_IMAGE)
    assert tag, DEFAULT_IMAGE
    script = (ROOT / "scripts" / "toolhive").read_text()
    pinned = re.search(r"^VERSION=\$\{VMCP_TOOLHIVE_VERSION:-([0-9.]+)\}$", script, re.M)
    assert pinned, "scripts/toolhive has no VERSION=${VMCP_TOOLHIVE_VERSION:-...} line"
    assert pinned.group(1) == tag.group(1)
    # The image is written in args.py only; the stack files leave it to that default.
    assert DEFAULT_IMAGE in (ROOT / "README.md").read_text()
    for doc in ("Pulumi.yaml", "stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml"):
        assert "vmcp:v" not in (ROOT / doc).read_text(), f"{doc} pins an image of its own"

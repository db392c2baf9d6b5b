"""Layering: the pure modules never import Pulumi, so `render` runs with no engine at all."""

from __future__ import annotations

import subprocess
import sys

PURE_MODULES = [
    "vmcp_components.models",
    "vmcp_components.inventory",
    "vmcp_components.remote_url",
    "vmcp_components.auth",
    "vmcp_components.backends",
    "vmcp_components.vmcp_config",
    "vmcp_components.manifests",
    "vmcp_components.render",
    "vmcp_components.stack_config",
    "vmcp_components.workload",
    "vmcp_components.cli",
    "vmcp_components.discovery",
]


def test_pure_modules_do_not_import_pulumi() -> None:
    imports = "; ".join(f"import {module}" for module in PURE_MODULES)
    check = (
        "import sys; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('pulumi', 'pulumi_kubernetes')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

"""Layering: who may import Pulumi and lightkube, so `render` runs with no engine and no cluster.

Only `reads`, `component` and `program` touch Pulumi; only `discovery` talks to the cluster
with lightkube (`component` and `program` reach it through `discovery`). Every other module of
the package is pure: importing it loads neither, directly or through another module.
"""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import vmcp_components

PACKAGE = Path(vmcp_components.__file__).parent
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if m.name != "__main__")
DIRECT_IMPORTERS = {
    "pulumi": {"outputs", "reads", "component", "program", "watch"},
    "pulumi_kubernetes": {"component", "program"},
    "lightkube": {"discovery", "watch"},
}
"""Which modules may import each third-party client themselves (watch: the automation API,
loaded only when a run starts, and its own lightkube watches)."""
REACHES = {
    "pulumi": {"outputs", "reads", "component", "program", "watch"},
    "lightkube": {"discovery", "component", "program", "watch"},
}
"""Which modules may load each client at all (themselves or through another module)."""


_IMPORT = re.compile(r"^\s*(?:from|import)\s+(\w+)", re.MULTILINE)


def _top_level_imports(module: str) -> set[str]:
    """The top-level packages `module` imports itself (any import statement, any depth)."""
    return set(_IMPORT.findall((PACKAGE / f"{module}.py").read_text(encoding="utf-8")))


def test_only_the_listed_modules_import_pulumi_and_lightkube() -> None:
    importers = {
        client: {m for m in MODULES if client in _top_level_imports(m)}
        for client in DIRECT_IMPORTERS
    }
    assert importers == DIRECT_IMPORTERS


def _loaded_clients(modules: list[str]) -> str:
    imports = "; ".join(f"import vmcp_components.{module}" for module in modules)
    check = (
        "import sys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pulumi', 'pulumi_kubernetes', 'lightkube'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_pure_modules_load_neither_pulumi_nor_lightkube() -> None:
    pure = [m for m in MODULES if not any(m in allowed for allowed in REACHES.values())]
    assert {"inventory", "derivation", "render", "cli", "kinds", "references"} <= set(pure)
    assert _loaded_clients(pure) == "[]"


def test_discovery_loads_lightkube_but_not_pulumi() -> None:
    assert _loaded_clients(["discovery"]) == "['lightkube']"

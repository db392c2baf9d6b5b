"""The house's contract: what each folder of the package may import, and what it really loads.

Each folder is a layer (see AGENTS.md): the pure core, the cluster I/O (`kube`, lightkube), the
Pulumi layer (`component`), `watch`, and the command line. The first test checks every import
statement of every module against its layer's allow-list; the subprocess tests check what
importing a layer really loads, so an import hidden behind another module is caught too.
"""

from __future__ import annotations

import ast
import gc
import subprocess
import sys
from pathlib import Path

import pytest

import vmcp_components

PACKAGE = Path(vmcp_components.__file__).parent
STDLIB = sys.stdlib_module_names
CORE_THIRD_PARTY = {"pydantic", "pydantic_core", "yaml", "cryptography"}

CORE_ORDER = ("naming", "cluster", "settings", "backends", "output", "render")
"""The core's own layers, lowest first: a module imports only its own layer and lower ones."""

CONTRACT: dict[str, tuple[set[str], set[str]]] = {
    # layer: (internal layers it may import, third-party packages it may import)
    "errors": (set(), set()),
    "core": ({"errors", "core"}, CORE_THIRD_PARTY),
    "kube": ({"errors", "core", "kube"}, CORE_THIRD_PARTY | {"lightkube"}),
    "component": (
        {"errors", "core", "kube", "component", "preflight"},
        CORE_THIRD_PARTY | {"pulumi", "pulumi_kubernetes"},
    ),
    "watch": ({"errors", "core", "kube", "watch"}, CORE_THIRD_PARTY | {"lightkube", "pulumi"}),
    "preflight": (
        {"errors", "core", "kube", "preflight"},
        CORE_THIRD_PARTY | {"lightkube", "anyio", "httpx2", "httpcore2", "mcp"},
    ),
    "cli": ({"__init__", "errors", "core", "kube", "watch", "preflight"}, set()),
    "__init__": (set(), set()),
    "__main__": ({"cli"}, set()),
}
"""What each layer may import (the package's own layers, and third-party packages)."""

WATCH_PURE = ("cache", "decision", "schedule")
"""`watch` modules that are pure: they import only the core (never lightkube or Pulumi)."""


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _parse(path: Path) -> ast.Module:
    """`path` parsed, with the garbage collector held off meanwhile.

    CPython 3.11.7's AST validator fails with "AST constructor recursion depth mismatch" when
    a collection runs inside `ast.parse` and finalises objects that run Python code (coroutines
    that earlier mock-engine tests left unawaited); fixed upstream in 3.11.8 (gh-106905).
    """
    gc.collect()
    gc.disable()
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    finally:
        gc.enable()


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (any depth, TYPE_CHECKING blocks included), dotted."""
    found: set[str] = set()
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _core_rank(dotted: str) -> int:
    """The rank of a core module's own layer in CORE_ORDER."""
    return CORE_ORDER.index(dotted.split(".")[2])


def test_every_module_keeps_to_its_layers_contract() -> None:
    breaches: list[str] = []
    for path in _modules():
        module = _dotted(path)
        internal, third_party = CONTRACT[_layer(module)]
        for imported in sorted(_imports(path)):
            top = imported.split(".")[0]
            if top == "vmcp_components":
                target = _layer(imported)
                if target not in internal and module != "vmcp_components":
                    breaches.append(f"{module} imports {imported}")
                elif (
                    target == "core"
                    and _layer(module) == "core"
                    and len(module.split(".")) > 2
                    and _core_rank(imported) > _core_rank(module)
                ):
                    breaches.append(f"{module} imports the higher core layer {imported}")
            elif top not in STDLIB and top != "__future__" and top not in third_party:
                breaches.append(f"{module} imports {top}")
    assert breaches == []


def test_the_pure_watch_modules_import_no_io() -> None:
    for name in WATCH_PURE:
        imported = _imports(PACKAGE / "watch" / f"{name}.py")
        assert {i.split(".")[0] for i in imported} & {"lightkube", "pulumi"} == set(), name
        assert not any(
            i.startswith(("vmcp_components.kube", "vmcp_components.component")) for i in imported
        ), name


def _loaded_clients(modules: list[str]) -> str:
    imports = "; ".join(f"import {module}" for module in modules)
    check = (
        "import sys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pulumi', 'pulumi_kubernetes', 'lightkube'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _layer_modules(*layers: str) -> list[str]:
    return [m for p in _modules() if _layer(m := _dotted(p)) in layers and m != "vmcp_components"]


@pytest.mark.parametrize(
    ("modules", "loaded"),
    [
        pytest.param(["vmcp_components", "vmcp_components.cli"], "[]", id="package-and-cli"),
        pytest.param(_layer_modules("core", "errors"), "[]", id="core"),
        pytest.param(
            [f"vmcp_components.watch.{name}" for name in WATCH_PURE], "[]", id="watch-pure"
        ),
        pytest.param(_layer_modules("kube"), "['lightkube']", id="kube"),
    ],
)
def test_what_importing_a_layer_really_loads(modules: list[str], loaded: str) -> None:
    assert modules
    assert _loaded_clients(modules) == loaded


def test_the_mcp_client_loads_only_when_a_probe_runs() -> None:
    """`mcp` (the optional extra, ~1.7 s to import) stays out of every import of the package."""
    modules = ["vmcp_components.cli", *_layer_modules("preflight")]
    imports = "; ".join(f"import {module}" for module in modules)
    check = "import sys; print('mcp' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


MAX_MODULE_LINES = 400
"""A module longer than this does more than one job: split it along its jobs."""


def test_no_module_is_longer_than_the_limit() -> None:
    lengths = {
        _dotted(path): len(path.read_text(encoding="utf-8").splitlines()) for path in _modules()
    }
    assert {module: n for module, n in lengths.items() if n > MAX_MODULE_LINES} == {}

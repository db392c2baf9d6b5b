"""The package surface: lazy top-level names, one version, and `render` without Pulumi."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import vmcp_components
from tests import factories

_PULUMI_MODULES = (
    "import sys; "
    "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pulumi_kubernetes'}))"
)


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=factories.ROOT
    )
    return result.stdout.strip()


def test_the_top_level_names_resolve_to_the_real_classes() -> None:
    from vmcp_components import VirtualMCPServer, VirtualMCPServerArgs
    from vmcp_components.component.virtual_mcp_server import VirtualMCPServer as Component
    from vmcp_components.core.settings.args import VirtualMCPServerArgs as Args

    assert (VirtualMCPServer, VirtualMCPServerArgs) == (Component, Args)
    assert set(vmcp_components.__all__) <= set(dir(vmcp_components))
    for name in vmcp_components.__all__:
        assert getattr(vmcp_components, name) is not None


def test_importing_the_package_and_the_args_does_not_import_pulumi() -> None:
    code = "from vmcp_components import VirtualMCPServerArgs, VmcpError, RenderError; "
    assert _python(code + _PULUMI_MODULES) == "[]"


def test_render_and_its_help_never_import_pulumi() -> None:
    code = (
        "import contextlib, io; from vmcp_components.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['render', '--snapshot', {str(factories.EXAMPLE_SNAPSHOT)!r}, '--name', 'x',"
        " '--namespace', 'toolhive-system', '--group', 'engineering-team'])\n"
        "    try: main(['render', '--help'])\n"
        "    except SystemExit: pass\n" + _PULUMI_MODULES
    )
    assert _python(code) == "[]"


def test_the_component_name_loads_pulumi_on_first_use() -> None:
    code = "import vmcp_components; vmcp_components.VirtualMCPServer; " + _PULUMI_MODULES
    assert _python(code) == "['pulumi', 'pulumi_kubernetes']"


def test_the_version_is_the_one_in_pyproject() -> None:
    pyproject = tomllib.loads((factories.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert vmcp_components.__version__ == pyproject["project"]["version"]


def test_help_needs_only_the_standard_library() -> None:
    # `--help` imports neither pydantic nor the pure derivation modules: it starts instantly.
    code = (
        "import contextlib, io; from vmcp_components.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['render', '--help'])\n"
        "    except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'yaml', 'vmcp_'))))"
    )
    command = ["vmcp_components", "vmcp_components.cli"]
    watch_options = ["vmcp_components.watch", "vmcp_components.watch.command"]
    watch_options.append("vmcp_components.watch.schedule")  # stdlib only: the watch's options
    assert _python("import sys; " + code) == str(sorted(command + watch_options))

"""The offline `render` command: a snapshot file in, the declared objects and status out.

Exit 0 with multi-document YAML on stdout; exit 2 with one `error:` line on stderr (and nothing
on stdout, no status file) for bad input or an undeployable group.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from vmcp_components import yaml_text
from vmcp_components.args import VirtualMCPServerArgs, check_vmcp_name
from vmcp_components.errors import VmcpError
from vmcp_components.inventory import load_snapshot
from vmcp_components.models import describe_validation_error
from vmcp_components.render import Rendering, render

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m vmcp_components", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("render", help="render the vMCP objects for a group from a snapshot")
    run.add_argument(
        "--snapshot",
        required=True,
        type=Path,
        help="`kubectl get <kinds> -n NS -o yaml` output or multi-document YAML",
    )
    run.add_argument("--name", required=True, help="name of the vMCP (Deployment <name>)")
    run.add_argument("--namespace", required=True, help="namespace of the group and the vMCP")
    run.add_argument("--group", required=True, help="MCPGroup whose members become backends")
    run.add_argument(
        "--status-file", type=Path, help="write the status (stack outputs) as JSON here"
    )
    run.add_argument("--strict", action="store_true", help="fail when any group member is skipped")
    commands.add_parser("watch", help="re-run `pulumi up` for a stack when its group changes")
    return parser


def dump_objects(rendering: Rendering) -> str:
    return yaml_text.dump_all(rendering.objects)


def run_render(options: argparse.Namespace) -> tuple[str, str]:
    """(YAML for stdout, JSON status) for the parsed options; raises VmcpError on bad input."""
    name = check_vmcp_name(options.name)
    args = VirtualMCPServerArgs(
        namespace=options.namespace, group=options.group, strict=options.strict
    )
    try:
        text = options.snapshot.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VmcpError(f"cannot read snapshot {options.snapshot}: {error}") from None
    rendering = render(load_snapshot(text, args.namespace, str(options.snapshot)), name, args)
    return dump_objects(rendering), json.dumps(rendering.status, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["watch"]:  # its own options: vmcp_components.watch (imported only here)
        from vmcp_components.watch import main as watch  # noqa: PLC0415

        return watch(argv[1:])
    options = _parser().parse_args(argv)
    try:
        manifests, status = run_render(options)
    except ValidationError as error:
        print(f"error: {describe_validation_error(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (VmcpError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if options.status_file is not None:
        try:
            options.status_file.write_text(status, encoding="utf-8")
        except OSError as error:
            print(
                f"error: cannot write status file {options.status_file}: {error}", file=sys.stderr
            )
            return EXIT_BAD_INPUT
    sys.stdout.write(manifests)
    return 0

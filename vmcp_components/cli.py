"""vmcp-components: the command line (`vmcp-components`, or `python -m vmcp_components`).

`render` prints, offline, every object the component would declare for a snapshot of the
namespace (a file, or `-` for stdin): either for `--name/--namespace/--group [--strict]`, or for
everything a stack declares (`--stack prod`, or `--stack stacks/Pulumi.prod.yaml`), or for the
component's own argument mapping (`--args FILE`). `snapshot` prints a namespace as render reads
it (Secrets as key names only). `watch` keeps a stack in step with its cluster
(`vmcp_components.watch`, loaded only when it runs). `render` exits 0 with multi-document YAML on
stdout (and on stderr one `warning:` line per skipped member, with its reason, and per warning
of the rendering; none with `--quiet`); exit 2 with one `error:` line on stderr (and nothing on
stdout, no status file) for bad input or an undeployable group, and with one `error:` line when
stdout cannot be written or memory runs out. The status file is staged (and a directory in its
place refused) before anything is printed, and appears, atomically, only after stdout is
flushed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn

if TYPE_CHECKING:  # the heavy modules load only when a command runs, so `--help` stays instant
    from vmcp_components.core.render import Rendering
    from vmcp_components.core.settings.args import VirtualMCPServerArgs

PROG = "vmcp-components"
EXIT_BAD_INPUT = 2
STDIN = "-"
_TARGET_OPTIONS = ("name", "namespace", "group")
_RENDER_EPILOG = """\
examples:
  %(prog)s --snapshot snapshot.yaml --name eng-tools --namespace toolhive-system \\
      --group engineering-team
  %(prog)s --stack prod --snapshot prod-snapshot.yaml
  %(prog)s --args platform-vmcp.yaml --name eng-tools --snapshot prod-snapshot.yaml
  kubectl get ... -o yaml | %(prog)s --stack stacks/Pulumi.prod.yaml --snapshot -

SNAPSHOT is what this prints (Secret values are never read):
  kubectl get mcpgroups,mcpserverentries,mcpservers,mcpremoteproxies,mcpexternalauthconfigs,\
configmaps,secrets -n NS -o yaml
"""
_DESCRIPTION = (
    "ToolHive's Virtual MCP Server (vMCP) in static mode: the Pulumi component's tools. "
    "`%(prog)s render` shows offline what the component or a stack would deploy."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see --help)\n")


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=_DESCRIPTION % {"prog": prog})
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )
    run = commands.add_parser(
        "render",
        help="print the objects the component would declare, from a snapshot (offline)",
        description="Print, offline, every object the component would declare for a snapshot.",
        epilog=_RENDER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--snapshot",
        required=True,
        type=Path,
        help="`kubectl get <kinds> -n NS -o yaml` output or multi-document YAML; - for stdin",
    )
    run.add_argument(
        "--stack",
        metavar="NAME|FILE",
        help="render every setting of this stack: its name (Pulumi.<NAME>.yaml in the "
        "stackConfigDir of the Pulumi.yaml in or above the current directory) or the path of "
        "its stack file, validated as the Pulumi program does; replaces --name, --namespace, "
        "--group and --strict",
    )
    run.add_argument(
        "--args",
        type=Path,
        metavar="FILE",
        help="render the component's own argument mapping (YAML or JSON, as a platform stack "
        "passes it to VirtualMCPServer); replaces --namespace, --group and --strict",
    )
    run.add_argument("--name", help="name of the vMCP (Deployment <name>)")
    run.add_argument("--namespace", help="namespace of the group and the vMCP")
    run.add_argument("--group", help="MCPGroup whose members become backends")
    run.add_argument(
        "--status-file", type=Path, help="write the status (stack outputs) as JSON here"
    )
    run.add_argument("--strict", action="store_true", help="fail when any group member is skipped")
    run.add_argument(
        "--quiet",
        action="store_true",
        help="print no warning lines (skipped members stay in the status file)",
    )
    take = commands.add_parser(
        "snapshot",
        help="print a namespace as `render --snapshot` reads it (Secrets as key names only)",
        description="Print, as YAML, every object of a namespace that `render` reads, listed "
        "with the kubeconfig's credentials. Secrets are written as key names only: no Secret "
        "value is ever printed.",
    )
    take.add_argument("--namespace", required=True, help="namespace of the group")
    take.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    take.add_argument("--context", help="kubeconfig context (default: the current one)")
    from vmcp_components.watch import command as watch

    watch.add_arguments(
        commands.add_parser(
            "watch",
            help="re-run `pulumi up` for a stack when its group changes",
            description=watch.DESCRIPTION,
        )
    )
    _preflight_options(
        commands.add_parser(
            "preflight",
            help="probe every backend the way vMCP will connect (DNS, TLS, MCP), before deploying",
            description="Render as `render` does, then probe every backend it includes: DNS, "
            "the SSRF rules on each address, TCP, TLS with vMCP's trust, MCP initialize and "
            "tools/list. Exit 0 when all pass, 1 when any fails, 2 for bad input.",
        )
    )
    return parser


def _preflight_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--snapshot",
        type=Path,
        help="read the group from this snapshot (- for stdin), not the cluster",
    )
    run.add_argument("--stack", type=Path, metavar="FILE", help="the settings of this stack file")
    for key in _TARGET_OPTIONS:
        run.add_argument(f"--{key}", help=f"{key} (as for render)")
    run.add_argument("--strict", action="store_true", help="fail when any group member is skipped")
    run.add_argument(
        "--kubeconfig", help="the cluster's kubeconfig (default: the stack's, $KUBECONFIG)"
    )
    run.add_argument("--context", help="kubeconfig context")
    run.add_argument(
        "--with-secrets",
        action="store_true",
        help="read the Secret header values from the cluster (in memory only) and send them",
    )
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--timeout", type=float, default=10.0, help="seconds per backend (10)")
    run.add_argument("--concurrency", type=int, default=32, help="probes at once (32)")


def _check_target(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    given = [f"--{key}" for key in (*_TARGET_OPTIONS, "strict") if getattr(options, key)]
    if getattr(options, "args", None) is not None:  # render only
        if options.stack is not None:
            parser.error("--args and --stack are two sources of the settings; give one")
        if given := [option for option in given if option != "--name"]:
            parser.error(f"--args takes its settings from the file; drop {', '.join(given)}")
        if str(options.args) == STDIN == str(options.snapshot):
            parser.error("--args and --snapshot cannot both read stdin (-)")
        return
    if options.stack is not None:
        if given:
            parser.error(f"--stack takes its settings from the stack file; drop {', '.join(given)}")
        return
    missing = [f"--{key}" for key in _TARGET_OPTIONS if getattr(options, key) is None]
    if missing:
        parser.error(f"the following arguments are required: {', '.join(missing)}")


def dump_objects(rendering: Rendering) -> str:
    """The rendered objects as multi-document YAML, in apply order."""
    from vmcp_components.core.output import yaml_text

    return yaml_text.dump_all(rendering.objects)


def _target(options: argparse.Namespace) -> tuple[str, VirtualMCPServerArgs]:
    """(vMCP name, arguments) from the stack file or from the command-line options."""
    from vmcp_components.core.settings.args import parse_args, vmcp_name

    if getattr(options, "args", None) is not None:  # run_render's callers may predate --args
        from vmcp_components.core.settings.args import ArgsError
        from vmcp_components.core.settings.args_files import load_args_text

        settings = load_args_text(_read_text(options.args, "arguments"), _source(options.args))
        if not (options.name or settings.name):
            raise ArgsError(f"{_source(options.args)}: no vMCP name; set `name` in it or --name")
        return vmcp_name(settings.name or options.name), settings
    if options.stack is not None:
        from vmcp_components.core.settings.stack_files import load_stack

        settings = load_stack(str(options.stack))
        return settings.name, settings.args
    name = vmcp_name(options.name)
    args = parse_args(
        {"namespace": options.namespace, "group": options.group, "strict": options.strict}
    )
    return name, args


def _read_text(path: Path, what: str = "snapshot") -> str:
    """The text of `path` or stdin (`-`), never reading past the snapshot size limit."""
    from vmcp_components.core.cluster.inventory import SnapshotError
    from vmcp_components.core.cluster.snapshot import MAX_SNAPSHOT_BYTES, snapshot_too_large
    from vmcp_components.errors import VmcpError

    limit = MAX_SNAPSHOT_BYTES
    try:
        with contextlib.ExitStack() as stack:
            stream: BinaryIO = (
                sys.stdin.buffer if str(path) == STDIN else stack.enter_context(path.open("rb"))
            )
            data = stream.read(limit + 1)  # never more than the limit into memory
        if len(data) > limit:
            raise SnapshotError(f"{_source(path)}: {snapshot_too_large()}")
        return data.decode("utf-8")
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, or stdin closed
        raise VmcpError(f"cannot read {what} {_source(path)}: {error}") from None


def _source(path: Path) -> str:
    return "stdin" if str(path) == STDIN else str(path)


def run_render(options: argparse.Namespace) -> tuple[str, str, tuple[str, ...]]:
    """(YAML for stdout, JSON status, warnings) for the options; raises VmcpError on bad input."""
    from vmcp_components.core.cluster.snapshot import load_snapshot
    from vmcp_components.core.render import kubectl_apply_warnings, render

    name, args = _target(options)
    text = _read_text(options.snapshot)
    rendering = render(load_snapshot(text, args.namespace, _source(options.snapshot)), name, args)
    status = json.dumps(rendering.status, indent=2, sort_keys=True) + "\n"
    skipped = [f'skipped {s.kind} "{s.name}": {s.reason}' for s in rendering.derivation.skipped]
    warnings = (*skipped, *rendering.warnings, *kubectl_apply_warnings(rendering))
    return dump_objects(rendering), status, warnings


@contextlib.contextmanager
def _replaced_on_success(path: Path | None, text: str) -> Generator[None, None, None]:
    """Stage `text` next to `path`; when the block succeeds, os.replace it onto `path`.

    The staged file is written (and fsynced) before the block runs, so an unwritable place
    fails first; when the block raises, it is removed and an old `path` is left untouched.
    """
    from vmcp_components.errors import VmcpError

    if path is None:
        yield
        return
    failure = f"cannot write status file {path}"
    if path.is_dir():  # os.replace would fail only after stdout is written
        raise VmcpError(f"{failure}: it is a directory; name a file, e.g. {path / 'status.json'}")
    try:
        handle, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise VmcpError(f"{failure}: {error}") from None
    try:
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(staged, 0o666 & ~umask)  # as open() would create it, not mkstemp's 0600
        except OSError as error:
            raise VmcpError(f"{failure}: {error}") from None
        yield
        try:
            os.replace(staged, path)
        except OSError as error:
            raise VmcpError(f"{failure}: {error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)


def _write_stdout(text: str) -> None:
    """Write and flush `text`; a closed pipe or a full disk becomes a VmcpError."""
    from vmcp_components.errors import VmcpError

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            # What stays buffered would fail again at exit, with a second message on stderr.
            target = sys.stdout.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, target)
            os.close(devnull)
        raise VmcpError(f"cannot write the objects to stdout: {error}") from None


def _render(options: argparse.Namespace) -> int:
    from vmcp_components.errors import VmcpError

    try:
        manifests, status, warnings = run_render(options)
        with _replaced_on_success(options.status_file, status):
            _write_stdout(manifests)
            for warning in () if options.quiet else warnings:
                print(f"warning: {warning}", file=sys.stderr)
    except VmcpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(
            "error: out of memory while rendering; snapshot only the group's namespace and "
            "the kinds render reads, or give the process more memory",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return 0


def _snapshot(options: argparse.Namespace) -> int:
    from vmcp_components.errors import VmcpError
    from vmcp_components.kube.snapshot import take_snapshot

    try:
        _write_stdout(take_snapshot(options.namespace, options.kubeconfig, options.context))
    except VmcpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _preflight(options: argparse.Namespace) -> int:
    from vmcp_components.errors import VmcpError

    try:
        from vmcp_components.preflight import command, report
        from vmcp_components.preflight.runner import Settings

        name, args = _target(options)
        cluster = command.Cluster(options.kubeconfig, options.context)
        if options.stack is not None and options.kubeconfig is None:
            from vmcp_components.core.settings.stack_files import load_stack_file

            stack = load_stack_file(options.stack)
            cluster = command.Cluster(stack.kubeconfig, options.context or stack.context)
        if options.snapshot is not None:
            from vmcp_components.core.cluster.snapshot import load_snapshot

            text = _read_text(options.snapshot)
            inventory = load_snapshot(text, args.namespace, _source(options.snapshot))
        else:
            inventory = command.cluster_inventory(cluster, args)
        settings = Settings(options.timeout, options.concurrency)
        secrets_from = cluster if options.with_secrets else None
        result = command.run(inventory, name, args, settings, secrets_from)
        _write_stdout(report.dump_json(result) if options.json else report.format_table(result))
    except VmcpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0 if result.passed else 1


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Run the command with `argv` (default: sys.argv) as `prog`; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(prog)
    options = parser.parse_args(argv)
    if options.version:
        import vmcp_components

        print(f"{PROG} {vmcp_components.__version__}")
        return 0
    if options.command is None:
        parser.error("a command is required (render, snapshot, preflight, watch)")
    if options.command == "render":
        _check_target(parser, options)
        return _render(options)
    if options.command == "snapshot":
        return _snapshot(options)
    if options.command == "preflight":
        _check_target(parser, options)
        if options.with_secrets and options.snapshot is not None:
            parser.error("--with-secrets reads Secret values from the cluster; drop --snapshot")
        return _preflight(options)
    if options.command == "watch":
        from vmcp_components.watch import command as watch

        return watch.run(options)
    raise AssertionError(options.command)  # argparse accepts only known commands

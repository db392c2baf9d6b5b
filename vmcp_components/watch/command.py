"""`vmcp-components watch`: its options, its stack, its signals.

`add_arguments` declares the options on the subcommand `cli.py` registers (this module imports
nothing heavy, so `--help` stays instant). `run_watch` loads the stack with the one stack-file
loader (`core.settings.stack_files`, as the program and `render --stack` do; a secret value or an
ESC environment is resolved by the Pulumi CLI, as `pulumi up` would receive it), builds the
watcher and runs it on one event loop until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from vmcp_components.watch.schedule import DEFAULT_DEBOUNCE

if TYPE_CHECKING:
    from vmcp_components.core.settings.stack_files import Resolve, StackSettings
    from vmcp_components.watch.log import JsonLog
    from vmcp_components.watch.runner import StackRunner

DEFAULT_GRACE = 20.0
DEFAULT_READY_PORT = 8479
DESCRIPTION = (
    "Re-run `pulumi up` for a stack when its MCPGroup, a member, an auth config or a referenced "
    "ConfigMap/Secret changes; JSON-line logs on stdout."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of `vmcp-components watch`."""
    command.add_argument(
        "--stack",
        required=True,
        metavar="NAME|FILE",
        help="the stack: its name (stacks/Pulumi.<NAME>.yaml of the project in --cwd) or the "
        "path of its stack file",
    )
    command.add_argument("--cwd", type=Path, default=Path(), help="the Pulumi project directory")
    command.add_argument(
        "--debounce",
        type=float,
        default=DEFAULT_DEBOUNCE,
        metavar="SECONDS",
        help="quiet time after the last change before reconciling (default 0.5)",
    )
    command.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        metavar="SECONDS",
        help="on SIGTERM, how long a run may finish before it is cancelled (default 20)",
    )
    command.add_argument("--ready-address", default="127.0.0.1", help="readiness endpoint host")
    command.add_argument(
        "--ready-port",
        type=int,
        default=DEFAULT_READY_PORT,
        help=f"readiness endpoint port (default {DEFAULT_READY_PORT}; 0 picks a free one)",
    )


def stack_name(stack: str) -> str:
    """The stack's name: as given, or taken from a stack file's name (`Pulumi.<name>.yaml`)."""
    name = Path(stack).name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi.") :].rsplit(".", 1)[0]
    return stack


def load_settings(stack: str, cwd: Path, resolve: Resolve | None) -> StackSettings:
    """The stack's settings, as the program reads them (`resolve`: the CLI's config).

    A relative kubeconfig path is taken from the project directory (the program runs there).
    """
    from dataclasses import replace  # noqa: PLC0415

    from vmcp_components.core.settings.stack_files import load_stack  # noqa: PLC0415

    settings = load_stack(stack, cwd, resolve)
    kubeconfig = settings.kubeconfig
    if kubeconfig and "\n" not in kubeconfig and not Path(kubeconfig).expanduser().is_absolute():
        return replace(settings, kubeconfig=str(cwd / kubeconfig))
    return settings


def run_watch(
    stack: str,
    cwd: Path,
    *,
    debounce: float = DEFAULT_DEBOUNCE,
    grace: float = DEFAULT_GRACE,
    ready_address: str = "127.0.0.1",
    ready_port: int = DEFAULT_READY_PORT,
    log: JsonLog | None = None,
) -> int:
    """Watch `stack` (a name in the project in `cwd`, or a stack file) until SIGTERM/SIGINT."""
    from vmcp_components.errors import VmcpError  # noqa: PLC0415
    from vmcp_components.kube.kubeconfig import load_kube_config  # noqa: PLC0415
    from vmcp_components.watch.log import JsonLog  # noqa: PLC0415
    from vmcp_components.watch.runner import StackRunner  # noqa: PLC0415
    from vmcp_components.watch.watcher import Watcher  # noqa: PLC0415

    log = log or JsonLog()
    cwd = cwd.resolve()
    runners: list[StackRunner] = []

    def engine() -> StackRunner:  # made once needed: a bad stack file is reported first
        if not runners:
            runners.append(StackRunner(stack_name(stack), cwd))
        return runners[0]

    try:
        settings = load_settings(stack, cwd, lambda: engine().config())
        runner = engine()
        watcher = Watcher(
            settings,
            runner,
            debounce=debounce,
            grace=grace,
            ready_address=ready_address,
            ready_port=ready_port,
            log=log,
            kube=load_kube_config(settings.kubeconfig, settings.context),
        )
    except VmcpError as error:
        log("error", error=str(error))
        return 2
    log(
        "start",
        stack=stack,
        cwd=str(cwd),
        namespace=settings.args.namespace,
        group=settings.args.group,
        name=settings.name,
        debounce=debounce,
    )

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, watcher.request_stop, signum.name)
        return await watcher.run()

    return asyncio.run(main())


def run(options: argparse.Namespace) -> int:
    """`vmcp-components watch` with parsed `options`; the exit code."""
    return run_watch(
        options.stack,
        options.cwd,
        debounce=options.debounce,
        grace=options.grace,
        ready_address=options.ready_address,
        ready_port=options.ready_port,
    )

"""The offline `render` command as a real subprocess (DESIGN "The offline render contract").

Checks: on success, stdout is multi-document YAML that parses into exactly the rendered
objects and the status file holds exactly the rendering's status; on every kind of bad input
(missing file, not YAML, not Kubernetes objects, invalid --name/--namespace/--group, group
missing, zero backends, --strict with a skip, unknown option, unwritable status file) the
exit code is 2, stderr is one line starting `error: ` without a traceback, stdout is empty and
no status file is written. The failing processes run concurrently to keep the tier fast.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests import clock, factories
from tests.unit.helpers import (
    CliRun,
    ExampleRun,
    check_rendering,
    example_arguments,
    finish_cli,
    render_module,
    start_cli,
)
from vmcp_components import cli
from vmcp_components.cli import dump_objects, main
from vmcp_components.core.cluster import snapshot as snapshot_file
from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.settings.args import VirtualMCPServerArgs

EXAMPLE = str(factories.EXAMPLE_SNAPSHOT)


def _replace(arguments: list[str], option: str, value: str) -> list[str]:
    changed = list(arguments)
    changed[changed.index(option) + 1] = value
    return changed


def _without(arguments: list[str], option: str) -> list[str]:
    index = arguments.index(option)
    return arguments[:index] + arguments[index + 2 :]


@dataclass(frozen=True)
class Case:
    """A bad invocation: its arguments (given the temp dir) and a fragment of its error."""

    arguments: Callable[[Path], list[str]]
    fragment: str
    snapshot_text: str | None = None


def _with_snapshot(text: str, fragment: str, **changes: str) -> Case:
    def arguments(tmp: Path) -> list[str]:
        result = example_arguments(tmp / "snapshot.yaml")
        for option, value in changes.items():
            result = _replace(result, f"--{option}", value)
        return result

    return Case(arguments, fragment, snapshot_text=text)


def _example_with(fragment: str, **changes: str) -> Case:
    def arguments(_tmp: Path) -> list[str]:
        result = example_arguments()
        for option, value in changes.items():
            result = _replace(result, f"--{option}", value)
        return result

    return Case(arguments, fragment)


ZERO_BACKENDS = yaml.safe_dump_all(
    [factories.group(), factories.entry("local", url="http://127.0.0.1:8080/mcp")]
)

CASES: dict[str, Case] = {
    "missing-file": Case(
        lambda tmp: example_arguments(tmp / "does-not-exist.yaml"),
        "cannot read snapshot",
    ),
    "not-yaml": _with_snapshot("apiVersion: v1\n\tkind: List\n", "not valid YAML at line 2"),
    "not-objects-scalar": _with_snapshot(
        "just some text\n", "object #1: expected a Kubernetes object"
    ),
    "name-uppercase": _example_with("'Eng-Tools' is not a valid vMCP name", name="Eng-Tools"),
    "name-too-long": _example_with("is not a valid vMCP name", name="a" * 59),
    "namespace-uppercase": _example_with(
        "'Toolhive-System' is not a valid namespace", namespace="Toolhive-System"
    ),
    "namespace-too-long": _example_with("is not a valid namespace", namespace="n" * 64),
    "group-uppercase": _example_with(
        "'Engineering-Team' is not a valid MCPGroup name", group="Engineering-Team"
    ),
    "group-too-long": _example_with("is not a valid MCPGroup name", group="g" * 254),
    "group-missing": _example_with(
        'MCPGroup "qa-team" not found in namespace "toolhive-system"', group="qa-team"
    ),
    "zero-backends": _with_snapshot(
        ZERO_BACKENDS, "static mode requires at least one backend with valid transport"
    ),
    "strict-with-skip": Case(
        lambda _tmp: [*example_arguments(), "--strict"],
        "strict mode: 1 member(s) of group engineering-team would be skipped: "
        'MCPServerEntry "cloud-metadata"',
    ),
    "unknown-option": Case(
        lambda _tmp: [*example_arguments(), "--frobnicate"],
        "unrecognized arguments: --frobnicate",
    ),
}


@dataclass(frozen=True)
class FailedRun:
    run: CliRun
    status_file: Path


@pytest.fixture(scope="module")
def failed_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FailedRun]:
    """Start every bad invocation at once, then collect them."""
    started = {}
    for case_id, case in CASES.items():
        tmp = tmp_path_factory.mktemp(case_id)
        if case.snapshot_text is not None:
            (tmp / "snapshot.yaml").write_text(case.snapshot_text, encoding="utf-8")
        status_file = tmp / "status.json"
        process = start_cli([*case.arguments(tmp), "--status-file", str(status_file)])
        started[case_id] = (process, status_file)
    return {
        case_id: FailedRun(finish_cli(process), status_file)
        for case_id, (process, status_file) in started.items()
    }


@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input_exits_2_with_one_error_line_and_no_output(
    failed_runs: dict[str, FailedRun], case_id: str
) -> None:
    failed = failed_runs[case_id]
    run = failed.run

    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ")
    assert run.stderr.endswith("\n")
    assert run.stderr.count("\n") == 1, run.stderr
    assert CASES[case_id].fragment in run.stderr
    assert not failed.status_file.exists()


def test_success_prints_the_rendered_objects_and_writes_the_status(
    example_run: ExampleRun,
) -> None:
    run = example_run.run
    assert run.returncode == 0, run.stderr

    args = VirtualMCPServerArgs(namespace="toolhive-system", group="engineering-team")
    text = factories.EXAMPLE_SNAPSHOT.read_text(encoding="utf-8")
    rendering = render_module.render(load_snapshot(text, args.namespace), "eng-tools", args)
    check_rendering(rendering)
    assert run.stderr == "".join(  # one line per skipped member, its reason in the status too
        f'warning: skipped {s["kind"]} "{s["name"]}": {s["reason"]}\n'
        for s in rendering.status["skippedBackends"]
    )
    assert run.stderr.count("\n") == 1

    documents = list(yaml.safe_load_all(run.stdout))
    assert documents == list(rendering.objects)
    assert [d["kind"] for d in documents] == [
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Deployment",
        "Service",
    ]
    for document in documents:
        assert {"apiVersion", "kind", "metadata"} <= set(document)
        assert document["metadata"]["namespace"] == "toolhive-system"
    assert run.stdout == dump_objects(rendering)
    assert run.stdout.count("\n---\n") == len(documents) - 1

    assert json.loads(example_run.status_file.read_text(encoding="utf-8")) == rendering.status


# ─── more bad inputs, in-process (same code path, without another interpreter start) ───

DUPLICATE = yaml.safe_dump_all([factories.group(), factories.entry("e"), factories.entry("e")])


@pytest.mark.parametrize(
    ("snapshot_text", "fragment"),
    [
        ("", "holds no Kubernetes objects"),
        ("metadata:\n  name: x\n", "object #1: not a Kubernetes object"),
        (DUPLICATE, "MCPServerEntry 'e' appears twice"),
    ],
    ids=["empty-file", "no-kind", "duplicate-object"],
)
def test_more_bad_snapshots_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], snapshot_text: str, fragment: str
) -> None:
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text(snapshot_text, encoding="utf-8")
    status_file = tmp_path / "status.json"

    code = main([*example_arguments(snapshot), "--status-file", str(status_file)])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert fragment in err
    assert not status_file.exists()


def test_missing_option_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(_without(example_arguments(), "--group"))
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    assert err == "error: the following arguments are required: --group (see --help)\n"


def test_an_unwritable_status_file_fails_before_printing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = tmp_path / "missing-dir" / "status.json"

    code = main([*example_arguments(), "--status-file", str(status_file)])

    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"error: cannot write status file {status_file}: ")
    assert err.count("\n") == 1
    assert not status_file.exists()


# ─── the snapshot from stdin (`--snapshot -`) ───


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> io.BytesIO:
    raw = io.BytesIO(data)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    return raw


def test_the_snapshot_can_come_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(example_arguments()) == 0
    from_file = capsys.readouterr().out
    _stdin(monkeypatch, factories.EXAMPLE_SNAPSHOT.read_bytes())

    code = main([*_replace(example_arguments(), "--snapshot", "-"), "--quiet"])

    assert (code, capsys.readouterr()) == (0, (from_file, ""))


def test_an_oversized_stdin_is_refused_without_reading_past_the_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(snapshot_file, "MAX_SNAPSHOT_BYTES", 1024)
    raw = _stdin(monkeypatch, b"#" * 1_000_000)

    code = main(_replace(example_arguments(), "--snapshot", "-"))

    assert (code, capsys.readouterr()) == (
        2,
        ("", f"error: stdin: {snapshot_file.snapshot_too_large()}\n"),
    )
    assert raw.tell() <= 64 * 1024  # one buffered read past the limit at most


def test_a_stdin_that_is_not_yaml_names_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b"a: [\n")

    assert main(_replace(example_arguments(), "--snapshot", "-")) == 2
    assert capsys.readouterr().err.startswith("error: stdin: not valid YAML at line 2")


# ─── stdout failures, memory, and the status file written last, atomically ───

OLD_STATUS = '{"old": true}\n'


class _FailingStdout(io.StringIO):
    """A stdout whose write (or flush) fails like a closed pipe or a full disk."""

    def __init__(self, error: OSError, *, on_flush: bool = False) -> None:
        super().__init__()
        self.error, self.on_flush = error, on_flush

    def write(self, s: str) -> int:
        if not self.on_flush:
            raise self.error
        return super().write(s)

    def flush(self) -> None:
        if self.on_flush:
            raise self.error


def _status_file(tmp_path: Path) -> Path:
    status_file = tmp_path / "status.json"
    status_file.write_text(OLD_STATUS, encoding="utf-8")
    return status_file


def _assert_one_error_and_old_status(code: int, err: str, status_file: Path, fragment: str) -> None:
    assert code == 2
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert fragment in err
    assert status_file.read_text(encoding="utf-8") == OLD_STATUS
    assert sorted(p.name for p in status_file.parent.iterdir()) == ["status.json"]


@pytest.mark.parametrize(
    ("error", "on_flush"),
    [
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), False),
        (OSError(errno.ENOSPC, "No space left on device"), True),
    ],
    ids=["EPIPE-on-write", "ENOSPC-on-flush"],
)
def test_a_failed_stdout_is_one_error_and_leaves_the_old_status(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: OSError,
    on_flush: bool,
) -> None:
    status_file = _status_file(tmp_path)
    monkeypatch.setattr(sys, "stdout", _FailingStdout(error, on_flush=on_flush))

    code = main([*example_arguments(), "--status-file", str(status_file)])

    fragment = f"cannot write the objects to stdout: [Errno {error.errno}]"
    _assert_one_error_and_old_status(code, capsys.readouterr().err, status_file, fragment)


def test_running_out_of_memory_is_one_error_and_leaves_the_old_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = _status_file(tmp_path)

    def exhausted(rendering: object) -> str:
        raise MemoryError

    monkeypatch.setattr(cli, "dump_objects", exhausted)

    code = main([*example_arguments(), "--status-file", str(status_file)])

    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_and_old_status(code, err, status_file, "out of memory while rendering")


def test_the_status_file_is_replaced_whole_after_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status_file = _status_file(tmp_path)
    seen_at_flush: list[str] = []

    class Stdout(io.StringIO):
        def flush(self) -> None:
            seen_at_flush.append(status_file.read_text(encoding="utf-8"))

    monkeypatch.setattr(sys, "stdout", Stdout())

    assert main([*example_arguments(), "--status-file", str(status_file), "--quiet"]) == 0

    assert seen_at_flush == [OLD_STATUS]  # still the old one while stdout was being flushed
    assert json.loads(status_file.read_text(encoding="utf-8"))["backendCount"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(status_file.stat().st_mode) == 0o666 & ~umask
    assert capsys.readouterr().err == ""


def test_a_full_disk_on_stdout_is_one_error_line_in_a_real_process(tmp_path: Path) -> None:
    status_file = _status_file(tmp_path)
    arguments = [*example_arguments(), "--status-file", str(status_file)]
    with Path("/dev/full").open("w") as full:
        process = subprocess.run(
            [sys.executable, "-m", "vmcp_components", *arguments],
            cwd=factories.ROOT,
            env=clock.subprocess_env(),
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    _assert_one_error_and_old_status(
        process.returncode, process.stderr, status_file, "[Errno 28] No space left on device"
    )

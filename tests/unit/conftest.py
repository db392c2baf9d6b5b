"""Shared fixtures for the unit tests: one real CLI run on the example snapshot per session."""

from __future__ import annotations

import pytest

from tests.unit.helpers import ExampleRun, example_arguments, finish_cli, start_cli


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> ExampleRun:
    """`python -m vmcp_components render` on examples/snapshot.yaml with a status file."""
    status_file = tmp_path_factory.mktemp("example") / "status.json"
    process = start_cli([*example_arguments(), "--status-file", str(status_file)])
    return ExampleRun(finish_cli(process), status_file)

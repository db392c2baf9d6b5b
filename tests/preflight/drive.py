"""Run preflight through its Python API with Secret values (run inside the test's sandbox).

    python drive.py SNAPSHOT NAMESPACE GROUP SECRETS_JSON

SECRETS_JSON maps "secret/key" to a value; it stands in for `--with-secrets`, which reads them
from the cluster. Prints the report as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vmcp_components.core.cluster.snapshot import load_snapshot
from vmcp_components.core.render import render
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.preflight.report import dump_json
from vmcp_components.preflight.runner import Settings, preflight


def main() -> None:
    snapshot, namespace, group, secrets = sys.argv[1:5]
    inventory = load_snapshot(Path(snapshot).read_text(), namespace, snapshot)
    rendering = render(inventory, "drive", VirtualMCPServerArgs(namespace=namespace, group=group))
    values = {tuple(k.split("/", 1)): v for k, v in json.loads(secrets).items()}
    report = preflight(rendering, inventory, Settings(timeout=3, secret_values=values))  # type: ignore[arg-type]
    sys.stdout.write(dump_json(report))


if __name__ == "__main__":
    main()

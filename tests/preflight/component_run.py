"""The component with `preflight: MODE` on Pulumi's mock engine (run inside the test's sandbox).

    python component_run.py SNAPSHOT NAMESPACE GROUP MODE

Reads answer from the snapshot's objects (tests/component/conftest.py's fake cluster); the
probes go to the sandbox's servers. Prints {"error", "warnings", "creates"} as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from tests.component.conftest import install, run_program
from vmcp_components.component.virtual_mcp_server import VirtualMCPServer


def main() -> None:
    snapshot, namespace, group, mode = sys.argv[1:5]
    objects = yaml.safe_load(Path(snapshot).read_text())["items"]
    engine = install(objects)
    engine.cluster.namespace = namespace
    args = {"namespace": namespace, "group": group, "preflight": mode}
    error = None
    try:
        run_program(lambda: VirtualMCPServer("pre", args, discovery=engine.discovery))
    except Exception as failure:  # noqa: BLE001 - reported to the test as data
        error = str(failure)
    creates = sorted(c.typ for c in engine.cluster.creates)
    print(json.dumps({"error": error, "warnings": engine.warnings.messages, "creates": creates}))


if __name__ == "__main__":
    main()

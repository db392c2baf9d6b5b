"""The pure core: everything `render` needs, with no cluster, no Pulumi and no clock of its own.

Contract (checked by `tests/test_layering.py`): modules under `core` import only the standard
library, pydantic, PyYAML, cryptography, `vmcp_components.errors` and other `core` modules.
Inside the core the layers go one way: `naming` and `cluster` (ToolHive's kinds and objects as
values) -> `settings` (the component's arguments) -> `backends` (a member becomes a backend or a
skip) -> `output` (config.yaml and the Kubernetes objects) -> `render` (orchestration only).
"""

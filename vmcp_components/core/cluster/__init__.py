"""Cluster objects as values: ToolHive's kinds and phases, their models, snapshots, inventories.

May import `core.naming` and `errors`; nothing of `settings`, `backends` or `output`.
"""

"""The component's settings: its arguments, the workload settings, and stack files read as such.

May import `core.naming`, `core.cluster` and `errors`.
"""

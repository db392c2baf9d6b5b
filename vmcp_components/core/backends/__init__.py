"""How a group's member becomes a vMCP backend or a skip with a reason (pure).

May import `core.naming`, `core.cluster`, `core.settings` and `errors`.
"""

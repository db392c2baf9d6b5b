"""What gets written: config.yaml (validated as vmcp validates it) and the Kubernetes objects.

May import everything in the core but `core.render`.
"""

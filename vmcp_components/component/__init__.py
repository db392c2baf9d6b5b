"""The Pulumi layer: the `VirtualMCPServer` component, its get-calls, outputs and the program.

The only layer that imports Pulumi (besides `watch`'s engine runner); it renders with the core
and discovers with `kube`.
"""

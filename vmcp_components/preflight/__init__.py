"""Preflight: probe every backend a rendering would include, the way vMCP will connect to it.

Pure modules (`targets`, `tools`, `report`) turn a rendering into probe targets, predict the
tool names vMCP would serve, and format the results; `network` resolves, vets (SSRF rules on
every resolved address) and connects; `probe` speaks MCP (the `mcp` package, imported only when
a probe runs: `vmcp-components[preflight]`); `runner` runs the probes with a deadline each and
a cap on how many run at once; `secrets` reads Secret values from the cluster, in memory only.
"""

"""vMCP guardrails as a Pulumi policy pack: what the VirtualMCPServer component declares."""

"""Pulumi program entry point: see vmcp_components.program."""

from vmcp_components.program import main

main()

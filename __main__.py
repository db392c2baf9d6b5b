"""Pulumi program entry point: see vmcp_components.component.program."""

from vmcp_components.component.program import main

main()

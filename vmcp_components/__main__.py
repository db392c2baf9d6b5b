"""`python -m vmcp_components ...`: the same program as the `vmcp-components` command."""

import sys

from vmcp_components.cli import main

sys.exit(main(prog="python -m vmcp_components"))

"""`python -m vmcp_components render ...`: see vmcp_components.cli."""

import sys

from vmcp_components.cli import main

sys.exit(main())

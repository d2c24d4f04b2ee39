"""`python -m provcheck` runs the command line."""

import sys

from provcheck.cli import main

sys.exit(main())

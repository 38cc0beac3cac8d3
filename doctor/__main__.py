"""`python -m doctor` runs the same command line as `doctor`."""

import sys

from doctor.cli import main

sys.exit(main())

"""`python -m doctor` runs the same command line as `doctor`."""

from doctor.cli import run

run()

"""Which finding ids the test suite produced, for the catalog tests.

Every Finding that a module of the `checks` package constructs in this process is recorded, and
every run of the Runner (in this process or in a `doctor` subprocess started by the suite)
appends its findings' ids to the log file named by DOCTOR_FINDINGS_LOG. In strict mode
(DOCTOR_STRICT_CATALOG) the Runner also turns an undeclared id into a crashed check.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from doctor.model import Finding
from doctor.runner import FINDINGS_LOG_ENV, STRICT_CATALOG_ENV

LOG = Path(tempfile.gettempdir()) / f"doctor-findings-{os.getpid()}.log"
constructed: Counter[str] = Counter()
WHOLE_SUITE = pytest.StashKey[bool]()  # set by conftest: did this session collect every test file?


def strict_environ() -> dict[str, str]:
    """The variables a `doctor` subprocess needs to audit its findings like the suite does."""
    return {STRICT_CATALOG_ENV: "1", FINDINGS_LOG_ENV: str(LOG)}


def install() -> None:
    """Start recording (called once from conftest)."""
    LOG.write_text("")
    os.environ.update(strict_environ())
    original = Finding.__post_init__

    def recording_post_init(self: Finding) -> None:
        original(self)
        caller = sys._getframe(2).f_globals.get("__name__", "")  # the code that called Finding(...)
        if caller.startswith("checks."):
            constructed[self.id] += 1

    Finding.__post_init__ = recording_post_init  # type: ignore[method-assign]


def emitted() -> set[str]:
    """Every id a check's run emitted through the Runner (in-process or a `doctor` subprocess)."""
    return set(LOG.read_text().split()) if LOG.exists() else set()


def produced() -> set[str]:
    """Every id emitted by a run, or constructed by check code that a test called directly."""
    return emitted() | set(constructed)

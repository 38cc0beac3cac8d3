"""chaski-doctor: find what is wrong with a Chaski app's configuration and integrations.

The plugin API. A check is a `Check` subclass registered in the `doctor.checks` entry-point
group; it reads configuration only through the `Context` it is given, declares every finding id
it can emit in its `catalog` of `FindingSpec`s, and returns `Finding`s, each with a `Severity`
and usually a `Fix`.

The names load on first use, so `doctor --version`, `doctor list` and `doctor explain` import
only what they need.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing itself costs a few ms of start-up; annotations are strings here
__version__ = "0.1.0"

_HOME = {
    "Check": "doctor.check",
    "FindingSpec": "doctor.check",
    "CheckResult": "doctor.model",
    "Finding": "doctor.model",
    "Fix": "doctor.model",
    "Severity": "doctor.severity",
    "SkipCheck": "doctor.model",
    "Status": "doctor.model",
    "Context": "doctor.context",
    "RunOptions": "doctor.context",
    "Secret": "doctor.secret",
    "fingerprint": "doctor.secret",
    "import_in_thread": "doctor.imports",
}

__all__ = [
    "Check",
    "CheckResult",
    "Context",
    "Finding",
    "FindingSpec",
    "Fix",
    "RunOptions",
    "Secret",
    "Severity",
    "SkipCheck",
    "Status",
    "__version__",
    "fingerprint",
    "import_in_thread",
]

if TYPE_CHECKING:
    from typing import Any

    from doctor.check import Check, FindingSpec
    from doctor.context import Context, RunOptions
    from doctor.imports import import_in_thread
    from doctor.model import CheckResult, Finding, Fix, SkipCheck, Status
    from doctor.secret import Secret, fingerprint
    from doctor.severity import Severity


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'doctor' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

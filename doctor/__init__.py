"""chaski-doctor: find what is wrong with a Chaski app's configuration and integrations.

The plugin API. A check is a `Check` subclass registered in the `doctor.checks` entry-point
group; it reads configuration only through the `Context` it is given and returns `Finding`s,
each with a `Severity` and usually a `Fix`.
"""

__version__ = "0.1.0"

from doctor.context import Context, RunOptions  # noqa: E402
from doctor.imports import import_in_thread  # noqa: E402
from doctor.model import Check, CheckResult, Finding, Fix, Severity, SkipCheck, Status  # noqa: E402
from doctor.secret import Secret, fingerprint  # noqa: E402

__all__ = [
    "Check",
    "CheckResult",
    "Context",
    "Finding",
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

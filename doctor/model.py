"""The plugin API's data types: severities, fixes, findings and check results."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from doctor.severity import Severity

__all__ = ["CheckResult", "Finding", "Fix", "Severity", "SkipCheck", "Status"]


@dataclass(frozen=True)
class Fix:
    """A remediation: what to do in words, plus copy-pasteable commands (never a secret)."""

    text: str
    commands: tuple[str, ...] = ()

    def __add__(self, other: Fix) -> Fix:
        text = " ".join(part for part in (self.text, other.text) if part)
        return Fix(text, self.commands + other.commands)


@dataclass
class Finding:
    """One problem or note. `id` is `<check>.<slug>` and never changes meaning once released.

    `vars` names every configuration variable the finding is about. `root_cause` marks a finding
    that explains others (a broken .env line that hides variables): ranking puts it first among
    its severity.

    Cause and consequence (`doctor/causes.py` links them after every check has run):
    - `caused_by` is the id of the finding that explains this one; a check sets it when it knows
      (a wrong callback path explains Google's `redirect_uri_mismatch`), the engine when the link
      spans checks. A consequence ranks right after its root and is folded under it.
    - `assumes` names variables the finding's premise depends on without being about them (a
      production-only rule assumes ENVIRONMENT): what changes or hides one of them is its cause.
    - `symptom` classifies a network failure the same way in every check (`dns`, `connect`,
      `tls_verify`), so one machine-wide cause can be told from per-integration faults.
    - `silenced` is set by the engine for ids the user silenced (`--silence`).
    """

    id: str
    severity: Severity
    title: str
    detail: str = ""
    fix: Fix | None = None
    vars: tuple[str, ...] = ()
    docs: str = ""
    root_cause: bool = False
    check: str = ""
    caused_by: str = ""
    assumes: tuple[str, ...] = ()
    symptom: str = ""
    silenced: bool = False
    cause: Finding | None = field(default=None, repr=False, compare=False)  # the root `caused_by` names

    def __post_init__(self) -> None:
        self.vars = tuple(self.vars)
        self.assumes = tuple(self.assumes)
        if not self.check:
            self.check = self.id.split(".", 1)[0]


class SkipCheck(Exception):
    """Raised by a check (usually via `Context.require`) when it has nothing to examine.

    The check is reported as `skipped` with this reason; `vars` names what was missing so the
    ranking can tie the skip to the finding that explains it.
    """

    def __init__(self, reason: str, vars: Iterable[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.vars = tuple(vars)


class Status(enum.Enum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"


@dataclass
class CheckResult:
    """What one check produced: its status, findings, time taken and, when skipped, why."""

    id: str
    title: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    duration_ms: int = 0
    reason: str | None = None
    network: bool = False
    boot_critical: bool = False
    offline_partial: bool = False
    skip_vars: tuple[str, ...] = ()
    vars_read: tuple[str, ...] = ()
    stage: int = 2
    synthetic: bool = False  # a run-level result the engine made (network.*), not an installed check

    @property
    def worst(self) -> Severity | None:
        """The worst severity among this check's findings, or None."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.weight)

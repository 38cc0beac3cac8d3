"""How one check's run becomes a `CheckResult`: shared by the concurrent runner and the inline
(offline, loop-free) one. Nothing here imports asyncio.

Strict catalog mode (`DOCTOR_STRICT_CATALOG`, set by a test suite: the doctor's own or a plugin
author's): an emitted finding id that the check's catalog does not declare turns the check into
`crashed`, and with `DOCTOR_FINDINGS_LOG=PATH` every emitted id is appended to PATH, so the suite
can tell which declared ids it never produced.
"""

from __future__ import annotations

import os
import time
import traceback

from doctor.catalog import declared_ids
from doctor.check import Check
from doctor.context import Context
from doctor.model import CheckResult, Finding, Fix, Severity, SkipCheck, Status

STRICT_CATALOG_ENV = "DOCTOR_STRICT_CATALOG"
FINDINGS_LOG_ENV = "DOCTOR_FINDINGS_LOG"
_FAILED = (Status.FAILED, Status.CRASHED, Status.TIMED_OUT, Status.SKIPPED)


def default_deadline(timeout: float) -> float:
    """The whole run's deadline for a per-operation `timeout`: room for three operations."""
    return 3 * timeout + 5


class UndeclaredFinding(Exception):
    """A check emitted a finding id missing from its catalog (raised only in strict mode)."""


def finish(check: Check, ctx: Context, findings: list[Finding], started: float) -> CheckResult:
    """The result of a check whose `run` returned `findings`: audited, attributed, given a status."""
    try:
        audit(check, findings)
    except UndeclaredFinding as exc:  # its message holds finding ids only, no value
        result = crashed(check, exc, elapsed_ms(started))
        result.reason = f"crashed: {exc}"
        result.findings[0].detail = f"The check {exc}: every id it emits must be in its catalog."
        return result
    for finding in findings:
        if not finding.check or finding.check != check.id:
            finding.check = check.id
        if not finding.docs:
            finding.docs = check.docs
    status = Status.FAILED if any(f.severity >= Severity.WARNING for f in findings) else Status.PASSED
    result = result_for(check, status, started=started)
    result.findings = findings
    result.vars_read = tuple(sorted(ctx.read_vars))
    if check.network and ctx.offline:
        result.offline_partial = True
        result.reason = "offline: network probe not run"
    return result


def skipped(check: Check, skip: SkipCheck, ctx: Context, started: float) -> CheckResult:
    """The result of a check that raised SkipCheck (nothing to examine)."""
    result = result_for(check, Status.SKIPPED, reason=skip.reason, started=started)
    result.skip_vars = skip.vars
    result.vars_read = tuple(sorted(ctx.read_vars))
    return result


def explain_unexplained_skips(results: list[CheckResult]) -> None:
    """A check skipped for an unset variable that no other result's finding names gets `<id>.unset`.

    Without it `doctor --only postgres` with DATABASE_URL unset would read as healthy (exit 0,
    status ok): a skipped check must never look like a passed one to a triage script.
    """
    named = {var for r in results for f in r.findings for var in f.vars}
    for result in results:
        if result.status is not Status.SKIPPED or not result.skip_vars:
            continue
        missing = [var for var in result.skip_vars if var not in named]
        if not missing:
            continue
        verb = "is" if len(missing) == 1 else "are"
        result.findings.append(Finding(
            id=f"{result.id}.unset",
            severity=Severity.CRITICAL if result.boot_critical else Severity.ERROR,
            title=f"{', '.join(missing)} {verb} not set, so the {result.id} check could not run",
            detail=(f"The {result.id} check was skipped ({result.reason}); no other check that ran reports "
                    "the missing variable, so this is not a healthy result."),
            fix=Fix("Set it; a run without --only explains every missing variable and what it should hold.",
                    ("doctor --offline",)),
            vars=tuple(missing), check=result.id, root_cause=True,
        ))


def prerequisite_failed(check: Check, prerequisite: str, before: CheckResult) -> CheckResult | None:
    """A skipped result when `before` (the prerequisite's result) failed seriously, else None."""
    if before.status in _FAILED and (before.status is not Status.FAILED or _serious(before)):
        why = before.reason or (before.findings[0].title if before.findings else before.status.value)
        return result_for(check, Status.SKIPPED, reason=f"because {prerequisite} {before.status.value}: {why}")
    return None


def audit(check: Check, findings: list[Finding]) -> None:
    """In strict mode, hold the emitted ids to the check's catalog and log them."""
    if not os.environ.get(STRICT_CATALOG_ENV):
        return
    log = os.environ.get(FINDINGS_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.writelines(f"{finding.id}\n" for finding in findings)
    undeclared = sorted({f.id for f in findings} - declared_ids(check))
    if undeclared:
        raise UndeclaredFinding(f"emitted undeclared finding id(s) {', '.join(undeclared)}")


def _serious(result: CheckResult) -> bool:
    worst = result.worst
    return worst is not None and worst >= Severity.ERROR


def elapsed_ms(started: float) -> int:
    """Milliseconds since `started` (time.monotonic())."""
    return int((time.monotonic() - started) * 1000)


def result_for(check: Check, status: Status, reason: str | None = None,
               started: float | None = None) -> CheckResult:
    """An empty result of `check` with `status`."""
    return CheckResult(
        id=check.id,
        title=check.title or check.id,
        status=status,
        duration_ms=elapsed_ms(started) if started is not None else 0,
        reason=reason,
        network=check.network,
        boot_critical=check.boot_critical,
        stage=getattr(check, "stage", 2),
    )


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def crashed(check: Check, exc: BaseException, duration_ms: int) -> CheckResult:
    """The result of a check that raised: the exception's type and place, never its message."""
    # The exception's message is deliberately left out: library errors often quote the DSN,
    # the key or the request that carried a secret.
    where = _where(exc)
    finding = Finding(
        id=f"{check.id}.crashed",
        severity=Severity.ERROR,
        title=f"The {check.id} check crashed ({type(exc).__name__})",
        detail=(f"It raised {type(exc).__name__}" + (f" at {where}" if where else "")
                + "; its message is not shown because it may contain a secret. The other checks still ran."),
        fix=Fix("This is a bug in the doctor or the check's plugin: report it with the exception type and location.",),
        check=check.id,
    )
    result = result_for(check, Status.CRASHED, reason=f"crashed: {type(exc).__name__}")
    result.duration_ms = duration_ms
    result.findings = [finding]
    return result


def timed_out_finding(check: Check, reason: str) -> Finding:
    """The finding of a check stopped for time."""
    return Finding(
        id=f"{check.id}.timed_out",
        severity=Severity.ERROR,
        title=f"The {check.id} check {reason}",
        detail="It was stopped so the run could finish; whatever it was waiting on did not answer in time.",
        fix=Fix("Run it alone with a longer timeout to see where it waits.",
                (f"doctor --only {check.id} --timeout 30 -v",)),
        check=check.id,
    )

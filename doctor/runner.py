"""Runs every selected check at once, each under its own timeout and a whole-run deadline.

A check that raises becomes a `crashed` result naming the exception type (never its message,
which may carry a secret); a check that overruns becomes `timed_out`; a check whose prerequisite
failed is `skipped` with the reason. Results are kept as they finish, so an interrupted run can
still report what completed.
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from collections.abc import Callable

from doctor.catalog import declared_ids
from doctor.check import Check
from doctor.context import Context
from doctor.model import CheckResult, Finding, Fix, Severity, SkipCheck, Status

ProgressCallback = Callable[[CheckResult], None]

_FAILED = (Status.FAILED, Status.CRASHED, Status.TIMED_OUT, Status.SKIPPED)

# Set by a test suite (the doctor's own, or a plugin author's): an emitted finding id that the
# check's catalog does not declare turns the check into `crashed`, and every emitted id is
# appended to the log file, so the suite can tell which declared ids it never produced.
STRICT_CATALOG_ENV = "DOCTOR_STRICT_CATALOG"
FINDINGS_LOG_ENV = "DOCTOR_FINDINGS_LOG"


class UndeclaredFinding(Exception):
    """A check emitted a finding id missing from its catalog (raised only in strict mode)."""


def default_deadline(timeout: float) -> float:
    """The whole run's deadline for a per-operation `timeout`: room for three operations."""
    return 3 * timeout + 5


class Runner:
    """Runs checks concurrently and collects their results."""

    def __init__(
        self,
        checks: list[Check],
        ctx: Context,
        deadline_seconds: float,
        on_result: ProgressCallback | None = None,
    ) -> None:
        self.checks = checks
        self.ctx = ctx
        self.deadline_seconds = deadline_seconds
        self.on_result = on_result
        self.results: dict[str, CheckResult] = {}
        self._done: dict[str, asyncio.Event] = {}

    def per_check_timeout(self, check: Check) -> float:
        """A network check may take three operations' worth; an offline one, one."""
        budget = self.ctx.options.timeout * (3 if check.network else 1)
        return min(budget, self.deadline_seconds)

    async def run(self) -> list[CheckResult]:
        """Run every check; return results in check order. Never raises for a check's sake."""
        self.ctx.deadline = time.monotonic() + self.deadline_seconds
        self._done = {c.id: asyncio.Event() for c in self.checks}
        try:
            async with asyncio.timeout(self.deadline_seconds + 1):
                async with asyncio.TaskGroup() as group:
                    for check in self.checks:
                        group.create_task(self._run_one(check))
        except TimeoutError:
            pass  # every unfinished check is reported as timed out below
        return self.collect(unfinished_reason=f"the run's {self.deadline_seconds:g} s deadline passed")

    def collect(self, unfinished_reason: str, status: Status = Status.TIMED_OUT) -> list[CheckResult]:
        """Results in check order; a check that has not finished gets `status` and the reason."""
        ordered = []
        for check in self.checks:
            result = self.results.get(check.id)
            if result is None:
                result = _result(check, status, reason=unfinished_reason)
                if status is Status.TIMED_OUT:
                    result.findings = [_timed_out_finding(check, unfinished_reason)]
            ordered.append(result)
        return ordered

    async def _run_one(self, check: Check) -> None:
        try:
            result = await self._prerequisites_failed(check)
            if result is None:
                result = await self._execute(check)
        except Exception as exc:  # isolation: nothing a check does escapes
            result = _crashed(check, exc, 0)
        self.results[check.id] = result
        self._done[check.id].set()
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:  # a broken progress display must not lose a result
                pass

    async def _prerequisites_failed(self, check: Check) -> CheckResult | None:
        for prerequisite in check.depends_on:
            event = self._done.get(prerequisite)
            if event is None:
                continue  # not selected: nothing to wait for
            await event.wait()
            before = self.results[prerequisite]
            if before.status in _FAILED and (before.status is not Status.FAILED or _serious(before)):
                why = before.reason or (before.findings[0].title if before.findings else before.status.value)
                return _result(check, Status.SKIPPED, reason=f"because {prerequisite} {before.status.value}: {why}")
        return None

    async def _execute(self, check: Check) -> CheckResult:
        ctx = self.ctx.for_check()
        started = time.monotonic()
        limit = self.per_check_timeout(check)
        try:
            async with asyncio.timeout(limit):
                findings = list(await check.run(ctx) or [])
            if not all(isinstance(f, Finding) for f in findings):
                raise TypeError(f"{check.id}.run() returned something other than Finding objects")
        except SkipCheck as skip:
            result = _result(check, Status.SKIPPED, reason=skip.reason, started=started)
            result.skip_vars = skip.vars
            result.vars_read = tuple(sorted(ctx.read_vars))
            return result
        except TimeoutError:
            reason = f"did not finish within {limit:g} s"
            result = _result(check, Status.TIMED_OUT, reason=reason, started=started)
            result.findings = [_timed_out_finding(check, reason)]
            return result
        except Exception as exc:
            return _crashed(check, exc, _elapsed_ms(started))
        try:
            _audit(check, findings)
        except UndeclaredFinding as exc:  # its message holds finding ids only, no value
            result = _crashed(check, exc, _elapsed_ms(started))
            result.reason = f"crashed: {exc}"
            result.findings[0].detail = f"The check {exc}: every id it emits must be in its catalog."
            return result
        for finding in findings:
            if not finding.check or finding.check != check.id:
                finding.check = check.id
            if not finding.docs:
                finding.docs = check.docs
        status = Status.FAILED if any(f.severity >= Severity.WARNING for f in findings) else Status.PASSED
        result = _result(check, status, started=started)
        result.findings = findings
        result.vars_read = tuple(sorted(ctx.read_vars))
        if check.network and ctx.offline:
            result.offline_partial = True
            result.reason = "offline: network probe not run"
        return result


def _audit(check: Check, findings: list[Finding]) -> None:
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


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _result(check: Check, status: Status, reason: str | None = None, started: float | None = None) -> CheckResult:
    return CheckResult(
        id=check.id,
        title=check.title or check.id,
        status=status,
        duration_ms=_elapsed_ms(started) if started is not None else 0,
        reason=reason,
        network=check.network,
        boot_critical=check.boot_critical,
    )


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def _crashed(check: Check, exc: BaseException, duration_ms: int) -> CheckResult:
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
    result = _result(check, Status.CRASHED, reason=f"crashed: {type(exc).__name__}")
    result.duration_ms = duration_ms
    result.findings = [finding]
    return result


def _timed_out_finding(check: Check, reason: str) -> Finding:
    return Finding(
        id=f"{check.id}.timed_out",
        severity=Severity.ERROR,
        title=f"The {check.id} check {reason}",
        detail="It was stopped so the run could finish; whatever it was waiting on did not answer in time.",
        fix=Fix("Run it alone with a longer timeout to see where it waits.",
                (f"doctor --only {check.id} --timeout 30 -v",)),
        check=check.id,
    )

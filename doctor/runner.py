"""Runs every selected check at once, each under its own timeout and a whole-run deadline.

A check that raises becomes a `crashed` result naming the exception type (never its message,
which may carry a secret); a check that overruns becomes `timed_out`; a check whose prerequisite
failed is `skipped` with the reason. Results are kept as they finish, so an interrupted run can
still report what completed. (`doctor/inline.py` runs an `--offline` run without an event loop;
both build their results with `doctor/outcome.py`.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from doctor.check import Check
from doctor.context import Context
from doctor.model import CheckResult, Finding, SkipCheck, Status
from doctor.outcome import (  # noqa: F401  (the env names and default_deadline: re-exported)
    FINDINGS_LOG_ENV,
    STRICT_CATALOG_ENV,
    crashed,
    default_deadline,
    elapsed_ms,
    finish,
    prerequisite_failed,
    result_for,
    skipped,
    timed_out_finding,
)

ProgressCallback = Callable[[CheckResult], None]


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
                result = result_for(check, status, reason=unfinished_reason)
                if status is Status.TIMED_OUT:
                    result.findings = [timed_out_finding(check, unfinished_reason)]
            ordered.append(result)
        return ordered

    async def _run_one(self, check: Check) -> None:
        try:
            result = await self._prerequisites_failed(check)
            if result is None:
                result = await self._execute(check)
        except Exception as exc:  # isolation: nothing a check does escapes
            result = crashed(check, exc, 0)
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
            blocked = prerequisite_failed(check, prerequisite, self.results[prerequisite])
            if blocked is not None:
                return blocked
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
            return skipped(check, skip, ctx, started)
        except TimeoutError:
            reason = f"did not finish within {limit:g} s"
            result = result_for(check, Status.TIMED_OUT, reason=reason, started=started)
            result.findings = [timed_out_finding(check, reason)]
            return result
        except Exception as exc:
            return crashed(check, exc, elapsed_ms(started))
        return finish(check, ctx, findings, started)



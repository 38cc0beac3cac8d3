"""An `--offline` run without an event loop: the checks' coroutines driven one after another.

Offline, every check is CPU-bound (no connection is opened), so running them concurrently gains
nothing and a per-check timeout could not interrupt them anyway (asyncio stops a coroutine only
where it awaits). Importing asyncio, though, costs more than all the offline checks together, and
`release: doctor --offline` runs on every deploy. So each check's coroutine is driven inline; the
first one that awaits something real (it needs a loop after all) makes `run_inline` give up and
return None, and the caller runs the whole selection with the concurrent `Runner` instead.
Results are built exactly as the Runner builds them (`doctor/outcome.py`).
"""

from __future__ import annotations

import time

from doctor.model import Finding, SkipCheck, Status
from doctor.outcome import crashed, elapsed_ms, finish, prerequisite_failed, result_for, skipped, timed_out_finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from doctor.check import Check
    from doctor.context import Context
    from doctor.model import CheckResult


class NeedsLoop(Exception):
    """A check awaited something that only an event loop can deliver."""


def _drive(coroutine: object) -> object:
    """Run a coroutine that never suspends; raise NeedsLoop (and close it) when it does, or when
    it asks asyncio for the running loop (asyncio.sleep, asyncio.timeout, …)."""
    try:
        coroutine.send(None)  # type: ignore[attr-defined]
    except StopIteration as done:
        return done.value
    except RuntimeError as exc:
        if str(exc) == "no running event loop":
            raise NeedsLoop from None
        raise
    coroutine.close()  # type: ignore[attr-defined]
    raise NeedsLoop


def _ordered(checks: list[Check]) -> list[Check]:
    """Prerequisites first (among the selected checks), otherwise the given order."""
    selected = {c.id: c for c in checks}
    done: dict[str, Check] = {}

    def visit(check: Check, path: tuple[str, ...]) -> None:
        if check.id in done or check.id in path:
            return
        for name in check.depends_on:
            if name in selected:
                visit(selected[name], (*path, check.id))
        done[check.id] = check

    for check in checks:
        visit(check, ())
    return list(done.values())


def run_inline(checks: list[Check], ctx: Context, deadline_seconds: float,
               on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult] | None:
    """Results in check order, or None when some check needs an event loop."""
    ctx.deadline = time.monotonic() + deadline_seconds
    results: dict[str, CheckResult] = {}
    for check in _ordered(checks):
        result = _one(check, ctx, results)
        if result is None:
            return None
        results[check.id] = result
        if on_result is not None:
            try:
                on_result(result)
            except Exception:  # a broken progress display must not lose a result
                pass
    return [results[c.id] for c in checks]


def _one(check: Check, shared: Context, results: dict[str, CheckResult]) -> CheckResult | None:
    for prerequisite in check.depends_on:
        if prerequisite in results:
            blocked = prerequisite_failed(check, prerequisite, results[prerequisite])
            if blocked is not None:
                return blocked
    if shared.deadline is not None and time.monotonic() >= shared.deadline:
        reason = "the run's deadline passed before it started"
        result = result_for(check, Status.TIMED_OUT, reason=reason)
        result.findings = [timed_out_finding(check, reason)]
        return result
    ctx = shared.for_check()
    started = time.monotonic()
    try:
        findings = list(_drive(check.run(ctx)) or [])  # type: ignore[call-overload]
        if not all(isinstance(f, Finding) for f in findings):
            raise TypeError(f"{check.id}.run() returned something other than Finding objects")
    except NeedsLoop:
        return None
    except SkipCheck as skip:
        return skipped(check, skip, ctx, started)
    except Exception as exc:  # isolation: nothing a check does escapes
        return crashed(check, exc, elapsed_ms(started))
    return finish(check, ctx, findings, started)

"""Third-party checks, registered through an installed distribution's entry points, exactly as
a real plugin package would be. Used by tests/engine/test_plugins.py."""

from __future__ import annotations

import asyncio

from doctor import Check, Context, Finding, FindingSpec, Fix, Severity


class SampleCheck(Check):
    """Fails when SAMPLE_FLAG is not 'on'."""

    id = "sample"
    title = "Sample third-party check"
    vars = ("SAMPLE_FLAG",)
    docs = "Sample plugin README › Flags"
    catalog = (
        FindingSpec("flag_off", Severity.ERROR, "SAMPLE_FLAG is not on, so the sample feature is off.",
                    "Set SAMPLE_FLAG=on.", causes="The variable was never set, or set to another word."),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        if ctx.get("SAMPLE_FLAG") == "on":
            return []
        return [Finding("sample.flag_off", Severity.ERROR, "SAMPLE_FLAG is not on", vars=("SAMPLE_FLAG",),
                        fix=ctx.set_fix("SAMPLE_FLAG", "on"))]


class CrashingCheck(Check):
    """Raises with a secret in the message: the report must name the type, never the message."""

    id = "sample_crash"
    title = "Crashes"
    vars = ("SECRET_KEY",)

    async def run(self, ctx: Context) -> list[Finding]:
        raise RuntimeError(f"boom with {ctx.get('SECRET_KEY')}")


class SlowCheck(Check):
    """Never finishes on its own."""

    id = "sample_slow"
    title = "Hangs"
    network = True

    async def run(self, ctx: Context) -> list[Finding]:
        await asyncio.sleep(3600)
        return []


class DependentCheck(Check):
    """Depends on `sample`: skipped when it fails."""

    id = "sample_dependent"
    title = "Needs sample"
    depends_on = ("sample",)
    catalog = (FindingSpec("ran", Severity.INFO, "The dependent check ran.", "Nothing to fix."),)

    async def run(self, ctx: Context) -> list[Finding]:
        return [Finding("sample_dependent.ran", Severity.INFO, "ran", fix=Fix("nothing"))]


class MalformedCheck(Check):
    """Returns strings instead of findings: a plugin bug the engine must contain."""

    id = "sample_malformed"
    title = "Returns the wrong type"

    async def run(self, ctx: Context) -> list[Finding]:
        return ["not a finding"]  # type: ignore[list-item]


class UndeclaredCheck(Check):
    """Emits an id its catalog does not declare: a bug the strict catalog mode must catch."""

    id = "sample_undeclared"
    title = "Emits an undeclared id"
    catalog = (FindingSpec("declared", Severity.INFO, "A declared note.", "Nothing to fix."),)

    async def run(self, ctx: Context) -> list[Finding]:
        return [Finding("sample_undeclared.surprise", Severity.WARNING, "not in the catalog")]

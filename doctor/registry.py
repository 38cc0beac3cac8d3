"""Check discovery through the `doctor.checks` entry-point group, and selection by id.

Built-in checks are registered exactly as a third-party package registers its own:

    [project.entry-points."doctor.checks"]
    mycheck = "mypackage.mycheck:MyCheck"
"""

from __future__ import annotations

from doctor.check import Check
from doctor.entrypoints import entry_points

TYPE_CHECKING = False  # `doctor list` loads no dataclasses or model unless a plugin is broken
if TYPE_CHECKING:
    from doctor.model import CheckResult

GROUP = "doctor.checks"


class SelectionError(Exception):
    """`--only` or `--skip` named a check that is not installed (exit code 2)."""


class Registry:
    """The installed checks, in display order, and the ones that failed to load."""

    __slots__ = ("checks", "failures")

    def __init__(self, checks: list[Check], failures: list[CheckResult]) -> None:
        self.checks = checks
        self.failures = failures

    @property
    def ids(self) -> list[str]:
        """Every check id, loaded or not."""
        return [c.id for c in self.checks] + [f.id for f in self.failures]

    def select(self, only: list[str] | None, skip: list[str] | None) -> Registry:
        """Keep the checks named by `only` (all when None), minus those in `skip` and those that
        run only under a subcommand of their own (`Check.command`)."""
        known = set(self.ids)
        unknown = sorted({*(only or []), *(skip or [])} - known)
        if unknown:
            raise SelectionError(
                f"unknown check id(s): {', '.join(unknown)}; installed: {', '.join(sorted(known))}"
            )
        commands = {c.id: c.command for c in self.checks if c.command}
        asked = sorted(set(only or []) & set(commands))
        if asked:
            raise SelectionError("; ".join(f"{i} runs only under `doctor {commands[i]}`" for i in asked))
        wanted = set(only) if only else known
        wanted -= set(skip or []) | set(commands)
        return Registry(
            [c for c in self.checks if c.id in wanted],
            [f for f in self.failures if f.id in wanted],
        )


def _load_failure(name: str, exc: BaseException) -> CheckResult:
    from doctor.model import CheckResult, Finding, Fix, Severity, Status

    duplicate = isinstance(exc, ValueError) and "already registered" in str(exc)
    finding = Finding(
        id=f"{name}.load_failed",
        severity=Severity.ERROR,
        title=f"The {name} check could not be loaded ({type(exc).__name__})",
        detail=(f"Its entry point in the doctor.checks group {exc}; it was not run." if duplicate else
                "Its entry point in the doctor.checks group raised while importing; the other checks still ran."),
        fix=Fix("Reinstall the package that provides it, or run `doctor list` to see what is installed.",
                ("pip install --force-reinstall chaski-doctor",)),
        check=name,
    )
    return CheckResult(name, name, Status.CRASHED, [finding], reason=f"failed to load: {type(exc).__name__}")


def discover() -> Registry:
    """Load every check registered in the `doctor.checks` group. Never raises."""
    checks: dict[str, Check] = {}
    failures: list[CheckResult] = []
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            loaded = entry.load()
            check = loaded() if isinstance(loaded, type) else loaded
            if not isinstance(check, Check) or not check.id:
                raise TypeError(f"{entry.value} is not a doctor.Check with an id")
        except Exception as exc:  # a broken plugin must not take the doctor down
            failures.append(_load_failure(entry.name, exc))
            continue
        if check.id in checks:
            failures.append(_load_failure(entry.name, ValueError(f"check id {check.id!r} is already registered")))
            continue
        checks[check.id] = check
    ordered = sorted(checks.values(), key=lambda c: (getattr(c, "order", 500), c.id))
    return Registry(ordered, failures)

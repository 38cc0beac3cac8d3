"""The report every renderer draws from: ranked findings, check statuses, verdict, exit code.

Building the report is where every string is scrubbed of secret values, so no renderer can
leak one whatever a check or a library put into a message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from doctor import __version__
from doctor.causes import link
from doctor.context import DESTRUCTIVE_MARK
from doctor.exitcodes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE  # noqa: F401  (re-exported)
from doctor.model import CheckResult, Finding, Fix, Severity, Status
from doctor.ranking import RankedFinding, rank

SCHEMA = 1


@dataclass
class Report:
    """Everything a renderer needs. `findings` are ranked; `checks` are in check order."""

    checks: list[CheckResult]
    findings: list[RankedFinding]
    context: dict[str, Any]
    fail_on: Severity = Severity.ERROR
    interrupted: bool = False
    offline_skipped: list[str] = field(default_factory=list)

    @property
    def active(self) -> list[RankedFinding]:
        """The findings that count: every one not silenced."""
        return [r for r in self.findings if not r.finding.silenced]

    @property
    def silenced(self) -> list[RankedFinding]:
        """The findings the user silenced (kept in JSON, left out of status and exit code)."""
        return [r for r in self.findings if r.finding.silenced]

    @property
    def heads(self) -> list[RankedFinding]:
        """The findings shown on their own: roots and findings with no cause, silenced ones left out."""
        return [r for r in self.active if r.root_rank is None]

    def consequences(self, ranked: RankedFinding) -> list[RankedFinding]:
        """The findings folded under `ranked` (its consequences), in rank order."""
        return [r for r in self.findings if r.root_rank == ranked.rank]

    @property
    def worst(self) -> Severity | None:
        """The worst severity present among findings not silenced, or None."""
        severities = [r.finding.severity for r in self.active]
        return max(severities, key=lambda s: s.weight) if severities else None

    @property
    def status(self) -> str:
        """`critical`, `error`, `warning`, `info`, or `ok`."""
        return self.worst.value if self.worst else "ok"

    @property
    def exit_code(self) -> int:
        """130 when interrupted; 1 when anything reaches `fail_on`; else 0."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAIL if self.worst is not None and self.worst >= self.fail_on else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        """Schema 1 of design.md, keys in a stable order."""
        return {
            "schema": SCHEMA,
            "doctor_version": __version__,
            "status": self.status,
            "exit_code": self.exit_code,
            "context": self.context,
            "findings": [finding_dict(r) for r in self.findings],
            "checks": [
                {"id": c.id, "status": c.status.value, "duration_ms": c.duration_ms, "reason": c.reason}
                for c in self.checks
            ],
        }


def finding_dict(ranked: RankedFinding) -> dict[str, Any]:
    """One finding in schema 1's key order."""
    f = ranked.finding
    return {
        "id": f.id,
        "check": f.check,
        "severity": f.severity.value,
        "rank": ranked.rank,
        "title": f.title,
        "detail": f.detail,
        "fix": f.fix.text if f.fix else "",
        "commands": list(f.fix.commands) if f.fix else [],
        "vars": list(f.vars),
        "docs": f.docs,
        "caused_by": f.caused_by or None,
        "silenced": f.silenced,
    }


def _scrub_finding(finding: Finding, scrub: Callable[[str], str]) -> Finding:
    # Titles and details may quote a server or a library: there even a fragment of a secret is masked.
    # Fixes and commands are the doctor's own words, where only whole values can appear.
    peer = getattr(scrub, "across_lines", scrub)  # fragments too, also where a line break splits an echo
    fix = None
    if finding.fix is not None:
        fix = Fix(scrub(finding.fix.text), tuple(scrub(c) for c in finding.fix.commands))
    return dataclasses.replace(
        finding, title=peer(finding.title), detail=peer(finding.detail), fix=fix, docs=scrub(finding.docs),
        vars=tuple(scrub(name) for name in finding.vars),  # a key pasted alone on a line is read as a name
    )


def _scrub_result(result: CheckResult, scrub: Callable[[str], str]) -> CheckResult:
    peer = getattr(scrub, "across_lines", scrub)
    return dataclasses.replace(
        result,
        reason=peer(result.reason) if result.reason else result.reason,
        findings=[_scrub_finding(f, scrub) for f in result.findings],
    )


def _withhold_destructive(finding: Finding) -> Finding:
    """Below an error a destructive command is not offered: a warning is no reason to log every user
    out or make data unreadable. The words stay, so the user can plan the step."""
    if finding.fix is None or finding.severity >= Severity.ERROR:
        return finding
    kept = tuple(c for c in finding.fix.commands if DESTRUCTIVE_MARK not in c)
    if len(kept) == len(finding.fix.commands):
        return finding
    consequences = [c.split(DESTRUCTIVE_MARK, 1)[1] for c in finding.fix.commands if DESTRUCTIVE_MARK in c]
    note = (f"The step that changes it is destructive ({'; '.join(consequences)}), so it is not offered as a "
            "command under a warning: plan it, then set the new value as an error's fix would.")
    finding.fix = Fix(" ".join(p for p in (finding.fix.text, note) if p), kept)
    return finding


def build_report(
    results: list[CheckResult],
    context: dict[str, Any],
    scrub: Callable[[str], str],
    fail_on: Severity = Severity.ERROR,
    interrupted: bool = False,
    silence: frozenset[str] = frozenset(),
) -> Report:
    """Scrub, link causes, mark what `silence` names (finding or check ids), rank and wrap."""
    clean = [_scrub_result(r, scrub) for r in results]
    linked = link(clean)  # a machine-wide root it adds holds check ids and fixed text only
    for result in linked:
        result.findings = [_withhold_destructive(f) for f in result.findings]
    for result in linked:
        for finding in result.findings:
            finding.silenced = finding.id in silence or finding.check in silence
    offline_skipped = [r.id for r in clean if r.offline_partial]
    checks = [r for r in linked if not r.synthetic]
    return Report(checks, rank(linked), context, fail_on, interrupted, offline_skipped)


def check_symbol(result: CheckResult) -> str:
    """✓ passed (or everything found was silenced), ✗ failed with an error or worse, ! warnings only,
    – skipped or not run. Silenced findings do not count."""
    if result.status is Status.PASSED:
        return "✓"
    if result.status is Status.SKIPPED:
        return "–"
    if result.status is Status.FAILED and result.findings and all(f.silenced for f in result.findings):
        return "✓"  # everything it found was silenced: accepted, not failing
    active = [f.severity for f in result.findings if not f.silenced]
    worst = max(active, key=lambda s: s.weight) if active else None
    if result.status is Status.FAILED and worst is not None and worst < Severity.ERROR:
        return "!"
    return "✗"

"""Ranking: a pure function from check results to findings, most important first.

Order: severity; then root cause before consequence (a finding that explains why another check
was skipped, or that a check marked as a root cause); then what stops the app from booting
before what breaks one feature; then the checks' own order, then each check's finding order.
"""

from __future__ import annotations

from dataclasses import dataclass

from doctor.model import CheckResult, Finding, Status


@dataclass(frozen=True)
class RankedFinding:
    """A finding with its 1-based rank."""

    rank: int
    finding: Finding


def _explains_a_skip(finding: Finding, results: list[CheckResult]) -> bool:
    for result in results:
        if result.status is not Status.SKIPPED:
            continue
        if set(finding.vars) & set(result.skip_vars):
            return True
        if result.reason and f"because {finding.check} " in result.reason:
            return True
    return False


def rank(results: list[CheckResult]) -> list[RankedFinding]:
    """Every finding of every result, ranked. Pure: same input, same output."""
    boot = {r.id: r.boot_critical for r in results}
    keyed = []
    for check_index, result in enumerate(results):
        for finding_index, finding in enumerate(result.findings):
            root = finding.root_cause or _explains_a_skip(finding, results)
            key = (
                -finding.severity.weight,
                0 if root else 1,
                0 if boot.get(finding.check, False) else 1,
                check_index,
                finding_index,
            )
            keyed.append((key, finding))
    keyed.sort(key=lambda pair: pair[0])
    return [RankedFinding(i + 1, finding) for i, (_, finding) in enumerate(keyed)]

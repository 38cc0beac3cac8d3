"""Ranking: a pure function from check results to findings, most important first.

Findings form groups: a root and the consequences that name it (`Finding.cause`, set by
`doctor/causes.py`). Groups are ordered by the worst severity in them; then a root cause (a
finding that explains others or why another check was skipped) before a finding that stands
alone; then what stops the app from booting before what breaks one feature; then the checks' own
order and each check's finding order. Inside a group the root comes first, its consequences
right after it (`RankedFinding.root_rank` names the root's rank). Silenced findings come last and
fold nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from doctor.model import CheckResult, Finding, Status


@dataclass(frozen=True)
class RankedFinding:
    """A finding with its 1-based rank, and the rank of the root it is folded under (or None)."""

    rank: int
    finding: Finding
    root_rank: int | None = None


def _explains_a_skip(finding: Finding, results: list[CheckResult]) -> bool:
    for result in results:
        if result.status is not Status.SKIPPED:
            continue
        if set(finding.vars) & set(result.skip_vars):
            return True
        if result.reason and f"because {finding.check} " in result.reason:
            return True
    return False


def folded(finding: Finding) -> bool:
    """True when `finding` is shown under its root rather than on its own."""
    cause = finding.cause
    return cause is not None and not finding.silenced and not cause.silenced


def rank(results: list[CheckResult]) -> list[RankedFinding]:
    """Every finding of every result, ranked. Pure: same input, same output."""
    boot = {r.id: r.boot_critical for r in results}
    order: dict[int, tuple[int, int]] = {}
    everything: list[Finding] = []
    for check_index, result in enumerate(results):
        for finding_index, finding in enumerate(result.findings):
            order[id(finding)] = (check_index, finding_index)
            everything.append(finding)
    consequences: dict[int, list[Finding]] = {}
    heads = []
    for finding in everything:
        if folded(finding) and id(finding.cause) in order:
            consequences.setdefault(id(finding.cause), []).append(finding)
        else:
            heads.append(finding)

    def key(finding: Finding, members: list[Finding]) -> tuple[object, ...]:
        worst = max((finding.severity, *(m.severity for m in members)), key=lambda s: s.weight)
        root = finding.root_cause or bool(members) or _explains_a_skip(finding, results)
        return (1 if finding.silenced else 0, -worst.weight, 0 if root else 1,
                0 if boot.get(finding.check, False) else 1, *order[id(finding)])

    heads.sort(key=lambda f: key(f, consequences.get(id(f), [])))
    ranked: list[RankedFinding] = []
    for head in heads:
        ranked.append(RankedFinding(len(ranked) + 1, head))
        head_rank = len(ranked)
        for member in sorted(consequences.get(id(head), []), key=lambda f: key(f, [])):
            ranked.append(RankedFinding(len(ranked) + 1, member, head_rank))
    return ranked

"""Plain text (no colour) without rich: the same bytes the rich renderer writes, at a fraction of
the start-up cost. Heroku logs, pipes and `release: doctor --offline` always take this path.

It lays out the report exactly as `render/text.py` does with a 100-column rich console (the same
word wrap, the same hanging indent) and a differential test holds the two to identical output.
Text it cannot measure the way rich does (wide or combining characters, ranks of 100 and more)
returns None, and the caller uses rich.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from doctor.model import Finding, Severity, Status
from doctor.ranking import RankedFinding
from doctor.report import Report, check_symbol

WIDTH = 100
_RANK_WIDTH = 3
_WORD = re.compile(r"\s*\S+\s*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # rich strips some of these: it renders such text
# Rich's own single-cell ranges; beyond them, a narrow, visible, non-combining character below
# the CJK blocks (what rich's cell table measures as one cell too: the differential test checks).
_RANGES = ((0x20, 0x7E), (0xA0, 0xAC), (0xAE, 0x2FF), (0x370, 0x482), (0x2500, 0x25FC), (0x2800, 0x28FF))
_LAST_NARROW = 0x2E7F


def _one_cell(char: str) -> bool:
    code = ord(char)
    if any(low <= code <= high for low, high in _RANGES):
        return True
    return (code <= _LAST_NARROW and unicodedata.east_asian_width(char) in ("Na", "N", "A", "H")
            and unicodedata.category(char)[0] in "LNPS")


class Unmeasurable(Exception):
    """The text holds a character whose width rich measures otherwise; render with rich."""


def _check_cells(text: str) -> None:
    if text.isascii() and not _CONTROL.search(text):
        return  # printable ASCII is one cell a character
    for char in set(text):
        if char != "\n" and not _one_cell(char):
            raise Unmeasurable(char)


def wrap(text: str, width: int) -> list[str]:
    """Lines of `text` broken as rich's `Text.wrap` breaks them (overflow fold, no justify)."""
    _check_cells(text)
    lines: list[str] = []
    for piece in text.split("\n"):
        lines.extend(_divide(piece, width))
    return lines


def _divide(text: str, width: int) -> list[str]:
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            chunks = [word[i:i + width] for i in range(0, len(word), width)]
            for index, chunk in enumerate(chunks):
                if start:
                    breaks.append(start)
                if index == len(chunks) - 1:
                    offset = len(chunk)
                else:
                    start += len(chunk)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)] or [""]


def safe(text: str) -> str:
    """Control characters from a configuration value must not reach the terminal: shown as \\xNN."""
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_plain(report: Report, verbose: bool = False) -> str | None:
    """The report as plain text, or None when only rich can lay it out the same way."""
    try:
        return "\n".join(line.rstrip() for line in _lines(report, verbose)) + "\n"
    except Unmeasurable:
        return None


def models_line(report: Report) -> str:
    """`Decided by: pydantic 2.11, redis 6.4` (under -v): which library model decided what the app sees."""
    models = report.context.get("models") or {}
    return safe("Decided by: " + ", ".join(f"{name} {version}" for name, version in models.items())) if models else ""


def _lines(report: Report, verbose: bool) -> list[str]:
    out = wrap(header(report), WIDTH)
    if verbose and models_line(report):
        out += wrap(models_line(report), WIDTH)
    out.append("")
    width = max((len(c.id) for c in report.checks), default=4)
    for result in report.checks:
        line = f"  {check_symbol(result)} {result.id:<{width}}  {safe(result.title)}"
        note = status_note(result.status, result.reason, len(result.findings),
                           sum(f.silenced for f in result.findings))
        if note:
            line += f"  ({safe(note)})"
        if verbose:
            line += f"  {result.duration_ms} ms"
        out.extend(_soft(line))
        if verbose and result.vars_read:
            out.extend(_soft(f"      {'':<{width}}reads {', '.join(result.vars_read)}"))
    if report.offline_skipped:
        out.append("")
        out += wrap(f"Not run under --offline (network probes): {', '.join(report.offline_skipped)}", WIDTH)
    if report.heads:
        out.append("")
        out += wrap(findings_heading(report), WIDTH)
    for number, ranked in enumerate(report.heads, 1):
        out.append("")
        out += _finding(number, ranked.finding, verbose, fold_rows(report, ranked, verbose))
    out.append("")
    out += wrap(verdict(report)[0], WIDTH)
    return out


def _soft(line: str) -> list[str]:
    """A line rich prints with soft_wrap: never wrapped, split only at its own newlines."""
    _check_cells(line)
    return line.split("\n")


def findings_heading(report: Report) -> str:
    """`Findings, most important first (3)`, with how many more are folded under them."""
    heads = report.heads
    folded = len(report.active) - len(heads)
    text = f"Findings, most important first ({len(heads)})"
    return text + (f"; {folded} more they cause are folded under them" if folded else "")


def fold_rows(report: Report, ranked: RankedFinding, verbose: bool) -> list[str]:
    """The lines under a root that stand for its consequences: a count by id; each one under -v."""
    members = report.consequences(ranked)
    if not members:
        return []
    counts: dict[str, int] = {}
    for member in members:
        counts[member.finding.id] = counts.get(member.finding.id, 0) + 1
    ids = ", ".join(f"{i} ×{n}" if n > 1 else i for i, n in counts.items())
    if not verbose:
        return [f"Causes {len(members)} more: {ids} (-v lists them; they need no fix of their own until this one "
                "is fixed)."]
    rows = [f"Causes {len(members)} more: {ids}:"]
    for member in members:
        f = member.finding
        about = f" · {', '.join(f.vars)}" if f.vars else ""
        rows.append(f"  #{member.rank} {f.severity.value.upper()} {f.id}{about}: {safe(f.title)}")
    return rows


def _finding(rank: int, finding: Finding, verbose: bool, folded: Sequence[str] = ()) -> list[str]:
    label = f"{rank}."
    if len(label) > _RANK_WIDTH:
        raise Unmeasurable(label)
    column = WIDTH - _RANK_WIDTH - 1
    rows = [f" {finding.severity.value.upper()}  {safe(finding.title)}",
            finding.id + (f" · {', '.join(finding.vars)}" if finding.vars else "")]
    if finding.detail:
        rows.append(safe(finding.detail))
    if finding.fix and finding.fix.text:
        rows.append("Fix: " + safe(finding.fix.text))
    if verbose and finding.docs:
        rows.append("Docs: " + safe(finding.docs))
    rows += folded
    out: list[str] = []
    for index, row in enumerate(rows):
        for line_index, line in enumerate(wrap(row, column)):
            head = label.rjust(_RANK_WIDTH) if index == 0 and line_index == 0 else " " * _RANK_WIDTH
            out.append(f"{head} {line}")
    for command in finding.fix.commands if finding.fix else ():
        out.extend(_soft("      " + safe(command)))
    return out


def header(report: Report) -> str:
    """The first line: environment, platform, configuration sources."""
    ctx = report.context
    sources = ", ".join(ctx.get("sources") or []) or "process environment only"
    return safe(f"chaski-doctor · environment: {ctx.get('environment') or 'unset'} · platform: "
                f"{ctx.get('platform')} · config: {sources}" + (" · offline" if ctx.get("offline") else ""))


def status_note(status: Status, reason: str | None, count: int, silenced: int = 0) -> str:
    """What follows a check's title: its findings count (and how many of them are silenced), or why
    it did not pass or run."""
    if status is Status.PASSED:
        return reason or ""
    if status is Status.FAILED:
        counted = _plural(count, "finding") if silenced < count else f"{count} silenced"
        if 0 < silenced < count:
            counted += f", {silenced} silenced"
        return counted + (f"; {reason}" if reason else "")
    return f"{status.value.replace('_', ' ')}: {reason}" if reason else status.value.replace("_", " ")


def verdict(report: Report) -> tuple[str, str]:
    """The last line, and its tone: `interrupted`, `failed` or `ok`.

    It counts causes, not symptoms: a root counts once, at the worst severity it explains; what it
    causes and what was silenced are counted apart."""
    counts = {s: 0 for s in Severity}
    for ranked in report.heads:
        members = report.consequences(ranked)
        worst = max((ranked.finding.severity, *(m.finding.severity for m in members)), key=lambda s: s.weight)
        counts[worst] += 1
    parts = [f"{counts[s]} {s.value}" if s in (Severity.CRITICAL, Severity.INFO) else _plural(counts[s], s.value)
             for s in Severity if counts[s]]
    summary = ", ".join(parts) if parts else "no problems found"
    folded = len(report.active) - len(report.heads)
    if folded:
        summary += f" (and {folded} more they cause)"
    if report.silenced:
        summary += f"; {len(report.silenced)} silenced"
    if report.interrupted:
        return f"Interrupted: {summary} in the checks that finished (exit 130)", "interrupted"
    if report.exit_code:
        return f"✗ {summary}. Start with #1: {safe(report.heads[0].finding.title)} (exit 1)", "failed"
    if parts:
        return f"✓ {summary}; nothing at or above {report.fail_on.value} (exit 0)", "ok"
    return f"✓ {summary} (exit 0)", "ok"

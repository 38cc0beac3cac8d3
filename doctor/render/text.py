"""Text renderer (rich): a line per check, the ranked findings with fixes, a one-line verdict.

Colour only when the console is a terminal and NO_COLOR is unset. Commands are never wrapped,
so they stay copy-pasteable at any width. Values are printed as rich `Text`, never as markup,
so a configuration value cannot inject styles or escape sequences.
"""

from __future__ import annotations

import io
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from doctor.model import Finding, Severity, Status
from doctor.report import Report, check_symbol

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
_SYMBOL_STYLE = {"✓": "green", "✗": "red", "!": "yellow", "–": "dim"}


def make_console(file: TextIO, color: bool) -> Console:
    """A console that writes plain text unless `color` (a TTY without NO_COLOR)."""
    return Console(
        file=file,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        width=None if color else 100,
        legacy_windows=False,
    )


def _safe(text: str) -> str:
    # Control characters from a configuration value must not reach the terminal.
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in text)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(report: Report, file: TextIO, color: bool = False, verbose: bool = False) -> None:
    """Write the report to `file`."""
    if color:
        _render(report, make_console(file, color), verbose)
        return
    # Plain output: render, then drop the padding rich adds at line ends (Heroku logs, pipes).
    buffer = io.StringIO()
    _render(report, make_console(buffer, False), verbose)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
    if not _can_encode(file, "✓✗–·…"):
        text = text.translate(_ASCII)  # an ASCII-only terminal or log still tells passed from failed
    file.write(text)


_ASCII = str.maketrans({"✓": "+", "✗": "x", "–": "-", "·": "|", "…": "..."})


def _can_encode(file: TextIO, sample: str) -> bool:
    try:
        sample.encode(getattr(file, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _render(report: Report, console: Console, verbose: bool) -> None:
    ctx = report.context
    sources = ", ".join(ctx.get("sources") or []) or "process environment only"
    console.print(Text(_safe(
        f"chaski-doctor · environment: {ctx.get('environment') or 'unset'} · platform: {ctx.get('platform')}"
        f" · config: {sources}" + (" · offline" if ctx.get("offline") else "")
    ), style="bold"))
    console.print()
    width = max((len(c.id) for c in report.checks), default=4)
    for result in report.checks:
        symbol = check_symbol(result)
        line = Text("  ")
        line.append(symbol, style=_SYMBOL_STYLE.get(symbol, ""))
        line.append(f" {result.id:<{width}}  ")
        line.append(_safe(result.title))
        note = _status_note(result.status, result.reason, len(result.findings))
        if note:
            line.append(f"  ({_safe(note)})", style="dim")
        if verbose:
            line.append(f"  {result.duration_ms} ms", style="dim")
        console.print(line, soft_wrap=True)
        if verbose and result.vars_read:
            console.print(Text(f"      {'':<{width}}reads {', '.join(result.vars_read)}", style="dim"), soft_wrap=True)
    if report.offline_skipped:
        console.print()
        skipped = ", ".join(report.offline_skipped)
        console.print(Text(f"Not run under --offline (network probes): {skipped}", style="dim"))

    if report.findings:
        console.print()
        console.print(Text(f"Findings, most important first ({len(report.findings)})", style="bold"))
    for ranked in report.findings:
        console.print()
        _print_finding(console, ranked.rank, ranked.finding, verbose)

    console.print()
    console.print(_verdict(report))


def _print_finding(console: Console, rank: int, finding: Finding, verbose: bool) -> None:
    # A grid gives wrapped lines a hanging indent; commands are printed outside it, unwrapped.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    head = Text()
    head.append(f" {finding.severity.value.upper()} ", style=_SEVERITY_STYLE[finding.severity])
    head.append(" ")
    head.append(_safe(finding.title), style="bold")
    grid.add_row(f"{rank}.", head)
    about = finding.id + (f" · {', '.join(finding.vars)}" if finding.vars else "")
    grid.add_row("", Text(about, style="dim"))
    if finding.detail:
        grid.add_row("", Text(_safe(finding.detail)))
    if finding.fix and finding.fix.text:
        fix = Text("Fix: ", style="bold green")
        fix.append(_safe(finding.fix.text))
        grid.add_row("", fix)
    if verbose and finding.docs:
        grid.add_row("", Text("Docs: " + _safe(finding.docs), style="dim"))
    console.print(grid)
    for command in finding.fix.commands if finding.fix else ():
        console.print(Text("      " + _safe(command), style="cyan"), soft_wrap=True)


def _status_note(status: Status, reason: str | None, count: int) -> str:
    if status is Status.PASSED:
        return reason or ""
    if status is Status.FAILED:
        return f"{_plural(count, 'finding')}" + (f"; {reason}" if reason else "")
    return f"{status.value.replace('_', ' ')}: {reason}" if reason else status.value.replace("_", " ")


def _verdict(report: Report) -> Text:
    counts = {s: 0 for s in Severity}
    for ranked in report.findings:
        counts[ranked.finding.severity] += 1
    parts = [f"{counts[s]} {s.value}" if s in (Severity.CRITICAL, Severity.INFO) else _plural(counts[s], s.value)
             for s in Severity if counts[s]]
    summary = ", ".join(parts) if parts else "no problems found"
    if report.interrupted:
        return Text(f"Interrupted: {summary} in the checks that finished (exit 130)", style="bold yellow")
    if report.exit_code:
        top = report.findings[0].finding
        return Text(f"✗ {summary}. Start with #1: {_safe(top.title)} (exit 1)", style="bold red")
    if parts:
        return Text(f"✓ {summary}; nothing at or above {report.fail_on.value} (exit 0)", style="bold green")
    return Text(f"✓ {summary} (exit 0)", style="bold green")

"""Text renderer (rich): a line per check, the ranked findings with fixes, a one-line verdict.

Colour only when the console is a terminal and NO_COLOR is unset; plain text is laid out by
`render/plain.py` without importing rich (rich only for text that module cannot measure). Commands are never wrapped,
so they stay copy-pasteable at any width. Values are printed as rich `Text`, never as markup,
so a configuration value cannot inject styles or escape sequences.
"""

from __future__ import annotations

import io

from doctor.model import Finding, Severity
from doctor.render.plain import (
    findings_heading,
    fold_rows,
    header,
    models_line,
    render_plain,
    safe,
    status_note,
    verdict,
)
from doctor.report import Report, check_symbol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from rich.console import Console
    from rich.text import Text

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
_SYMBOL_STYLE = {"✓": "green", "✗": "red", "!": "yellow", "–": "dim"}


def make_console(file: TextIO, color: bool) -> Console:
    """A console that writes plain text unless `color` (a TTY without NO_COLOR)."""
    from rich.console import Console

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


def render_text(report: Report, file: TextIO, color: bool = False, verbose: bool = False) -> None:
    """Write the report to `file`."""
    if color:
        _render(report, make_console(file, color), verbose)
        return
    text = render_plain(report, verbose)
    if text is None:
        text = render_with_rich(report, verbose)
    if not _can_encode(file, "✓✗–·…"):
        text = text.translate(_ASCII)  # an ASCII-only terminal or log still tells passed from failed
    file.write(text)


def render_with_rich(report: Report, verbose: bool = False) -> str:
    """Plain text through rich (the oracle for render/plain.py), padding at line ends dropped."""
    buffer = io.StringIO()
    _render(report, make_console(buffer, False), verbose)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


_ASCII = str.maketrans({"✓": "+", "✗": "x", "–": "-", "·": "|", "…": "..."})


def _can_encode(file: TextIO, sample: str) -> bool:
    try:
        sample.encode(getattr(file, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _render(report: Report, console: Console, verbose: bool) -> None:
    from rich.text import Text

    console.print(Text(header(report), style="bold"))
    if verbose and models_line(report):
        console.print(Text(models_line(report), style="dim"))
    console.print()
    width = max((len(c.id) for c in report.checks), default=4)
    for result in report.checks:
        symbol = check_symbol(result)
        line = Text("  ")
        line.append(symbol, style=_SYMBOL_STYLE.get(symbol, ""))
        line.append(f" {result.id:<{width}}  ")
        line.append(safe(result.title))
        note = status_note(result.status, result.reason, len(result.findings),
                           sum(f.silenced for f in result.findings))
        if note:
            line.append(f"  ({safe(note)})", style="dim")
        if verbose:
            line.append(f"  {result.duration_ms} ms", style="dim")
        console.print(line, soft_wrap=True)
        if verbose and result.vars_read:
            console.print(Text(f"      {'':<{width}}reads {', '.join(result.vars_read)}", style="dim"), soft_wrap=True)
    if report.offline_skipped:
        console.print()
        skipped = ", ".join(report.offline_skipped)
        console.print(Text(f"Not run under --offline (network probes): {skipped}", style="dim"))

    if report.heads:
        console.print()
        console.print(Text(findings_heading(report), style="bold"))
    for number, ranked in enumerate(report.heads, 1):
        console.print()
        _print_finding(console, number, ranked.finding, verbose, fold_rows(report, ranked, verbose))

    console.print()
    console.print(_verdict(report))


def _print_finding(console: Console, rank: int, finding: Finding, verbose: bool, folded: list[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    # A grid gives wrapped lines a hanging indent; commands are printed outside it, unwrapped.
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")  # a long URL or token is folded, never cut off with …
    head = Text()
    head.append(f" {finding.severity.value.upper()} ", style=_SEVERITY_STYLE[finding.severity])
    head.append(" ")
    head.append(safe(finding.title), style="bold")
    grid.add_row(f"{rank}.", head)
    about = finding.id + (f" · {', '.join(finding.vars)}" if finding.vars else "")
    grid.add_row("", Text(about, style="dim"))
    if finding.detail:
        grid.add_row("", Text(safe(finding.detail)))
    if finding.fix and finding.fix.text:
        fix = Text("Fix: ", style="bold green")
        fix.append(safe(finding.fix.text))
        grid.add_row("", fix)
    if verbose and finding.docs:
        grid.add_row("", Text("Docs: " + safe(finding.docs), style="dim"))
    for row in folded:
        grid.add_row("", Text(row, style="dim"))
    console.print(grid)
    for command in finding.fix.commands if finding.fix else ():
        console.print(Text("      " + safe(command), style="cyan"), soft_wrap=True)


_TONE_STYLE = {"interrupted": "bold yellow", "failed": "bold red", "ok": "bold green"}


def _verdict(report: Report) -> Text:
    from rich.text import Text

    text, tone = verdict(report)
    return Text(text, style=_TONE_STYLE[tone])

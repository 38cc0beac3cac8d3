"""Markdown renderer: a report to paste into a support ticket."""

from __future__ import annotations

from doctor.render.plain import fold_rows, models_line, safe, verdict
from doctor.report import Report, check_symbol


def _cell(text: str) -> str:
    return safe(text).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return fence


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown."""
    ctx = report.context
    lines = [
        "# chaski-doctor report",
        "",
        f"- status: **{report.status}** (exit {report.exit_code})",
        f"- environment: `{_cell(ctx.get('environment') or 'unset')}` on `{ctx.get('platform')}`",
        f"- config: {', '.join(f'`{s}`' for s in ctx.get('sources') or []) or 'process environment only'}",
        f"- offline: {'yes' if ctx.get('offline') else 'no'}",
        *([f"- {_cell(models_line(report)).lower()}"] if models_line(report) else []),
        "",
        "## Checks",
        "",
        "| | check | status | ms | note | variables read |",
        "|---|---|---|---:|---|---|",
    ]
    for c in report.checks:
        read = ", ".join(f"`{v}`" for v in c.vars_read) if len(c.vars_read) <= 8 else f"{len(c.vars_read)} variables"
        lines.append(f"| {check_symbol(c)} | `{c.id}` | {c.status.value} | {c.duration_ms} | {_cell(c.reason or '')}"
                     f" | {read} |")
    lines += ["", "## Findings", ""]
    if not report.heads:
        lines.append("No problems found.")
    for number, ranked in enumerate(report.heads, 1):
        f = ranked.finding
        lines.append(f"### {number}. {f.severity.value.upper()}: {_cell(f.title)}")
        lines.append("")
        lines.append(f"`{f.id}`" + (f" · variables: {', '.join(f'`{v}`' for v in f.vars)}" if f.vars else ""))
        lines.append("")
        if f.detail:
            lines += [safe(f.detail), ""]
        if f.fix and f.fix.text:
            lines += [f"**Fix:** {safe(f.fix.text)}", ""]
        if f.fix and f.fix.commands:
            body = "\n".join(safe(c) for c in f.fix.commands)
            fence = _fence(body)
            lines += [f"{fence}sh", body, fence, ""]
        if f.docs:
            lines += [f"Docs: {safe(f.docs)}", ""]
        folded = fold_rows(report, ranked, verbose=True)
        if folded:
            lines += [folded[0], ""] + [f"- {_cell(row.strip())}" for row in folded[1:]] + [""]
    if report.silenced:
        lines += [f"Silenced: {', '.join(sorted({r.finding.id for r in report.silenced}))}", ""]
    lines += [f"**{verdict(report)[0]}**", ""]
    return "\n".join(lines).rstrip() + "\n"

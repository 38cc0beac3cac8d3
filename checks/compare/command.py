"""`doctor compare SOURCE SOURCE [SOURCE]...`: the guide's environment separation table and the
findings that break it, in the main report's formats (schema 1 JSON, text, Markdown) and with its
exit codes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from doctor.exitcodes import EXIT_USAGE

_DESCRIPTION = ("Lay two or more environments side by side (dotenv files, `heroku config --json` output, or - for "
                "standard input; label one with NAME=PATH, e.g. production=prod.json) and report shared "
                "secrets and resources, Stripe modes and missing variables. Never prints a value.")


def _parser():  # noqa: ANN202 - argparse.ArgumentParser, imported lazily
    from doctor.arguments import parser as make_parser

    parser = make_parser("doctor compare", _DESCRIPTION)
    parser.add_argument("sources", nargs="+", metavar="SOURCE")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--fail-on", choices=("critical", "error", "warning"), default="error",
                        help="lowest severity that makes the exit code 1 (default error)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also the findings' docs")
    parser.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    return parser


def main(argv: Sequence[str]) -> int:
    """Entry point of `doctor compare`; returns the exit code."""
    from checks.compare import CompareCheck
    from checks.compare.sources import load_sources
    from checks.compare.static import compare_findings
    from checks.compare.table import build_table, reference, render_markdown_table, render_text_table
    from doctor.config import Config, ConfigError
    from doctor.context import Context
    from doctor.model import Severity
    from doctor.outcome import finish
    from doctor.report import build_report

    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if len(args.sources) < 2:
        print("doctor compare: give at least two sources (e.g. production=prod.json staging=stg.env)",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        sources = load_sources(args.sources)
    except ConfigError as exc:
        print(f"doctor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    check = CompareCheck()
    result = finish(check, Context(Config([], {})), compare_findings(sources), started)
    rows = build_table(sources)
    everything = Config([f for s in sources for f in s.config.files], {})  # every source's secrets
    context = {
        "environment": " vs ".join(s.environment for s in sources), "platform": "local",
        "sources": [s.path for s in sources], "offline": True,
        "compare": {
            "reference": reference(sources).label,
            "sources": [{"label": s.label, "path": s.path, "environment": s.environment,
                         "production": s.production} for s in sources],
            "table": [row.to_dict() for row in rows],
        },
    }
    report = build_report([result], context, everything.redactor(), Severity(args.fail_on))
    if args.format == "json":
        from doctor.render.json import render_json

        sys.stdout.write(render_json(report))
    elif args.format == "markdown":
        from doctor.render.markdown import render_markdown

        sys.stdout.write(render_markdown(report).rstrip("\n") + "\n\n" + render_markdown_table(rows, sources))
    else:
        from doctor.render.text import render_text

        sys.stdout.write(render_text_table(rows, sources))
        color = not args.no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
        render_text(report, sys.stdout, color=color, verbose=args.verbose)
    sys.stdout.flush()
    return report.exit_code

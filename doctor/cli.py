"""The command line: arguments in, report out, exit code back. Nothing else lives here.

Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 the doctor could not run as
asked (bad flag, unreadable --env-file); 130 interrupted (after printing what finished).
"""

from __future__ import annotations

import os
import sys

from doctor import __version__
from doctor.exitcodes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_USAGE

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from doctor.config import Config
    from doctor.context import Context
    from doctor.registry import Registry
    from doctor.report import Report

# Imports are local to the command that needs them: `--version`, `list` and `explain` load no
# asyncio, rich or SDK (README: start-up).
COMMAND_GROUP = "doctor.commands"
BUILTIN_COMMANDS = ("list", "explain")


def _positive_seconds(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600 seconds")
    return value


def _ids(text: str) -> list[str]:
    import argparse

    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:  # `--only ''` would otherwise mean "no filter": every check
        raise argparse.ArgumentTypeError("names no check id (give comma-separated ids, e.g. postgres,redis)")
    return ids


def _address(text: str) -> str:
    import argparse
    import re

    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+", text.strip()):
        raise argparse.ArgumentTypeError(f"not an e-mail address: {text!r}")
    return text.strip()


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """`--env-file`, shared by every command that reads the app's configuration."""
    parser.add_argument("--env-file", action="append", metavar="PATH", dest="env_files",
                        help="read a dotenv file (repeatable; a later file wins; the process "
                             "environment wins over all). Default: ./.env when present")


def _run_parser() -> argparse.ArgumentParser:
    from doctor.arguments import parser as make_parser

    parser = make_parser(
        "doctor", "Diagnose a Chaski app's configuration and integrations. "
                  "Subcommands: list, explain, compare, stripe-verify (see `doctor SUBCOMMAND --help`).")
    add_config_arguments(parser)
    parser.add_argument("--offline", action="store_true", help="open no connection: static checks only")
    parser.add_argument("--only", type=_ids, metavar="IDS", help="comma-separated check ids to run")
    parser.add_argument("--skip", type=_ids, metavar="IDS", help="comma-separated check ids to leave out")
    parser.add_argument("--silence", type=_ids, metavar="IDS", action="extend",
                        help="finding or check ids to leave out of the ranking and the exit code (repeatable; "
                             "also DOCTOR_SILENCE and [tool.doctor] silence in ./pyproject.toml)")
    parser.add_argument("--timeout", type=_positive_seconds, default=10.0, metavar="SECONDS",
                        help="bound on each network operation (default 10)")
    parser.add_argument("--deadline", type=_positive_seconds, metavar="SECONDS",
                        help="bound on the whole run (default 3 x timeout + 5)")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--fail-on", choices=("critical", "error", "warning"), default="error",
                        help="lowest severity that makes the exit code 1 (default error)")
    parser.add_argument("--write-probe", action="store_true",
                        help="allow checks to write and then delete a test object (S3 upload rights)")
    parser.add_argument("--send-test-email", metavar="ADDRESS", type=_address,
                        help="send one test message to ADDRESS after the SMTP login succeeds")
    parser.add_argument("--repo", metavar="PATH",
                        help="the git work tree the repo check searches for secrets (default: the current directory's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="durations, variables and docs")
    parser.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    parser.add_argument("--version", action="version", version=f"chaski-doctor {__version__}")
    return parser


def _use_color(args: argparse.Namespace, stream: Any) -> bool:
    if args.no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _report_context(ctx: Context, config: Config) -> dict[str, Any]:
    return {
        "environment": ctx.environment or None,
        "platform": ctx.platform,
        "sources": config.sources,
        "offline": ctx.offline,
        **({"models": dict(sorted(ctx.models.items()))} if ctx.models else {}),
    }


def _stop_signals_interrupt() -> Any:
    """While checks run, SIGTERM (how Heroku stops a one-off dyno) and SIGHUP (a closed terminal) act
    like Ctrl-C: the report of what finished is printed and the exit code is 130. Returns the undo."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                saved[number] = signal.signal(number, interrupt)
            except (ValueError, OSError):  # not the main thread, or not supported here
                pass

    def restore() -> None:
        for number, handler in saved.items():
            signal.signal(number, handler)

    return restore


def _execute(registry: Registry, ctx: Context, deadline: float, spinner: bool) -> tuple[list, bool]:
    from doctor.model import Status

    finished: list[str] = []
    status_display = None
    if spinner:
        from rich.console import Console

        status_display = Console(stderr=True).status(f"Running {len(registry.checks)} checks…")
        status_display.start()

    def progress(result: Any) -> None:
        finished.append(result.id)
        if status_display is not None:
            status_display.update(f"Running checks… {len(finished)}/{len(registry.checks)} done ({result.id})")

    if status_display is not None:  # a long check (the repo scan) says how far it got, beside the spinner
        ctx.options.progress = lambda text: status_display.update(
            f"Running checks… {len(finished)}/{len(registry.checks)} done · {text}")

    results = None
    runner = None
    restore = _stop_signals_interrupt()
    try:
        if ctx.offline:  # no connection to wait on: drive the checks without loading asyncio
            from doctor.inline import run_inline

            results = run_inline(registry.checks, ctx, deadline, on_result=progress)
            finished.clear()
        if results is None:
            from doctor.runner import Runner
            from doctor.threads import run_loop

            runner = Runner(registry.checks, ctx, deadline, on_result=progress)
            results = run_loop(runner.run())
        interrupted = False
    except KeyboardInterrupt:
        if runner is not None:
            results = runner.collect("interrupted before it finished", status=Status.SKIPPED)
        else:
            from doctor.outcome import result_for

            results = [result_for(c, Status.SKIPPED, reason="interrupted before it finished") for c in registry.checks]
        interrupted = True
    finally:
        restore()
        if status_display is not None:
            status_display.stop()
    from doctor.outcome import explain_unexplained_skips

    results = registry.failures + results
    if not interrupted:
        explain_unexplained_skips(results)
    return results, interrupted


def render(report: Report, fmt: str, color: bool, verbose: bool) -> None:
    """Write the report to stdout in the chosen format."""
    if fmt == "json":
        from doctor.render.json import render_json

        sys.stdout.write(render_json(report))
    elif fmt == "markdown":
        from doctor.render.markdown import render_markdown

        sys.stdout.write(render_markdown(report))
    else:
        from doctor.render.text import render_text

        render_text(report, sys.stdout, color=color, verbose=verbose)
    sys.stdout.flush()


def run_checks(argv: Sequence[str]) -> int:
    """`doctor [options]`: run the checks and print the ranked report."""
    args = _run_parser().parse_args(argv)
    from doctor.config import ConfigError, load_config
    from doctor.context import Context, RunOptions
    from doctor.model import Severity
    from doctor.outcome import default_deadline
    from doctor.registry import SelectionError, discover
    from doctor.report import build_report
    from doctor.silence import SilenceError, silenced_ids

    try:
        config = load_config(args.env_files, os.environ)
        installed = discover()
        silence = silenced_ids(args.silence, config, installed.checks)
        registry = installed.select(args.only, args.skip)
    except (ConfigError, SelectionError, SilenceError) as exc:
        print(f"doctor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = RunOptions(timeout=args.timeout, offline=args.offline, write_probe=args.write_probe,
                         send_test_email=args.send_test_email, verbose=args.verbose, repo=args.repo)
    ctx = Context(config, options)
    deadline = args.deadline or default_deadline(args.timeout)
    spinner = args.format == "text" and _use_color(args, sys.stderr)
    results, interrupted = _execute(registry, ctx, deadline, spinner)
    report = build_report(results, _report_context(ctx, config), config.redactor(),
                          Severity(args.fail_on), interrupted, silence)
    render(report, args.format, _use_color(args, sys.stdout), args.verbose)
    return EXIT_INTERRUPTED if interrupted else report.exit_code


def _plugin_command(name: str) -> Any:
    from doctor.entrypoints import entry_points

    for entry in entry_points(group=COMMAND_GROUP):
        if entry.name == name:
            return entry.load()
    return None


def _command_names() -> set[str]:
    from doctor.entrypoints import entry_points

    return set(BUILTIN_COMMANDS) | {e.name for e in entry_points(group=COMMAND_GROUP)}


_OUTPUT_ERRNOS = (28, 9, 5, 32)  # ENOSPC, EBADF, EIO, EPIPE (a write to stdout that failed)


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is buffered cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _say_output_error(exc: OSError) -> None:
    import errno

    why = {errno.ENOSPC: "no space left on the device", errno.EBADF: "standard output is closed"}.get(
        exc.errno or 0, exc.strerror or type(exc).__name__)
    if sys.stderr is not None:
        try:
            print(f"doctor: cannot write the report: {why}", file=sys.stderr)
        except OSError:
            pass


def _dispatch(argv: list[str]) -> int:
    if argv == ["--version"]:
        print(f"chaski-doctor {__version__}")
        return 0
    if argv and argv[0] in BUILTIN_COMMANDS:
        from doctor import commands

        return commands.list_command(argv[1:]) if argv[0] == "list" else commands.explain_command(argv[1:])
    if argv and not argv[0].startswith("-") and argv[0] in _command_names():
        command = _plugin_command(argv[0])
        return int(command(argv[1:]))
    return run_checks(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `doctor` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (`doctor >&-`): nowhere to write a report
        _say_output_error(OSError(9, "standard output is closed"))
        return EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # a full or closed stdout fails here, inside the handlers below, not at exit
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `doctor | head`: the reader left; say nothing more
        _discard_stdout()
        return EXIT_FAIL
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for a bad flag
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            print(f"doctor: internal error ({type(exc).__name__}); please report it", file=sys.stderr)
            return EXIT_USAGE
        _say_output_error(exc)  # stdout closed, full or gone: the report could not be written
        _discard_stdout()
        return EXIT_USAGE
    except Exception as exc:  # the doctor itself must never print a traceback
        print(f"doctor: internal error ({type(exc).__name__}); please report it", file=sys.stderr)
        return EXIT_USAGE


def run() -> None:
    """The console script (`doctor`, `python -m doctor`): `main`, then a prompt exit.

    After an interrupt the report is already written, so the process ends at once (`os._exit`)
    instead of tearing down an interpreter with every SDK loaded (over half a second), and a
    second Ctrl-C during the exit is ignored rather than turned into a traceback.
    """
    import signal

    try:
        code = main()
    except KeyboardInterrupt:  # a Ctrl-C between main's handlers and here
        code = EXIT_INTERRUPTED
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    if code == EXIT_INTERRUPTED:
        os._exit(code)
    sys.exit(code)

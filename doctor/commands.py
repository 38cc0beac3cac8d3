"""`doctor list [--findings]` and `doctor explain ID`: the installed checks and their catalogs.

Both load the checks' entry points (their `__init__` modules, never an SDK) and print; neither
reads the configuration or opens a connection.
"""

from __future__ import annotations

import sys

from doctor import arguments
from doctor.catalog import MACHINE_WIDE, CatalogRow, all_rows, closest, rows_of
from doctor.check import Check
from doctor.exitcodes import EXIT_OK, EXIT_USAGE
from doctor.registry import Registry, discover

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

LIST_SCHEMA = 1


def _check_dict(check: Check) -> dict[str, Any]:
    return {"id": check.id, "title": check.title, "vars": list(check.vars), "network": check.network,
            "depends_on": list(check.depends_on), "module": type(check).__module__}


def list_command(argv: Sequence[str]) -> int:
    """`doctor list`: every installed check; with `--findings`, every finding id as well."""
    parser = arguments.parser("doctor list", "List every installed check.")
    parser.add_argument("--findings", action="store_true", help="also list every finding id the checks declare")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    registry = discover()
    if args.format == "json":
        import json

        document: dict[str, Any] = {"schema": LIST_SCHEMA, "checks": [_check_dict(c) for c in registry.checks]}
        if args.findings:
            document["findings"] = [row.to_dict() for row in all_rows(registry.checks)]
        document["failed_to_load"] = [{"id": f.id, "error": f.reason} for f in registry.failures]
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return EXIT_OK
    if args.findings:
        _print_findings(all_rows(registry.checks))
    else:
        _print_checks(registry)
    return EXIT_OK


def _print_checks(registry: Registry) -> None:
    width = max((len(c.id) for c in registry.checks), default=4)
    for check in registry.checks:
        kind = "network" if check.network else "offline"
        print(f"{check.id:<{width}}  {kind:<7}  {check.title}")
        if check.vars:
            print(f"{'':<{width}}           reads: {', '.join(check.vars)}")
    for failure in registry.failures:
        print(f"{failure.id:<{width}}  broken   {failure.reason}")


def _print_findings(rows: list[CatalogRow]) -> None:
    width = max((len(r.id) for r in rows), default=4)
    for row in rows:
        print(f"{row.id:<{width}}  {row.spec.severity.value:<8}  {row.spec.meaning}")


def explain_command(argv: Sequence[str]) -> int:
    """`doctor explain ID`: what a check id or a finding id means, its causes and its fix."""
    parser = arguments.parser("doctor explain", "Explain a check id (postgres) or a finding id (postgres.auth_failed).")
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    registry = discover()
    wanted = args.id.strip()
    checks = {c.id: c for c in (*registry.checks, MACHINE_WIDE)}
    rows = {row.id: row for row in all_rows(registry.checks)}
    if wanted in checks:
        return _explain_check(checks[wanted], args.format)
    if wanted in rows:
        return _explain_finding(rows[wanted], checks[rows[wanted].check], args.format)
    broken = next((f for f in registry.failures if wanted in (f.id, f"{f.id}.load_failed")), None)
    if broken is not None:
        print(f"{wanted}: the {broken.id} check is installed but could not be loaded ({broken.reason}).")
        return EXIT_OK
    known = sorted([*checks, *rows])
    near = closest(wanted, known)
    hint = f" Did you mean: {', '.join(near)}?" if near else " `doctor list --findings` lists every id."
    print(f"doctor explain: unknown id {wanted!r}.{hint}", file=sys.stderr)
    return EXIT_USAGE


def _explain_finding(row: CatalogRow, check: Check, fmt: str) -> int:
    if fmt == "json":
        import json

        print(json.dumps({**row.to_dict(), "check_title": check.title}, indent=2, ensure_ascii=False))
        return EXIT_OK
    spec = row.spec
    lines = [f"{row.id}  ({spec.severity.value} by default)", f"  {spec.meaning}", "",
             f"Check:     {check.id} — {check.title}"]
    if spec.causes:
        lines.append(f"Causes:    {spec.causes}")
    lines += [f"Fix:       {spec.fix}", f"Variables: {', '.join(row.vars) or '—'}", f"Guide:     {row.docs or '—'}"]
    print("\n".join(lines))
    return EXIT_OK


def _explain_check(check: Check, fmt: str) -> int:
    rows = rows_of(check)
    if fmt == "json":
        import json

        print(json.dumps({**_check_dict(check), "docs": check.docs, "findings": [r.to_dict() for r in rows]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    kind = "opens connections (its probe is skipped under --offline)" if check.network else "offline"
    lines = [f"{check.id}  — {check.title}", f"  {(type(check).__doc__ or '').strip().splitlines()[0]}"
             if type(check).__doc__ else "", "",
             f"Kind:       {kind}", f"Variables:  {', '.join(check.vars) or '—'}"]
    if check.depends_on:
        lines.append(f"Depends on: {', '.join(check.depends_on)}")
    lines += [f"Guide:      {check.docs or '—'}", "", "Findings (doctor explain ID for one):"]
    width = max(len(r.id) for r in rows)
    lines += [f"  {r.id:<{width}}  {r.spec.severity.value:<8}  {r.spec.meaning}" for r in rows]
    print("\n".join(line for line in lines if line is not None))
    return EXIT_OK

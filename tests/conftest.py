"""Suite-wide configuration. Server fixtures live in tests/servers/ and are imported by the
test modules that need them. Every finding the suite produces is audited against the checks'
catalogs (tests/catalog_audit.py); the catalog coverage test runs last."""

from __future__ import annotations

import pytest

from tests import catalog_audit

catalog_audit.install()

LAST = "test_catalog_coverage.py"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the catalog coverage test after everything else, and tell it whether all ran."""
    last = [item for item in items if item.path.name == LAST and "whole_suite" in item.name]
    for item in last:
        items.remove(item)
        items.append(item)
    test_files = {item.path for item in items}
    every_file = set(config.rootpath.joinpath("tests").rglob("test_*.py"))
    selected = not config.option.keyword and not config.option.markexpr and not config.option.deselect
    config.stash[catalog_audit.WHOLE_SUITE] = every_file <= test_files and selected


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """With DOCTOR_CATALOG_REPORT=ID[,ID], list that check's declared ids this run did not produce."""
    import os

    wanted = [part for part in os.environ.get("DOCTOR_CATALOG_REPORT", "").split(",") if part]
    if not wanted:
        return
    from doctor.catalog import ENGINE_SLUGS, all_rows
    from doctor.registry import discover

    produced = catalog_audit.emitted()
    rows = [r for r in all_rows(discover().checks) if r.check in wanted and r.spec.slug not in ENGINE_SLUGS]
    declared = {r.id for r in rows}
    terminalreporter.section("catalog coverage")
    for row in rows:
        if row.id not in produced:
            terminalreporter.write_line(f"not produced: {row.id}")
    for found in sorted(i for i in produced if i.split(".")[0] in wanted and i not in declared):
        terminalreporter.write_line(f"UNDECLARED: {found}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this session's findings log."""
    catalog_audit.LOG.unlink(missing_ok=True)

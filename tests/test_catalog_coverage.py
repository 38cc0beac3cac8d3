"""The finding catalog holds: every emitted id is declared, every declared id is produced by
some real scenario in this suite (or listed in tests/unproducible/ with the reason), and the
committed snapshot (tests/catalog.json) changes only deliberately."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from doctor.catalog import ENGINE_SLUGS, all_rows
from doctor.registry import discover
from tests import catalog_audit

HERE = Path(__file__).parent
SNAPSHOT = HERE / "catalog.json"
UPDATE = "rewrite it deliberately: .venv/bin/python -m tests.test_catalog_coverage"
BUILTIN = {"dotenv", "env", "secret_key", "fernet", "postgres", "redis", "smtp", "oauth", "s3", "stripe", "twilio",
           "network", "encrypted_data", "compare", "repo"}


def builtin_rows() -> list:
    return [row for row in all_rows(discover().checks) if row.check in BUILTIN]


def unproducible() -> dict[str, str]:
    """finding id -> why no test peer can produce it, from tests/unproducible/<check>.json."""
    listed: dict[str, str] = {}
    for path in sorted((HERE / "unproducible").glob("*.json")):
        listed.update(json.loads(path.read_text()))
    return listed


def snapshot_of(rows: list) -> dict[str, dict[str, str]]:
    return {row.id: {"severity": row.spec.severity.value, "meaning": row.spec.meaning} for row in rows}


def test_catalog_matches_the_committed_snapshot() -> None:
    """A removed or renamed id, or a changed default severity, fails until the snapshot is updated.

    Update it deliberately with: .venv/bin/python -m tests.test_catalog_coverage
    """
    current = snapshot_of(builtin_rows())
    committed = json.loads(SNAPSHOT.read_text())
    removed = sorted(set(committed) - set(current))
    added = sorted(set(current) - set(committed))
    changed = sorted(i for i in set(current) & set(committed) if current[i]["severity"] != committed[i]["severity"])
    assert not removed, f"finding ids removed or renamed (ids never change meaning): {removed}"
    was_now = [(i, committed[i]["severity"], current[i]["severity"]) for i in changed]
    assert not changed, f"default severity changed (id, was, now): {was_now}"
    assert not added, f"ids not in tests/catalog.json yet ({UPDATE}): {added}"


def test_catalog_entries_are_well_formed() -> None:
    """Slugs are lower-case words, unique per check; meaning and fix are one line each."""
    seen: set[str] = set()
    for row in builtin_rows():
        assert row.id not in seen, f"{row.id} declared twice"
        seen.add(row.id)
        assert re.fullmatch(r"[a-z0-9_]+", row.spec.slug), row.id
        for text in (row.spec.meaning, row.spec.fix):
            assert text.strip() and "\n" not in text, row.id
        assert row.docs, f"{row.id} names no guide section"


def test_unproducible_ids_are_declared() -> None:
    declared = {row.id for row in builtin_rows()}
    stale = sorted(set(unproducible()) - declared)
    assert not stale, f"tests/unproducible/ lists ids no check declares: {stale}"
    assert all(reason.strip() for reason in unproducible().values())


def test_whole_suite_produced_every_declared_id(request: pytest.FixtureRequest) -> None:
    """Runs last. Every declared id came out of a check run through the Runner (a real scenario, not
    a rule function called on made-up input), and nothing undeclared came out of anything."""
    if not request.config.stash.get(catalog_audit.WHOLE_SUITE, False):
        pytest.skip("needs the whole suite to have run (no -k, -m or file selection)")
    rows = builtin_rows()
    declared = {row.id for row in rows}
    produced = catalog_audit.produced()
    undeclared = sorted(i for i in produced if i.split(".")[0] in BUILTIN and i not in declared)
    assert not undeclared, f"emitted but not declared in the check's catalog: {undeclared}"
    listed = unproducible()
    wanted = {row.id for row in rows if row.spec.slug not in ENGINE_SLUGS}
    through_a_run = catalog_audit.emitted()  # a real scenario: the check ran, through the Runner
    missing = sorted(wanted - through_a_run - set(listed))
    assert not missing, f"declared ids no test produced (add a scenario, or list in tests/unproducible/): {missing}"
    now_produced = sorted(set(listed) & through_a_run)
    assert not now_produced, f"listed as unproducible, yet a test produced them (remove from the list): {now_produced}"


if __name__ == "__main__":  # deliberate snapshot update
    SNAPSHOT.write_text(json.dumps(snapshot_of(builtin_rows()), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {SNAPSHOT}")

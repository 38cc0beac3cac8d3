"""The guide's environment separation table for the compared sources: one row per variable, one
column per environment, each cell said in words ("same as production", "differs", "missing"),
never a value or a digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checks.compare.const import NOUNS, RESOURCES, STRIPE_KEYS
from checks.compare.identity import is_secret, resource_token, token
from checks.compare.sources import Source
from doctor.render.plain import safe

_GUIDE_ROWS = ("SECRET_KEY", "ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL", "AWS_S3_BUCKET", "Stripe")
SET, MISSING, DIFFERS, UNREADABLE = "set", "missing", "differs", "unreadable"


@dataclass(frozen=True)
class Row:
    """One row: what it is about, the variables behind it, and a cell per source label."""

    name: str
    vars: tuple[str, ...]
    cells: dict[str, str]

    def to_dict(self) -> dict[str, object]:
        """The row as the JSON report's `context.compare.table` holds it."""
        return {"row": self.name, "vars": list(self.vars), "cells": self.cells}


def reference(sources: list[Source]) -> Source:
    """The column the others are compared with: production when a source is, else the first."""
    return next((s for s in sources if s.production), sources[0])


def _stripe_cell(source: Source) -> str:
    modes = set()
    for name in STRIPE_KEYS:
        match = re.match(r"^(?:sk|pk|rk)_(live|test)_", source.get(name) or "")
        if match:
            modes.add(match[1])
    if not modes:
        return MISSING if source.get(STRIPE_KEYS[0]) is None else "not a Stripe key"
    return "live and test keys mixed" if len(modes) > 1 else f"{modes.pop()} keys"


def _row(name: str, sources: list[Source], ref: Source) -> Row:
    if name == "Stripe":
        return Row("Stripe", STRIPE_KEYS, {s.label: _stripe_cell(s) for s in sources})

    def identity(source: Source) -> bytes | None:
        value = source.get(name)
        if value is None:
            return None
        return resource_token(name, value) if name in RESOURCES else token(value)

    ref_token = identity(ref)
    cells = {}
    for source in sources:
        mine = identity(source)
        if source.get(name) is None:
            cells[source.label] = MISSING
        elif mine is None:
            cells[source.label] = UNREADABLE
        elif source is ref:
            cells[source.label] = SET
        elif ref_token is None:
            cells[source.label] = SET
        else:
            same = "same as" if name not in RESOURCES else f"same {NOUNS[name]} as"
            cells[source.label] = f"{same} {ref.label}" if mine == ref_token else (
                DIFFERS if name not in RESOURCES else "separate")
    label = f"{RESOURCES[name]} ({name})" if name in RESOURCES else name
    return Row(label, (name,), cells)


def build_table(sources: list[Source]) -> list[Row]:
    """The guide's rows first (keys, database, Redis, bucket, Stripe), then the other secrets, then
    every other variable any source sets."""
    ref = reference(sources)
    names = sorted(set().union(*(s.names() for s in sources)))
    secrets = [n for n in names if is_secret(n) and n not in _GUIDE_ROWS]
    others = [n for n in names if n not in secrets and n not in _GUIDE_ROWS and n not in STRIPE_KEYS]
    return [_row(name, sources, ref) for name in (*_GUIDE_ROWS, *secrets, *others)]


def _heading(source: Source) -> str:
    return safe(source.label if source.environment == source.label else f"{source.label} ({source.environment})")


def _md(text: str) -> str:
    return re.sub(r"([\\`*_<>\[\]|#])", r"\\\1", safe(text).replace("\n", " "))


def render_text_table(rows: list[Row], sources: list[Source]) -> str:
    """The table as aligned plain text, headed by each column's label and environment."""
    header = ["", *(_heading(s) for s in sources)]
    body = [[safe(row.name), *(safe(row.cells[s.label]) for s in sources)] for row in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = ["Environment separation (guide: never share secrets between environments)", ""]
    for line in [header, *body]:
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n\n"


def render_markdown_table(rows: list[Row], sources: list[Source]) -> str:
    """The table as Markdown, every cell escaped (labels and ENVIRONMENT values come from the sources)."""
    head = "| | " + " | ".join(_md(_heading(s)) for s in sources) + " |"
    rule = "|---|" + "---|" * len(sources)
    body = [f"| {_md(row.name)} | " + " | ".join(_md(row.cells[s.label]) for s in sources) + " |" for row in rows]
    return "## Environment separation\n\n" + "\n".join([head, rule, *body]) + "\n\n"

"""JSON renderer: schema 1 of design.md, stable key order."""

from __future__ import annotations

import json

from doctor.report import Report


def render_json(report: Report) -> str:
    """The report as one JSON document (keys in schema order, UTF-8 kept readable)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"

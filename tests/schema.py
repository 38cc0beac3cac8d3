"""Validate every JSON document the suite gets from `doctor` against the shipped JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any


@cache
def _validator(kind: str) -> Any:
    import jsonschema

    from doctor.schema import load_schema

    schema = load_schema()
    ref = {"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(ref)


def kind_of(args: Sequence[str]) -> str | None:
    """Which document `doctor ARGS` prints in JSON, or None when it prints no JSON."""
    if "--format" not in args or args[list(args).index("--format") + 1] != "json":
        return None
    first = args[0] if args else ""
    return {"list": "list", "explain": "explain", "stripe-verify": "stripe_verify"}.get(first, "report")


def validate(document: Any, kind: str) -> None:
    """Raise jsonschema.ValidationError unless `document` is a valid `kind` document."""
    _validator(kind).validate(document)


def validate_output(args: Sequence[str], stdout: str) -> None:
    """Validate `stdout` of `doctor ARGS` when it is a JSON document (usage errors print none)."""
    kind = kind_of(args)
    if kind is None or not stdout.strip():
        return
    validate(json.loads(stdout), kind)

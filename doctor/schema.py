"""The JSON Schema (draft 2020-12) of every JSON document the doctor prints, shipped as
`doctor/schema.json`: `#/$defs/report` (the main command, schema 1), `#/$defs/list`
(`doctor list --format json`), `#/$defs/explain`, `#/$defs/stripe_verify`.

Scripts can validate what they read: `python3 -c "import doctor.schema; print(doctor.schema.path())"`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def path() -> Path:
    """Where the schema file is installed."""
    return Path(__file__).with_name("schema.json")


def load_schema() -> dict[str, Any]:
    """The schema document as a dict."""
    return json.loads(path().read_text(encoding="utf-8"))

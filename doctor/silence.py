"""Which finding ids the user silenced: `--silence`, DOCTOR_SILENCE and `[tool.doctor] silence`.

The three sources add up. Each entry is a finding id (`postgres.ssl_disabled`) or a check id
(`twilio`: all of its findings). An id that no installed check declares is a usage error, so a
typo never silences nothing quietly.
"""

from __future__ import annotations

import os

from doctor.catalog import all_rows
from doctor.check import Check
from doctor.config import Config

SILENCE_VAR = "DOCTOR_SILENCE"


class SilenceError(Exception):
    """A silenced id is unknown, or `[tool.doctor] silence` is not a list of strings."""


def split_ids(text: str) -> list[str]:
    """Comma-separated ids, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _pyproject_ids(cwd: str) -> tuple[list[str], str]:
    path = os.path.join(cwd, "pyproject.toml")
    if not os.path.isfile(path):
        return [], path
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SilenceError(f"cannot read {path} for [tool.doctor] silence: {type(exc).__name__}") from None
    section = data.get("tool", {}).get("doctor", {}) if isinstance(data.get("tool"), dict) else {}
    ids = section.get("silence", []) if isinstance(section, dict) else []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise SilenceError(f"{path}: [tool.doctor] silence must be a list of finding or check ids (strings)")
    return [i.strip() for i in ids if i.strip()], path


def silenced_ids(flag: list[str] | None, config: Config, checks: list[Check], cwd: str | None = None) -> frozenset[str]:
    """Every silenced id from the three sources, each checked against the installed catalog."""
    sources: list[tuple[str, list[str]]] = [("--silence", flag or [])]
    value = config.lookup(SILENCE_VAR)
    if value is not None:
        sources.append((f"{SILENCE_VAR} ({value.where})", split_ids(value.value)))
    from_file, path = _pyproject_ids(cwd or os.getcwd())
    sources.append((f"[tool.doctor] silence in {path}", from_file))
    known = {row.id for row in all_rows(checks)} | {row.check for row in all_rows(checks)}
    for where, ids in sources:
        unknown = [i for i in ids if i not in known]
        if unknown:
            from doctor.catalog import closest

            near = closest(unknown[0], sorted(known))
            hint = f" (did you mean {', '.join(near)}?)" if near else " (`doctor list --findings` lists every id)"
            raise SilenceError(f"{where} names {', '.join(repr(u) for u in unknown)}, which no installed check "
                               f"declares{hint}")
    return frozenset(i for _, ids in sources for i in ids)

"""Names as pydantic-settings matches them (issue 9): case-insensitive by default, a later spelling
winning, the environment over the file; exact with DOCTOR_CASE_SENSITIVE=true. The oracle is a
real `BaseSettings(env_file=…)` over the same file and environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_settings import BaseSettings, SettingsConfigDict

from doctor.config import load_config
from tests.helpers import make_context, run_result

FIELDS = ("SECRET_KEY", "MAIL_SERVER")
SPELLINGS = st.sampled_from(["SECRET_KEY", "secret_key", "Secret_Key", "MAIL_SERVER", "mail_server", "MAIL_server"])
VALUES = st.sampled_from(["a", "b", "", "x y", "${OTHER}"])


class AppSettings(BaseSettings):
    """The app's Settings as far as names go: the defaults (case-insensitive), extras ignored."""

    model_config = SettingsConfigDict(extra="ignore")
    SECRET_KEY: str | None = None
    MAIL_SERVER: str | None = None


class StrictSettings(AppSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)


def oracle(cls: type[AppSettings], path: Path, environ: dict[str, str]) -> dict[str, str | None]:
    with mock.patch.dict(os.environ, environ, clear=True):
        made = cls(_env_file=path)
    return {name: getattr(made, name) for name in FIELDS}


def doctor_reading(path: Path, environ: dict[str, str]) -> dict[str, str | None]:
    config = load_config([str(path)], environ)
    found = {name: config.lookup(name) for name in FIELDS}
    return {name: value.value if value else None for name, value in found.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(SPELLINGS, VALUES), max_size=6), st.lists(st.tuples(SPELLINGS, VALUES), max_size=3),
       st.booleans())
def test_names_match_as_pydantic_settings_matches_them(lines, shell, strict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".env"
        text = "".join(f"{name}={value}\n" for name, value in lines)
        if strict:
            text += "DOCTOR_CASE_SENSITIVE=true\n"
        path.write_text(text)
        environ = {"OTHER": "o", **dict(shell)}
        expected = oracle(StrictSettings if strict else AppSettings, path, environ)
        assert doctor_reading(path, environ) == expected, (text, environ)


def test_a_lower_case_name_is_read_with_a_warning_not_reported_missing() -> None:
    from checks.env import EnvCheck

    ctx = make_context(dotenv="secret_key=" + "k" * 86 + "\n")
    findings = run_result(EnvCheck, ctx).findings
    assert "SECRET_KEY" not in [f.vars[0] for f in findings if f.id == "env.missing"]
    case = next(f for f in findings if f.id == "env.name_case")
    assert case.vars == ("SECRET_KEY",) and "secret_key" in case.title and "case_sensitive=True" in case.detail
    strict = make_context(dotenv="secret_key=" + "k" * 86 + "\nDOCTOR_CASE_SENSITIVE=true\n")
    missing = [f.vars[0] for f in run_result(EnvCheck, strict).findings if f.id == "env.missing"]
    assert "SECRET_KEY" in missing

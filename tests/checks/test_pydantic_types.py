"""Booleans and integers as the app's pydantic reads them: the installed pydantic is the oracle
for the built-in model (used where pydantic is absent) and for the env check's verdicts."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import checks.common as common
from checks.env import EnvCheck
from tests.helpers import HEALTHY_DEV, ids, run_check

pydantic = pytest.importorskip("pydantic")
INT_ALPHABET = st.sampled_from(list("0123456789_+-.e \t\n\x0b\x1c\xa0\u2003\x00١０x"))
BOOL_ALPHABET = st.sampled_from(list("trueTRUEfalsFALSEyesnoYESNOonfONFF10 \t\x1c\xa0."))


def oracle(kind: type, value: str):
    try:
        return pydantic.TypeAdapter(kind).validate_python(value)
    except pydantic.ValidationError:
        return None


def builtin(function, value: str):
    """The built-in model's answer, as on a machine without pydantic."""
    saved = dict(common._ADAPTERS)
    common._ADAPTERS.update({bool: None, int: None})
    try:
        return function(value)
    finally:
        common._ADAPTERS.clear()
        common._ADAPTERS.update(saved)


@settings(max_examples=3000, deadline=None)
@given(st.text(INT_ALPHABET, max_size=12) | st.from_regex(r"[ ]?[+-]?[0-9_]{1,8}(\.0*)?[ ]?", fullmatch=True))
@example("10.")
@example("١٤٤٠")
@example("\x0010")
@example("1" * 4301)
@example("0" * 4300 + "1")
def test_the_builtin_int_model_matches_pydantic(value: str) -> None:
    assert builtin(common.parse_int, value) == oracle(int, value)
    assert common.parse_int(value) == oracle(int, value)


@settings(max_examples=2000, deadline=None)
@given(st.text(BOOL_ALPHABET, max_size=6))
@example("")
@example(" True")
def test_the_builtin_bool_model_matches_pydantic(value: str) -> None:
    assert builtin(common.parse_bool, value) == oracle(bool, value)
    assert common.parse_bool(value) == oracle(bool, value)


@pytest.mark.parametrize("value", ["10.", "١٤٤٠", "\x0010", "10\x00", "1e3", "1" * 5000])
def test_an_expiry_pydantic_refuses_is_critical_and_never_crashes(value: str) -> None:
    findings = run_check(EnvCheck, {**HEALTHY_DEV, "ACCESS_TOKEN_EXPIRE_MINUTES": value})
    assert "env.expiry_invalid" in ids(findings)


@pytest.mark.parametrize("value", [" 1440 ", "1_440", "1440.00", "+1440"])
def test_an_expiry_pydantic_reads_is_fine(value: str) -> None:
    assert "env.expiry_invalid" not in ids(run_check(EnvCheck, {**HEALTHY_DEV, "ACCESS_TOKEN_EXPIRE_MINUTES": value}))


@pytest.mark.parametrize("name", ["MAIL_STARTTLS", "MAIL_SSL_TLS", "RATE_LIMIT_ENABLED"])
def test_an_empty_boolean_stops_the_settings_loading_so_it_is_critical(name: str) -> None:
    assert oracle(bool, "") is None  # pydantic refuses it: the app cannot build Settings
    findings = run_check(EnvCheck, {**HEALTHY_DEV, name: ""})
    bad = [f for f in findings if f.id == "env.bool_invalid"]
    assert bad and bad[0].severity.value == "critical" and bad[0].vars == (name,)
    assert "env.empty" not in ids(findings)


def test_the_report_says_which_model_decided(tmp_path) -> None:
    import json

    from tests.helpers import clean_environ, run_doctor

    done = run_doctor("--offline", "--format", "json", "--only", "env", env=clean_environ(**HEALTHY_DEV),
                      cwd=tmp_path)
    assert json.loads(done.stdout)["context"]["models"]["pydantic"] == pydantic.VERSION
    verbose = run_doctor("--offline", "-v", "--only", "env", env=clean_environ(**HEALTHY_DEV), cwd=tmp_path)
    assert f"Decided by: pydantic {pydantic.VERSION}" in verbose.stdout

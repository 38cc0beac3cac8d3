"""Fix values are safe to paste: a real shell (bash, the oracle) reads a literal value back exactly,
and refuses a line whose value still holds a `<…>` placeholder instead of setting it."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.context import shell_value
from tests.helpers import make_context

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")
LITERAL = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<>"), max_size=40)


def pasted(line: str, cwd: str) -> subprocess.CompletedProcess[str]:
    """What bash does with a pasted `NAME=VALUE` fix line turned into `printf %s VALUE`."""
    return subprocess.run([BASH, "--noprofile", "--norc", "-c", f"printf %s {line}"], capture_output=True, text=True,
                          cwd=cwd, timeout=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LITERAL)
def test_a_literal_value_reaches_the_program_unchanged(tmp_path, value: str) -> None:
    done = pasted(shell_value(value), str(tmp_path))
    assert done.returncode == 0 and done.stdout == value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LITERAL, st.from_regex(r"<[a-z][a-z _-]{0,20}>", fullmatch=True), LITERAL)
def test_a_value_with_a_placeholder_is_refused_by_the_shell(tmp_path, before: str, placeholder: str,
                                                             after: str) -> None:
    done = pasted(shell_value(before + placeholder + after), str(tmp_path))
    assert done.returncode != 0 and done.stdout == ""


def test_set_fix_uses_placeholders_a_shell_refuses() -> None:
    local = make_context({"ENVIRONMENT": "development"})
    assert local.set_fix("LOG_LEVEL").commands == ("LOG_LEVEL=<value>",)
    assert local.set_fix("LOG_LEVEL", "…").commands == ("LOG_LEVEL=<value>",)
    prod = make_context({"ENVIRONMENT": "production"})
    command = prod.set_fix("SENTRY_DSN", "https://u:pw@h:5432/d?env=prod&x=1").commands[0]
    assert command == "heroku config:set SENTRY_DSN=https://u:<password>'@h:5432/d?env=prod&x=1'"

"""The dotenv parser sees exactly what python-dotenv sees, and never raises."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.main import DotEnv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.dotenv import NEWEST, model_for, parse_bytes, read_file
from doctor.dotenv_library import installed_model, installed_version, library_reading

logging.getLogger("dotenv.main").setLevel(logging.CRITICAL)

# Text built from the characters that matter to the grammar, so examples hit the edge cases.
GRAMMAR_TEXT = st.lists(
    st.sampled_from(list("AB_=#'\"\\ \t\nxy$,{}:-") + ["\r", "\r\n", "export ", "\u00a0", "é"]),
    max_size=60,
).map("".join)


def python_dotenv(raw: bytes) -> dict[str, str | None]:
    text = raw.decode("utf-8")
    # python-dotenv opens files in text mode: universal newlines.
    stream = io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))
    return dict(DotEnv(dotenv_path=None, stream=stream, interpolate=True).dict())


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(GRAMMAR_TEXT)
def test_matches_python_dotenv(text: str) -> None:
    raw = text.encode("utf-8")
    assert parse_bytes(raw).values({}) == python_dotenv(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    parsed = parse_bytes(raw)
    parsed.values({})
    for binding in parsed.bindings:
        assert 1 <= binding.line <= binding.end_line


def test_real_file_matches_dotenv_values(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(
        b'# comment\nexport A=1\nB="two words" # note\nC=\'single \\\' quote\'\nD = spaced\n'
        b'E="multi\nline"\nF=${A}-${MISSING:-dflt}\nG\nbad line here\nH=unquoted # trailing\n'
    )
    assert read_file(path).values({}) == dict(dotenv_values(path))


def test_positions_and_details() -> None:
    parsed = parse_bytes(b'A=1\n\nexport B="x\ny"\nC = 3\nnot valid\n')
    a, b, c, bad = parsed.bindings
    assert (a.key, a.line, a.end_line) == ("A", 1, 1)
    assert (b.key, b.line, b.end_line, b.quote, b.exported) == ("B", 3, 4, '"', True)
    assert (c.key, c.space_before_equals, c.space_after_equals) == ("C", True, True)
    assert bad.error and bad.line == 6


def test_bom_crlf_and_bad_bytes_are_recorded() -> None:
    parsed = parse_bytes(b"\xef\xbb\xbfA=1\r\nB=\xff2\r\n")
    assert parsed.bom
    assert parsed.crlf_lines == [1, 2]
    assert parsed.decode_error == (len(b"\xef\xbb\xbfA=1\r\nB="), 2)
    assert "A" in parsed.raw_values()  # python-dotenv >= 1.2.3 drops the mark
    assert "\ufeffA" in parse_bytes(b"\xef\xbb\xbfA=1\n", model=model_for("1.2.2")).raw_values()  # 1.2.2 kept it


def test_last_duplicate_wins() -> None:
    parsed = parse_bytes(b"A=1\nA=2\n")
    assert parsed.values({}) == {"A": "2"}
    assert parsed.last_binding("A").line == 2


# -- the model of each release, and the installed library as the oracle (issue 9) -----------------

@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(GRAMMAR_TEXT.map(lambda t: ("\ufeff" if len(t) % 3 == 0 else "") + t))
def test_the_model_of_the_installed_release_matches_it(text: str) -> None:
    raw = text.encode("utf-8")
    assert parse_bytes(raw, model=installed_model()).values({}) == python_dotenv(raw)


def test_the_builtin_model_is_the_newest_release_and_the_suite_tests_against_it() -> None:
    from doctor.dotenv import _single_quoted_value  # noqa: F401 - the newest grammar exists

    assert installed_version() is not None, "the test extras install python-dotenv"
    assert installed_model() == model_for(installed_version())
    assert tuple(int(p) for p in installed_version().split(".")[:3]) >= (1, 2, 4), (
        "CI installs the newest python-dotenv; update NEWEST when a release changes the grammar")
    assert NEWEST.version == "1.2.4"


@pytest.mark.parametrize(("text", "newest", "old"), [
    # 1.2.3 drops a leading byte-order mark; 1.2.2 read the first name with it
    ("\ufeffSECRET_KEY=abc\n", {"SECRET_KEY": "abc"}, {"\ufeffSECRET_KEY": "abc"}),
    # 1.2.4: `KEY= # comment` is empty; before, the comment was the value
    ("ENCRYPTION_KEY= # paste the key here\n", {"ENCRYPTION_KEY": ""}, {"ENCRYPTION_KEY": "# paste the key here"}),
    ("KEY=#novalue\n", {"KEY": "#novalue"}, {"KEY": "#novalue"}),
    # 1.2.3: a backslash escapes any character in quotes, so `\\"` ends the value; 1.2.2 ran on
    ('MAIL_PASSWORD="p4ss\\\\"\nMAIL_PORT=587\nMAIL_FROM_NAME="Chaski"\n',
     {"MAIL_PASSWORD": "p4ss\\", "MAIL_PORT": "587", "MAIL_FROM_NAME": "Chaski"},
     {"MAIL_PASSWORD": None, "MAIL_PORT": None, "MAIL_FROM_NAME": None}),  # 1.2.2 lost all three
])
def test_release_differences_are_modelled(text: str, newest: dict, old: dict) -> None:
    raw = text.encode("utf-8")
    assert parse_bytes(raw).values({}) == newest
    assert python_dotenv(raw) == newest  # the installed (newest) library agrees
    got_old = parse_bytes(raw, model=model_for("1.2.2")).values({})
    assert {k: got_old.get(k) for k in old} == old


def test_library_reading_is_what_dotenv_values_reads_before_expansion() -> None:
    text = "A=1\nA=2\nB=${A}\nbad line\nC\n"
    assert library_reading(text) == [("A", "1"), ("A", "2"), ("B", "${A}"), ("C", None)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\x0b\x0c\x1c\u00a0\u2028#ab")), max_size=40))
def test_inline_comment_stripping_is_python_dotenvs_rule(part: str) -> None:
    import re

    from doctor.dotenv import strip_inline_comment

    assert strip_inline_comment(part) == re.sub(r"\s+#.*", "", part).rstrip()

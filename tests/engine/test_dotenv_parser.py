"""The dotenv parser sees exactly what python-dotenv sees, and never raises."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from dotenv import dotenv_values
from dotenv.main import DotEnv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.dotenv import parse_bytes, read_file

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
    assert "\ufeffA" in parsed.raw_values()  # what python-dotenv would do with a BOM


def test_last_duplicate_wins() -> None:
    parsed = parse_bytes(b"A=1\nA=2\n")
    assert parsed.values({}) == {"A": "2"}
    assert parsed.last_binding("A").line == 2

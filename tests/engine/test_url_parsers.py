"""The URL helpers never raise, and never let a password through, whatever the input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.common import parse_url
from doctor.config import Config, mask_url_password, url_password

URLISH = st.lists(
    st.sampled_from(["postgres://", "rediss://", "u", ":", "@", "[", "]", "/", "?", "#", "%", "%4", "host",
                     "99999", "5432", "p@ss", " ", "\n", "\u00a0", "é", "=", "&"]),
    max_size=14,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=200)))
def test_helpers_never_raise(value: str) -> None:
    parsed = parse_url(value)
    assert parsed.error is None or isinstance(parsed.error, str)
    password = url_password(value)
    assert password is None or isinstance(password, str)
    assert isinstance(mask_url_password(value), str)


PASSWORDS = st.text(alphabet=st.characters(blacklist_characters="@/?#:", blacklist_categories=("Cs",)),
                    min_size=6, max_size=30)


@settings(max_examples=300, deadline=None)
@given(PASSWORDS)
def test_masking_removes_any_password(password: str) -> None:
    url = f"postgresql://chaski:{password}@db.example.com:5432/chaski"
    assert url_password(url) == password
    masked = mask_url_password(url)
    assert masked == "postgresql://chaski:<password>@db.example.com:5432/chaski"


def test_malformed_port_is_an_error_not_an_exception() -> None:
    assert parse_url("redis://:pw@host:notaport/0").error == "the port is not a number from 0 to 65535"
    assert parse_url("redis://[::1/0").error == "an unbalanced [ or ] in the host"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=6, max_size=30))
def test_the_redactor_catches_any_url_password(password: str) -> None:
    """Even a password that breaks URL parsing (an unencoded @ / ? #) is registered as a secret."""
    url = f"redis://default:{password}@cache.example.com:6380/0"
    scrub = Config([], {"REDIS_URL": url}).redactor()
    assert password not in scrub(f"error talking to {url}: {password}")

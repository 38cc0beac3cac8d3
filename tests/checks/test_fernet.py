"""Tests for the `fernet` check against the installed cryptography: every fault with id,
severity and vars (for ENCRYPTION_KEY and ENCRYPTION_KEY_NEW), the rotation states, healthy
configs, arbitrary values never crash, and no key material ever leaks."""

from __future__ import annotations

import json
import string

import pytest
from cryptography.fernet import Fernet, InvalidToken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.fernet import FernetCheck
from checks.fernet.diagnosis import describe_spaces, diagnose
from checks.fernet.static import roundtrip, roundtrip_finding
from doctor.model import Severity, Status
from tests.helpers import (
    GOOD_FERNET_KEY,
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    finding_text,
    get,
    ids,
    make_context,
    run_check,
    run_doctor,
    run_result,
)

KEY = "bBLvNLzjbaaw7HFlVj9ljd_TW5otiKfEmfU4twRDH-A="  # a real key containing - and _
DEV, PROD = HEALTHY_DEV, HEALTHY_PROD
GENERATE = 'python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

# name -> (value, finding id, fatal)
FAULTS = {
    "truncated": (KEY[:40], "fernet.truncated", True),
    "truncated_43_with_pad": (KEY[:42] + "=", "fernet.truncated", True),
    "tiny": ("abc", "fernet.truncated", True),
    "missing_padding": (KEY[:-1], "fernet.missing_padding", True),
    "bytes_repr": (f"b'{KEY}'", "fernet.bytes_repr", True),
    "bytes_repr_double": (f'b"{KEY}"\n', "fernet.bytes_repr", True),
    "key_prefix": (f"ENCRYPTION_KEY={KEY}", "fernet.key_prefix", True),
    "key_prefix_quoted": (f'ENCRYPTION_KEY="{KEY}"', "fernet.key_prefix", True),
    "key_prefix_export": (f"export ENCRYPTION_KEY={KEY}", "fernet.key_prefix", True),
    "non_ascii_nbsp": (KEY + "\u00a0", "fernet.non_ascii", True),
    "non_ascii_zero_width": (KEY[:5] + "\u200b" + KEY[5:], "fernet.non_ascii", True),
    "hex": ("0123456789abcdef" * 4, "fernet.wrong_length", True),
    "secret_key_style": (DEV["SECRET_KEY"], "fernet.wrong_length", True),
    "not_base64": ("my encryption key!", "fernet.not_base64", True),
    "bad_padding": (KEY[:41], "fernet.truncated", True),
    "impossible_length": (KEY[:-1] + "AA", "fernet.not_base64", True),
    "data_after_key": (KEY + "A", "fernet.stray_characters", False),
    "placeholder": ("<44-char-fernet-key>", "fernet.placeholder", True),
    "trailing_newline": (KEY + "\n", "fernet.whitespace", False),
    "space_inside": (KEY[:23] + " " + KEY[23:], "fernet.whitespace", False),
    "quoted": (f'"{KEY}"', "fernet.quoted", False),
    "single_quoted": (f"'{KEY}'", "fernet.quoted", False),
    "standard_alphabet": (KEY.replace("-", "+").replace("_", "/"), "fernet.standard_alphabet", False),
    "extra_padding": (KEY + "=", "fernet.stray_characters", False),
    "semicolon": (KEY + ";", "fernet.stray_characters", False),
    "two_keys": (KEY + GOOD_FERNET_KEY, "fernet.stray_characters", False),
    "literal_escape_first": ("\\n" + KEY, "fernet.literal_escape", True),
    "literal_escape_last": (KEY + "\\n", "fernet.stray_characters", False),
}


def findings_for(base: dict[str, str], **overrides: str) -> list:
    """Findings of FernetCheck over `base` with some variables replaced."""
    return run_check(FernetCheck, {**base, **overrides})




def test_declares_contract():
    assert (FernetCheck.id, FernetCheck.order, FernetCheck.boot_critical, FernetCheck.network) == \
        ("fernet", 40, True, False)


@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
def test_healthy_configs_have_no_warning(env):
    assert run_check(FernetCheck, env) == []
    assert run_result(FernetCheck, make_context(env)).status is Status.PASSED


def test_unset_skips():
    result = run_result(FernetCheck, make_context({k: v for k, v in DEV.items() if k != "ENCRYPTION_KEY"}))
    assert result.status is Status.SKIPPED
    assert result.skip_vars == ("ENCRYPTION_KEY",)


def test_library_behaviour_this_check_relies_on():
    """Python's Fernet drops non-alphabet characters and accepts + and /; non-ASCII and bad padding fail."""
    same = Fernet(KEY)._signing_key
    standard = KEY.replace("-", "+").replace("_", "/")
    for tolerated in (KEY + "\n", f'"{KEY}"', KEY[:23] + " " + KEY[23:], standard, KEY + "=", KEY + GOOD_FERNET_KEY):
        assert Fernet(tolerated)._signing_key == same
    for broken in (KEY[:-1], f"b'{KEY}'", f"ENCRYPTION_KEY={KEY}", KEY + "\u00a0"):
        with pytest.raises(ValueError):
            Fernet(broken)


@pytest.mark.parametrize("case", FAULTS)
@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
def test_fault_in_current_key(case, env):
    value, finding_id, fatal = FAULTS[case]
    findings = findings_for(env, ENCRYPTION_KEY=value)
    finding = get(findings, finding_id)
    assert finding.severity is (Severity.CRITICAL if fatal else Severity.WARNING)
    assert finding.vars == ("ENCRYPTION_KEY",)
    assert finding.title.startswith("ENCRYPTION_KEY ")
    assert finding.fix is not None and finding.fix.commands
    assert "unreadable" in finding.fix.text  # every fix warns that a new key loses data
    if not fatal:
        assert "still loads the same key" in finding.detail or "works here" in finding.detail \
            or "uses only the first" in finding.title
        assert all(f.severity <= Severity.WARNING for f in findings)  # tolerated: never called the crash
    assert KEY not in finding_text(finding) and KEY[:20] not in finding_text(finding)


@pytest.mark.parametrize("case", FAULTS)
def test_fault_in_new_key_is_error_with_its_own_vars(case):
    value, finding_id, fatal = FAULTS[case]
    findings = findings_for(PROD, ENCRYPTION_KEY_NEW=value)
    finding = get(findings, finding_id)
    assert finding.severity is (Severity.ERROR if fatal else Severity.WARNING)
    assert finding.vars == ("ENCRYPTION_KEY_NEW",)
    assert finding.title.startswith("ENCRYPTION_KEY_NEW ")
    if fatal:
        assert "re-encryption script would crash" in finding.detail
        assert any(GENERATE in command for command in finding.fix.commands)  # a fresh NEW key loses nothing
        assert "loses nothing" in finding.fix.text
        assert "fernet.rotation_in_progress" not in ids(findings)
    assert all(f.severity <= Severity.ERROR for f in findings)


def test_fix_for_format_damage_keeps_the_key():
    finding = get(findings_for(DEV, ENCRYPTION_KEY=KEY[:-1]), "fernet.missing_padding")
    assert "Add the trailing =" in finding.detail
    assert finding.fix.commands == ("ENCRYPTION_KEY=<the same 43 characters, then =>",)
    assert "same key" in finding.fix.text and "Do not generate a new key" in finding.fix.text
    prod = get(findings_for(PROD, ENCRYPTION_KEY=f"b'{KEY}'"), "fernet.bytes_repr")
    assert prod.fix.commands == (
        "heroku config:set ENCRYPTION_KEY=<the 44 characters between the quotes, without b''>",)


def test_fix_for_lost_key_offers_new_key_only_with_warning():
    finding = get(findings_for(PROD, ENCRYPTION_KEY=KEY[:30]), "fernet.truncated")
    assert "30 characters" in finding.title
    assert finding.fix.commands[0] == "heroku config:set ENCRYPTION_KEY=<the full 44-character key>"
    assert GENERATE in finding.fix.commands[1]
    assert "Only if no data was ever encrypted" in finding.fix.text
    assert "A NEW key makes everything already encrypted with the old one unreadable" in finding.fix.text


@pytest.mark.parametrize(("value", "said"), [
    (KEY + "\n", "a trailing newline"),
    (KEY + "\r\n", "a trailing newline"),
    ("  " + KEY, "leading whitespace"),
    (KEY + " ", "trailing whitespace"),
    (KEY[:23] + " " + KEY[23:], "a space at position 24"),
    (KEY[:5] + "\t" + KEY[5:], "a tab at position 6"),
])
def test_whitespace_positions(value, said):
    finding = get(findings_for(DEV, ENCRYPTION_KEY=value), "fernet.whitespace")
    assert said in finding.title
    assert "other languages" in finding.detail


def test_positions_of_quotes_and_non_ascii():
    assert get(findings_for(DEV, ENCRYPTION_KEY=KEY[:7] + "'" + KEY[7:]), "fernet.quoted").title.endswith("position 8")
    title = get(findings_for(DEV, ENCRYPTION_KEY=KEY[:5] + "\u200b" + KEY[5:]), "fernet.non_ascii").title
    assert "zero-width space (U+200B) at position 6" in title
    assert describe_spaces("a b c d e") == \
        "a space at position 2, a space at position 4, 2 more whitespace characters inside"


def test_dotenv_quotes_are_the_parsers_business():
    key = PROD["ENCRYPTION_KEY"]
    assert run_check(FernetCheck, dotenv=f'ENCRYPTION_KEY="{key}"\n') == []
    nested = run_check(FernetCheck, dotenv=f"ENCRYPTION_KEY='\"{key}\"'\n")
    assert get(nested, "fernet.quoted").title == "ENCRYPTION_KEY is wrapped in quotes"
    escaped = run_check(FernetCheck, dotenv=f"ENCRYPTION_KEY='{key}\\n'\n")
    assert "a literal \\n (backslash and letter) at position 45" in get(escaped, "fernet.stray_characters").title


def test_standard_alphabet_explains_the_same_key():
    finding = get(findings_for(DEV, ENCRYPTION_KEY=KEY.replace("-", "+").replace("_", "/")), "fernet.standard_alphabet")
    assert "Replacing every + with - and every / with _ gives the same key" in finding.detail


def test_layered_damage_reports_each_layer():
    found = ids(findings_for(DEV, ENCRYPTION_KEY=f"ENCRYPTION_KEY=b'{KEY[:-1]}'"))
    assert {"fernet.key_prefix", "fernet.bytes_repr", "fernet.missing_padding"} <= found


def test_wrong_length_hints():
    hex_key = get(findings_for(DEV, ENCRYPTION_KEY="ab" * 32), "fernet.wrong_length")
    assert "48 bytes" in hex_key.title and "hex" in hex_key.detail
    token = get(findings_for(DEV, ENCRYPTION_KEY=DEV["SECRET_KEY"]), "fernet.wrong_length")
    assert "SECRET_KEY-style" in token.detail


def test_equal_to_secret_key_is_left_to_secret_key_check():
    findings = findings_for(DEV, SECRET_KEY=KEY, ENCRYPTION_KEY=KEY)
    assert findings == []


def test_rotation_in_progress():
    findings = findings_for(PROD, ENCRYPTION_KEY_NEW=KEY)
    finding = get(findings, "fernet.rotation_in_progress")
    assert finding.severity is Severity.INFO
    assert finding.vars == ("ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW")
    assert "MultiFernet([new, old])" in finding.detail and "promote" in finding.detail
    assert "heroku config:unset ENCRYPTION_KEY_NEW" in finding.fix.commands
    assert_no_warning_or_worse(findings)


@pytest.mark.parametrize("same", [PROD["ENCRYPTION_KEY"], PROD["ENCRYPTION_KEY"] + "\n"])
def test_rotation_same_key(same):
    findings = findings_for(PROD, ENCRYPTION_KEY_NEW=same)
    finding = get(findings, "fernet.rotation_same_key")
    assert finding.severity is Severity.WARNING
    assert finding.vars == ("ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW")
    assert "fernet.rotation_in_progress" not in ids(findings)


def test_blank_new_key_is_ignored():
    assert findings_for(DEV, ENCRYPTION_KEY_NEW="  ") == []


def test_roundtrip():
    assert roundtrip(KEY) and roundtrip(KEY + "\n")
    assert not roundtrip(KEY[:-1]) and not roundtrip("")
    # A real key always round-trips with a working cryptography, so the finding is checked directly.
    finding = roundtrip_finding(make_context(PROD), "ENCRYPTION_KEY")
    assert (finding.id, finding.severity, finding.vars) == ("fernet.roundtrip_failed", Severity.CRITICAL,
                                                            ("ENCRYPTION_KEY",))
    new = roundtrip_finding(make_context(PROD), "ENCRYPTION_KEY_NEW", "ENCRYPTION_KEY")
    assert (new.severity, new.vars) == (Severity.ERROR, ("ENCRYPTION_KEY_NEW", "ENCRYPTION_KEY"))


def _break_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the installed cryptography reject the HMAC of every token, as a broken OpenSSL build would."""

    def reject(self: Fernet, data: bytes) -> None:
        raise InvalidToken

    monkeypatch.setattr(Fernet, "_verify_signature", reject)


def test_roundtrip_failed_with_a_broken_cryptography(monkeypatch):
    _break_cryptography(monkeypatch)
    findings = findings_for(PROD)
    assert ids(findings) == {"fernet.roundtrip_failed"}  # the key itself is fine: no format finding
    finding = get(findings, "fernet.roundtrip_failed")
    assert (finding.severity, finding.vars) == (Severity.CRITICAL, ("ENCRYPTION_KEY",))
    assert "pip install --force-reinstall cryptography" in finding.fix.commands
    assert "keep it" in finding.fix.text


def test_roundtrip_failed_during_a_rotation_is_an_error_for_the_new_key(monkeypatch):
    _break_cryptography(monkeypatch)
    findings = findings_for(PROD, ENCRYPTION_KEY_NEW=KEY)
    new = [f for f in findings if f.id == "fernet.roundtrip_failed" and f.vars[0] == "ENCRYPTION_KEY_NEW"]
    assert len(new) == 1 and new[0].severity is Severity.ERROR  # said once, not again by the rotation rule
    assert "fernet.rotation_in_progress" not in ids(findings)


def _mutations(draw_key: str):
    return st.one_of(
        st.builds(lambda i, c: draw_key[:i] + c + draw_key[i:], st.integers(0, 44), st.characters()),
        st.builds(lambda i: draw_key[:i] + draw_key[i + 1:], st.integers(0, 43)),
        st.builds(lambda i, c: draw_key[:i] + c + draw_key[i + 1:], st.integers(0, 43), st.characters()),
        st.builds(lambda a, b: a + draw_key + b, st.sampled_from(["", "b'", "ENCRYPTION_KEY=", '"', " "]),
                  st.sampled_from(["", "'", '"', "\n", "=", "=="])),
    )


ARBITRARY = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=string.ascii_letters + string.digits + "-_+/=\"' \n\tb", max_size=120),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1, 50_000)),
    _mutations(KEY),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(current=ARBITRARY, new=st.none() | ARBITRARY)
def test_never_crashes(current, new):
    env = {**DEV, "ENCRYPTION_KEY": current}
    if new is not None:
        env["ENCRYPTION_KEY_NEW"] = new
    result = run_result(FernetCheck, make_context(env))
    assert result.status is not Status.CRASHED, result.findings
    usable = diagnose(current, "ENCRYPTION_KEY").usable
    worst = result.worst
    if current.strip() and not usable:
        assert worst is Severity.CRITICAL  # a key the app cannot load is always the crash
    if usable:
        assert worst is None or worst <= Severity.ERROR
    for finding in result.findings:
        assert finding.id.startswith("fernet.") and finding.vars
        for value in (current, new):
            if value is not None and looks_random(value):
                assert value.strip() not in finding_text(finding)


def looks_random(value: str) -> bool:
    """Long enough and mixed enough that it cannot be a word the check's own text contains."""
    core = value.strip()
    return len(core) >= 12 and any(c.isdigit() for c in core) and any(c.isalpha() for c in core)


# --- canary leak tests -----------------------------------------------------------------------
MARK = "Zq9Canary"
CANARY_KEY = ((MARK + "-Fern_t") * 4)[:42] + "A="
CANARY_KEY_2 = ((MARK + "Two_Rot-") * 4)[:42] + "E="
CANARY_CASES = {
    **{case: {"ENCRYPTION_KEY": value.replace(KEY, CANARY_KEY)} for case, (value, _, _) in FAULTS.items()
       if KEY in value},
    "truncated": {"ENCRYPTION_KEY": CANARY_KEY[:40]},
    "missing_padding": {"ENCRYPTION_KEY": CANARY_KEY[:-1]},
    "standard_alphabet": {"ENCRYPTION_KEY": CANARY_KEY.replace("-", "+").replace("_", "/").replace("_", "/")},
    "not_base64": {"ENCRYPTION_KEY": MARK + " is my key!"},
    "placeholder": {"ENCRYPTION_KEY": f"<{MARK}>"},
    "wrong_length": {"ENCRYPTION_KEY": CANARY_KEY[:-1] + CANARY_KEY},
    "rotation_in_progress": {"ENCRYPTION_KEY_NEW": CANARY_KEY_2},
    "rotation_same_key": {"ENCRYPTION_KEY": CANARY_KEY, "ENCRYPTION_KEY_NEW": CANARY_KEY},
    "new_truncated": {"ENCRYPTION_KEY_NEW": CANARY_KEY[:30]},
    "new_bytes_repr": {"ENCRYPTION_KEY_NEW": f"b'{CANARY_KEY}'"},
}


def test_canary_keys_are_real_keys():
    assert Fernet(CANARY_KEY) and Fernet(CANARY_KEY_2) and CANARY_KEY != CANARY_KEY_2


@pytest.mark.parametrize("case", CANARY_CASES)
@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
def test_canary_never_in_findings(case, env):
    findings = findings_for(env, **CANARY_CASES[case])
    assert findings, case
    for finding in findings:
        assert MARK not in finding_text(finding)


CLI_CASES = {
    "bytes_repr_and_new_truncated": f"ENCRYPTION_KEY=\"b'{CANARY_KEY}'\"\nENCRYPTION_KEY_NEW={CANARY_KEY[:41]}\n",
    "missing_padding": f"ENCRYPTION_KEY={CANARY_KEY[:-1]}\n",
    "rotation_and_quotes": f"ENCRYPTION_KEY='\"{CANARY_KEY}\"'\nENCRYPTION_KEY_NEW={CANARY_KEY_2}\n",
}


@pytest.mark.parametrize("case", CLI_CASES)
@pytest.mark.parametrize("fmt", ["json", "text", "markdown"])
def test_canary_never_in_cli_output(tmp_path, case, fmt):
    lines = [f"{k}={v}" for k, v in DEV.items() if k != "ENCRYPTION_KEY"]
    env_file = tmp_path / "app.env"
    env_file.write_text("\n".join(lines) + "\n" + CLI_CASES[case] + f"SECRET_KEY={MARK * 8}\n")
    done = run_doctor("--env-file", str(env_file), "--only", "secret_key,fernet", "--format", fmt,
                      env=clean_environ(), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert MARK not in done.stdout and MARK not in done.stderr
    assert "fernet." in done.stdout or "ENCRYPTION_KEY" in done.stdout
    if fmt == "json":
        report = json.loads(done.stdout)
        assert any(f["check"] == "fernet" for f in report["findings"])

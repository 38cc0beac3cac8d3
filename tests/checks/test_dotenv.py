"""The dotenv check: what python-dotenv reads wrongly, and git hygiene of the file."""

from __future__ import annotations

import io
import subprocess

import dotenv as python_dotenv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.dotenv import DotenvCheck
from checks.env import EnvCheck
from doctor import Severity, Status
from doctor.config import load_config
from doctor.context import Context, RunOptions
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    finding_text,
    get,
    ids,
    make_context,
    require_binary,
    run_doctor,
    run_result,
)

GOOD = "".join(f"{k}={v}\n" for k, v in HEALTHY_DEV.items())


@pytest.fixture
def lint(tmp_path):
    """Findings of the dotenv check over text or bytes, at a path that does not exist on disk."""

    def run(content: str | bytes, path: str = "app.env"):
        return run_result(DotenvCheck, make_context(dotenv=content, dotenv_path=str(tmp_path / "nowhere" / path)))

    return run


def findings_of(lint, content):
    return lint(content).findings




def python_dotenv_reads(text: str) -> dict:
    return python_dotenv.dotenv_values(stream=io.StringIO(text))


# -- healthy ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", [HEALTHY_DEV, HEALTHY_PROD], ids=["dev", "prod"])
def test_healthy_file_gives_nothing(lint, env):
    result = lint("# Chaski settings\n\n" + "".join(f"{k}={v}\n" for k, v in env.items()))
    assert result.status is Status.PASSED
    assert_no_warning_or_worse(result.findings)


def test_quoted_and_multiline_values_are_fine(lint):
    text = GOOD + 'APP_TITLE="Chaski Deliveries"\nPEM="-----BEGIN-----\nabc\n-----END-----"\nexport X=1\n'
    assert_no_warning_or_worse(findings_of(lint, text))


def test_no_file_skips():
    result = run_result(DotenvCheck, make_context(HEALTHY_DEV))
    assert result.status is Status.SKIPPED and "no .env" in result.reason


# -- quotes and unparsed lines ---------------------------------------------------------------------

def test_unbalanced_quote_swallowing_lines(lint):
    text = 'ENVIRONMENT=development\nMAIL_PASSWORD="abc\nSECRET_KEY=x\nDATABASE_URL=y\nREDIS_URL="r"\nB=2\n'
    assert "SECRET_KEY" not in python_dotenv_reads(text)  # the real library loses them too
    finding = get(findings_of(lint, text), "dotenv.unbalanced_quote")
    assert finding.severity is Severity.CRITICAL
    assert finding.vars == ("MAIL_PASSWORD", "SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    assert finding.root_cause
    assert "app.env:2" in finding.title and "3-5" in finding.title


def test_unbalanced_quote_hiding_integration_vars_is_an_error(lint):
    text = 'MAIL_FROM_NAME="Chaski\nMAIL_SERVER=smtp.gmail.com\nMAIL_PORT=587\nX="y"\n'
    finding = get(findings_of(lint, text), "dotenv.unbalanced_quote")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_FROM_NAME", "MAIL_SERVER", "MAIL_PORT", "X")


def test_opening_quote_never_closed(lint):
    text = GOOD.replace("MAIL_PASSWORD=abcdwxyzefghstuv", "MAIL_PASSWORD='abcdwxyzefghstuv")
    assert "MAIL_PASSWORD" not in python_dotenv_reads(text)
    finding = get(findings_of(lint, text), "dotenv.unbalanced_quote")
    line = list(HEALTHY_DEV).index("MAIL_PASSWORD") + 1
    assert (finding.severity, finding.vars, finding.root_cause) == (Severity.ERROR, ("MAIL_PASSWORD",), True)
    assert f"app.env:{line}" in finding.title


def test_opening_quote_never_closed_on_a_boot_variable_is_critical(lint):
    finding = get(findings_of(lint, 'A=1\nSECRET_KEY="abc\n'), "dotenv.unbalanced_quote")
    assert (finding.severity, finding.vars) == (Severity.CRITICAL, ("SECRET_KEY",))


@pytest.mark.parametrize(("line", "var"), [('MAIL_FROM_NAME="Chaski" Deliveries', "MAIL_FROM_NAME"),
                                          ("this is not an assignment", None)])
def test_unparsed_line(lint, line, var):
    text = f"A=1\n{line}\nB=2\n"
    assert set(python_dotenv_reads(text)) == {"A", "B"}
    finding = get(findings_of(lint, text), "dotenv.unparsed_line")
    assert (finding.severity, finding.root_cause) == (Severity.ERROR, True)
    assert finding.vars == ((var,) if var else ())
    assert "app.env:2" in finding.title


# -- duplicates, spacing, line endings -------------------------------------------------------------

def test_duplicate_key_with_different_values(lint):
    finding = get(findings_of(lint, "REDIS_URL=redis://a\nB=1\nREDIS_URL=redis://b\n"), "dotenv.duplicate_key")
    assert (finding.severity, finding.vars) == (Severity.WARNING, ("REDIS_URL",))
    assert "line 3 wins" in finding.title and "lines 1, 3" in finding.title


def test_duplicate_key_with_the_same_value_is_info(lint):
    finding = get(findings_of(lint, "A=1\nA=1\n"), "dotenv.duplicate_key")
    assert finding.severity is Severity.INFO


@pytest.mark.parametrize("line", ["MAIL_PORT = 587", "MAIL_PORT =587", "MAIL_PORT= 587"])
def test_space_around_equals(lint, line):
    finding = get(findings_of(lint, f"A=1\n{line}\n"), "dotenv.space_around_equals")
    assert (finding.severity, finding.vars) == (Severity.WARNING, ("MAIL_PORT",))
    assert "app.env:2" in finding.title
    assert python_dotenv_reads(f"{line}\n") == {"MAIL_PORT": "587"}  # tolerated by python-dotenv


def test_crlf(lint):
    finding = get(findings_of(lint, GOOD.replace("\n", "\r\n")), "dotenv.crlf")
    assert finding.severity is Severity.WARNING
    assert set(finding.vars) == set(HEALTHY_DEV)
    assert "app.env:1" in finding.title


# -- encoding --------------------------------------------------------------------------------------

def old_release_context(raw: bytes, release: str = "1.2.2") -> Context:
    """A context whose .env is read as python-dotenv `release` reads it (its model decides)."""
    from doctor.config import Config
    from doctor.dotenv import model_for, parse_bytes

    return Context(Config([parse_bytes(raw, ".env", model_for(release))], {}), RunOptions(offline=True))


@pytest.mark.parametrize(("first", "severity"), [("SECRET_KEY", Severity.CRITICAL), ("REDIS_URL", Severity.ERROR)])
def test_bom_hides_the_first_variable_from_python_dotenv_1_2_2(first, severity):
    text = f"{first}=value-one\nOTHER=1\n"
    finding = get(run_result(DotenvCheck, old_release_context(b"\xef\xbb\xbf" + text.encode())).findings,
                  "dotenv.bom")
    assert (finding.severity, finding.vars, finding.root_cause) == (severity, (first,), True)
    assert ".env:1" in finding.title


def test_bom_is_only_a_warning_for_the_installed_python_dotenv(lint):
    text = "SECRET_KEY=value-one\nOTHER=1\n"
    assert python_dotenv.dotenv_values(stream=io.StringIO("\ufeff" + text))["SECRET_KEY"] == "value-one"
    result = findings_of(lint, b"\xef\xbb\xbf" + text.encode())
    finding = get(result, "dotenv.bom")
    assert (finding.severity, finding.vars, finding.root_cause) == (Severity.WARNING, (), False)
    assert "drops the mark" in finding.detail and "app.env:1" in finding.title
    assert "dotenv.model_disagrees" not in ids(result)


def test_bom_before_export_line():
    result = run_result(DotenvCheck, old_release_context(b"\xef\xbb\xbfexport SECRET_KEY=abc\n")).findings
    assert get(result, "dotenv.bom").vars == ("SECRET_KEY",)
    assert "dotenv.unparsed_line" not in ids(result)


def test_bom_before_a_comment_is_only_a_warning(lint):
    finding = get(findings_of(lint, b"\xef\xbb\xbf# settings\nA=1\n"), "dotenv.bom")
    assert (finding.severity, finding.vars) == (Severity.WARNING, ())


def test_bom_makes_env_report_the_variable_missing_only_where_the_library_keeps_it():
    raw = b"\xef\xbb\xbf" + GOOD.encode()
    old = old_release_context(raw)
    assert get(run_result(EnvCheck, old).findings, "env.missing").vars == ("ENVIRONMENT",)
    assert "env.missing" not in ids(run_result(EnvCheck, make_context(dotenv=raw)).findings)


def test_the_installed_library_decides_and_a_disagreement_is_reported():
    """A model of an older release held to the installed (newer) python-dotenv: the library's reading wins."""
    from doctor.dotenv_library import hold_to_library

    ctx = old_release_context(b"ENCRYPTION_KEY= # paste it here\nSECRET_KEY=abc\n")
    parsed = ctx.config.files[0]
    hold_to_library(parsed)
    assert parsed.disagreements == ["ENCRYPTION_KEY"]
    ctx = Context(type(ctx.config)([parsed], {}), RunOptions(offline=True))
    assert ctx.get("ENCRYPTION_KEY") == ""  # what python-dotenv 1.2.4 gives the app, not "# paste it here"
    finding = get(run_result(DotenvCheck, ctx).findings, "dotenv.model_disagrees")
    assert finding.severity is Severity.WARNING and "ENCRYPTION_KEY" in finding.title


def test_the_report_names_the_python_dotenv_that_decided(tmp_path):
    (tmp_path / ".env").write_text(GOOD)
    done = run_doctor("--offline", "--only", "dotenv", "--format", "json", env=clean_environ(), cwd=tmp_path)
    import json

    assert json.loads(done.stdout)["context"]["models"]["python-dotenv"] == python_dotenv.version.__version__


def test_not_utf8(lint, tmp_path):
    raw = GOOD.encode() + b"MAIL_FROM_NAME=Chaski Caf\xe9\n"
    path = tmp_path / "latin1.env"
    path.write_bytes(raw)
    with pytest.raises(UnicodeDecodeError):
        python_dotenv.dotenv_values(path)  # what the app's loader does with this file
    finding = get(findings_of(lint, raw), "dotenv.not_utf8")
    line = len(HEALTHY_DEV) + 1
    assert (finding.severity, finding.vars, finding.root_cause) == (Severity.CRITICAL, ("MAIL_FROM_NAME",), True)
    offset = raw.index(b"\xe9")
    assert f"app.env:{line}" in finding.title and f"byte offset {offset}" in finding.title
    assert "WINDOWS-1252" in finding.fix.commands[0]


def test_utf16_file(lint):
    finding = get(findings_of(lint, "A=1\n".encode("utf-16")), "dotenv.not_utf8")
    assert "UTF-16" in finding.detail and "UTF-16" in finding.fix.commands[0]


# -- invisible characters --------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "name"), [("\u00a0", "no-break space"), ("\u200b", "zero-width space")])
def test_invisible_character_in_a_value(lint, char, name):
    finding = get(findings_of(lint, f"A=1\nSTRIPE_SECRET_KEY=sk_test_abc{char}def\n"), "dotenv.invisible_char")
    assert (finding.severity, finding.vars) == (Severity.ERROR, ("STRIPE_SECRET_KEY",))
    assert name in finding.title and "position 12 of 15" in finding.title and "app.env:2" in finding.title


def test_invisible_character_in_a_display_name_is_a_warning(lint):
    finding = get(findings_of(lint, "MAIL_FROM_NAME='Chaski\u00a0Deliveries'\n"), "dotenv.invisible_char")
    assert finding.severity is Severity.WARNING


def test_invisible_character_in_a_name(lint):
    text = "DATABASE_URL\u200b=postgresql://localhost/x\n"
    assert "DATABASE_URL" not in python_dotenv_reads(text)
    finding = get(findings_of(lint, text), "dotenv.invisible_char")
    assert (finding.severity, finding.vars, finding.root_cause) == (Severity.ERROR, ("DATABASE_URL",), True)


def test_trailing_nbsp_that_python_dotenv_strips_is_fine(lint):
    assert python_dotenv_reads("A=abc\u00a0\n") == {"A": "abc"}
    assert "dotenv.invisible_char" not in ids(findings_of(lint, "A=abc\u00a0\n"))


def test_huge_file_is_truncated(lint):
    raw = b"A=1\n" + b"# padding padding padding padding\n" * 130_000
    finding = get(findings_of(lint, raw), "dotenv.truncated")
    assert finding.severity is Severity.WARNING and "app.env" in finding.title


# -- git -------------------------------------------------------------------------------------------

def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _run_on_disk(path):
    config = load_config([str(path)], {})
    return run_result(DotenvCheck, Context(config, RunOptions(timeout=5)))


@pytest.fixture
def repo(tmp_path):
    require_binary("git")
    _git(tmp_path, "init", "-q")
    (tmp_path / ".env").write_text(GOOD)
    return tmp_path


def test_not_gitignored(repo):
    finding = get(_run_on_disk(repo / ".env").findings, "dotenv.not_gitignored")
    assert finding.severity is Severity.WARNING
    assert "SECRET_KEY" in finding.vars and ".gitignore" in finding.fix.commands[0]


def test_gitignored_is_fine(repo):
    (repo / ".gitignore").write_text(".env\n")
    result = _run_on_disk(repo / ".env")
    assert result.status is Status.PASSED, result.findings


def test_tracked_by_git(repo):
    (repo / ".gitignore").write_text(".env\n")
    _git(repo, "add", "-f", ".env")
    finding = get(_run_on_disk(repo / ".env").findings, "dotenv.tracked_by_git")
    assert finding.severity is Severity.ERROR
    assert {"SECRET_KEY", "MAIL_PASSWORD"} <= set(finding.vars)
    assert any("git rm --cached" in c for c in finding.fix.commands)
    assert "rotate" in finding.fix.text


def test_tracked_in_a_subdirectory(repo):
    (repo / "backend").mkdir()
    (repo / "backend" / ".env").write_text(GOOD)
    _git(repo, "add", "backend/.env")
    assert "dotenv.tracked_by_git" in ids(_run_on_disk(repo / "backend" / ".env").findings)


def test_tracked_template_is_fine(repo):
    (repo / ".env.example").write_text(GOOD)
    _git(repo, "add", ".env.example")
    assert not _run_on_disk(repo / ".env.example").findings


def test_outside_a_checkout_there_is_no_git_finding(tmp_path):
    require_binary("git")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / ".env").write_text(GOOD)
    process = subprocess.run(["git", "-C", str(tmp_path / "plain"), "rev-parse"], capture_output=True)
    if process.returncode == 0:
        pytest.skip("the temporary directory is itself inside a git checkout")
    assert _run_on_disk(tmp_path / "plain" / ".env").status is Status.PASSED


# -- robustness and secrets ------------------------------------------------------------------------

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_either_check(raw):
    ctx = make_context(dotenv=raw, dotenv_path="/nonexistent/dir/.env")
    for check in (DotenvCheck, EnvCheck):
        assert run_result(check, ctx).status in (Status.PASSED, Status.FAILED)


LINES = st.sampled_from(["SECRET_KEY=", "A = ", "export B=", "'C'=", "D=\"", "E='", "#", "F", "\ufeff", "\r\n",
                         "\n", "\u00a0", "\u200b", "\"", "'", "\\", "${A}", "\xe9", " "])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(LINES, st.text(max_size=8)), max_size=40))
def test_dotenv_like_text_never_crashes(parts):
    ctx = make_context(dotenv="".join(parts), dotenv_path="/nonexistent/dir/.env")
    for check in (DotenvCheck, EnvCheck):
        assert run_result(check, ctx).status in (Status.PASSED, Status.FAILED)


CANARIES = ["CanaryBomSecret", "CanaryNbspMail", "CanaryQuoteKey", "CanaryHiddenFernet", "CanaryLatinStripe",
            "CanaryUnparsedToken", "CanaryCrlfGoogle", "CanaryDupWebhook", "CanaryDbPassword"]
BROKEN = (
    b"\xef\xbb\xbfSECRET_KEY=CanaryBomSecret-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    b"MAIL_PASSWORD=Canary\xc2\xa0NbspMail-123456\n"
    b"AWS_SECRET_ACCESS_KEY = \"CanaryQuoteKey-bbbbbbbbbbbbbbbbbbb\n"
    b"ENCRYPTION_KEY=CanaryHiddenFernet-cccccccccccccccccc\n"
    b"DATABASE_URL=postgresql://u:CanaryDbPassword@localhost/x\"\n"
    b"STRIPE_SECRET_KEY=sk_test_CanaryLatinStripe\xe9\xff-ddddddd\n"
    b"TWILIO_AUTH_TOKEN=\"CanaryUnparsedToken-eeee\" trailing\n"
    b"GOOGLE_CLIENT_SECRET=CanaryCrlfGoogle-ffffffff\r\n"
    b"STRIPE_WEBHOOK_SECRET=whsec_CanaryDupWebhook1\n"
    b"STRIPE_WEBHOOK_SECRET=whsec_CanaryDupWebhook2\n"
)


def test_canaries_never_appear_in_findings(lint):
    findings = findings_of(lint, BROKEN)
    assert {"dotenv.bom", "dotenv.invisible_char", "dotenv.unbalanced_quote", "dotenv.not_utf8", "dotenv.unparsed_line",
            "dotenv.crlf", "dotenv.duplicate_key", "dotenv.space_around_equals"} <= ids(findings)
    for finding in findings:
        for needle in CANARIES:
            assert needle not in finding_text(finding), (finding.id, needle)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_canaries_never_appear_in_cli_output(tmp_path, fmt):
    (tmp_path / "broken.env").write_bytes(BROKEN)
    process = run_doctor("--env-file", str(tmp_path / "broken.env"), "--only", "env,dotenv", "--format", fmt,
                         env=clean_environ(), cwd=tmp_path)
    assert process.returncode == 1, process.stderr
    assert "not valid UTF-8" in process.stdout
    for needle in CANARIES:
        assert needle not in process.stdout and needle not in process.stderr, needle


def test_unreadable_implicit_dotenv_is_a_critical_root_cause(tmp_path) -> None:
    import os

    from doctor.config import Config, load_config
    from doctor.context import Context

    if os.geteuid() != 0:  # a real permission error where the OS gives one
        (tmp_path / ".env").write_text("SECRET_KEY=x\n")
        (tmp_path / ".env").chmod(0)
        config = load_config(None, {}, cwd=str(tmp_path))
        assert config.unreadable and config.unreadable[0][0] == ".env"
    else:  # root reads anything: hand the engine the state it records
        config = Config([], {}, unreadable=[(".env", "Permission denied")])
    result = run_result(DotenvCheck, Context(config))
    finding = get(result.findings, "dotenv.unreadable")
    assert finding.severity is Severity.CRITICAL and finding.root_cause


def test_no_configuration_at_all_is_the_root_cause(tmp_path) -> None:
    from doctor.config import Config
    from doctor.context import Context
    from doctor.ranking import rank

    result = run_result(DotenvCheck, Context(Config([], {"PATH": "/usr/bin"})))
    finding = get(result.findings, "dotenv.not_found")
    assert finding.severity is Severity.CRITICAL and finding.root_cause
    env = run_result(EnvCheck, Context(Config([], {})))
    assert rank([result, env])[0].finding.id == "dotenv.not_found"
    # on a dyno, or with the variables in the environment, a missing .env is normal
    assert run_result(DotenvCheck, Context(Config([], {"DYNO": "web.1"}))).status is Status.SKIPPED
    assert run_result(DotenvCheck, Context(Config([], {"DATABASE_URL": "postgresql://h/d"}))).status is Status.SKIPPED


# -- the fix commands, run for real ----------------------------------------------------------------

@pytest.mark.parametrize(("content", "finding_id", "expected"), [
    (b"SECRET_KEY = abc\nMAIL_FROM= a@b.co\n# KEEP = this comment\n", "dotenv.space_around_equals",
     b"SECRET_KEY=abc\nMAIL_FROM=a@b.co\n# KEEP = this comment\n"),
    (b"\xef\xbb\xbfSECRET_KEY=abc\nOTHER=\xef\xbb\xbfkept\n", "dotenv.bom",
     b"SECRET_KEY=abc\nOTHER=\xef\xbb\xbfkept\n"),
    (b"SECRET_KEY=abc\r\nOTHER=1\r\n", "dotenv.crlf", b"SECRET_KEY=abc\nOTHER=1\n"),
])
def test_fix_commands_repair_the_file_in_place_and_leave_no_copy(tmp_path, content, finding_id, expected):
    """The shell commands a finding offers, pasted into bash: the file is repaired, no .bak of its secrets."""
    path = tmp_path / ".env"
    path.write_bytes(content)
    context = Context(load_config([str(path)], {}), RunOptions(offline=True))
    result = run_result(DotenvCheck, context)
    finding = next(f for f in result.findings if f.id == finding_id)
    for command in finding.fix.commands:
        subprocess.run(["bash", "--noprofile", "--norc", "-c", command], check=True, cwd=tmp_path, timeout=30)
    assert path.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_a_copy_of_the_env_file_that_git_would_commit_is_reported(tmp_path):
    """A real git repository: .env ignored, .env.bak not (warning), .env.orig tracked (error), .env~ ignored."""
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, timeout=30)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text(".env\n*~\n")
    content = "SECRET_KEY=abc\nMAIL_PASSWORD=pw\n"
    for name in (".env", ".env.bak", ".env.orig", ".env~"):
        (tmp_path / name).write_text(content)
    git("add", ".gitignore", ".env.orig")
    context = Context(load_config([str(tmp_path / ".env")], {}), RunOptions(offline=True))
    copies = [f for f in run_result(DotenvCheck, context).findings if f.id == "dotenv.backup_copy"]
    by_name = {f.title.split(" ", 1)[0].rsplit("/", 1)[-1]: f for f in copies}
    assert set(by_name) == {".env.bak", ".env.orig"}
    assert by_name[".env.bak"].severity is Severity.WARNING and by_name[".env.orig"].severity is Severity.ERROR
    assert by_name[".env.bak"].vars == ("SECRET_KEY", "MAIL_PASSWORD")
    assert by_name[".env.orig"].fix.commands[0].startswith("git rm -- ")
    subprocess.run(["bash", "-c", by_name[".env.bak"].fix.commands[0]], check=True, cwd=tmp_path)
    assert not (tmp_path / ".env.bak").exists() and (tmp_path / ".env").exists()


def test_a_value_over_64_kb_is_reported_and_read_by_the_linear_model(lint):
    """python-dotenv's comment rule is quadratic on a long run of spaces: the doctor neither hangs on it
    nor hands the file to the library, and says why."""
    from doctor.dotenv_library import hold_to_library
    from doctor.heroku import parse_dotenv

    raw = b"MAIL_FROM_NAME=x" + b" " * (256 * 1024) + b"y # note\nSECRET_KEY=abc\n"
    parsed = parse_dotenv(raw, ".env")
    hold_to_library(parsed)
    assert parsed.library is None  # the model decides this file
    assert parsed.values({}) == {"MAIL_FROM_NAME": "x" + " " * (256 * 1024) + "y", "SECRET_KEY": "abc"}
    finding = get(findings_of(lint, raw), "dotenv.value_too_large")
    assert finding.vars == ("MAIL_FROM_NAME",) and "64 KB" in finding.title


def test_a_customers_bundle_executes_nothing_from_its_git_config(tmp_path):
    """`doctor --env-file bundle/.env` asks git whether the file is tracked or ignored; the bundle's own
    .git/config (fsmonitor, hooks, pager, external diff) must not run anything while it does."""
    require_binary("git")
    bundle, marker, script = tmp_path / "bundle", tmp_path / "pwned", tmp_path / "evil.sh"
    bundle.mkdir()
    subprocess.run(["git", "init", "-q", str(bundle)], check=True, timeout=30)
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    script.chmod(0o755)
    hooks = bundle / ".git" / "evil-hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    for key, value in (("core.fsmonitor", str(script)), ("core.hooksPath", str(hooks)),
                       ("core.pager", str(script)), ("diff.external", str(script))):
        subprocess.run(["git", "-C", str(bundle), "config", key, value], check=True, timeout=30)
    (bundle / ".env").write_text(GOOD)
    done = run_doctor("--env-file", str(bundle / ".env"), "--offline", "--only", "dotenv", "--format", "json",
                      env=clean_environ(), cwd=tmp_path)
    import json

    assert "dotenv.not_gitignored" in {f["id"] for f in json.loads(done.stdout)["findings"]}  # git did answer
    assert not marker.exists(), "the bundle's git config made the doctor run a program"
    subprocess.run(["git", "-C", str(bundle), "status"], capture_output=True, timeout=30)  # the control
    assert marker.exists(), "the hostile config was not armed, so the test proved nothing"

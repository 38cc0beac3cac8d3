"""The repo check on real repositories made with git: secrets in tracked files, in history only, in
untracked files, percent-encoded; dotenv files ever committed; copies git would commit; a clean
repository; none at all; a hostile repository config; and no value in any output."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from checks.repo import RepoCheck
from doctor.model import Severity, Status
from tests.helpers import HEALTHY_DEV, get, ids, make_context, require_binary, run_doctor, run_result
from tests.test_leaks import FORMATS, assert_no_leak, make_canaries

DATE = "2024-03-05T12:00:00+00:00"
SECRET_KEY = HEALTHY_DEV["SECRET_KEY"]
MAIL_PASSWORD = HEALTHY_DEV["MAIL_PASSWORD"]
DB_PASSWORD = "p@ss/w0rd+Qz8Kv2Xr"
DATABASE_URL = f"postgresql://chaski:{quote(DB_PASSWORD, safe='')}@localhost:5432/chaski_dev"
CONFIG = {**HEALTHY_DEV, "DATABASE_URL": DATABASE_URL}


def git(repo: Path, *args: str, date: str = DATE) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
           "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, timeout=30,
                          env=env)
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str | None], message: str = "change", date: str = DATE) -> str:
    """Write (or, for None, delete) files, commit them all, and return the short hash."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            git(repo, "rm", "-q", "--cached", "--", name)
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(repo, "add", "-f", "--", name)
    git(repo, "commit", "-q", "--allow-empty", "-m", message, date=date)
    return git(repo, "rev-parse", "--short=7", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_binary("git")
    path = tmp_path / "app"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, {"README.md": "# app\n", ".gitignore": ".env\n"}, "init", date="2024-01-01T00:00:00+00:00")
    return path


def scan(repo: Path, env: dict[str, str] | None = None, check: RepoCheck | None = None):
    ctx = make_context(CONFIG if env is None else env, offline=True, repo=str(repo))
    return run_result(check or RepoCheck(), ctx)


def test_a_secret_in_a_tracked_file_names_variable_path_commit_date_and_head(repo: Path) -> None:
    short = commit(repo, {"app/settings.py": f'SECRET_KEY = "{SECRET_KEY}"\n'})
    result = scan(repo)
    finding = get(result.findings, "repo.secret_in_history")
    assert finding.vars == ("SECRET_KEY",) and finding.severity is Severity.ERROR
    assert "app/settings.py" in finding.title and short in finding.title and "2024-03-05" in finding.title
    assert "still at HEAD" in finding.title
    commands = "\n".join(finding.fix.commands)
    assert "logged out" in commands and "git filter-repo" in commands and "git push --force" in commands
    assert "DESTRUCTIVE" in commands and "destructive" in finding.fix.text
    assert finding.fix.text.index("Rotate SECRET_KEY first") < finding.fix.text.index("rewrite history")


def test_production_secret_in_history_is_critical_and_encryption_key_rotation_says_reencrypt(repo: Path) -> None:
    commit(repo, {"deploy.sh": f"export ENCRYPTION_KEY={CONFIG['ENCRYPTION_KEY']}\n"})
    findings = scan(repo, {**CONFIG, "ENVIRONMENT": "production"}).findings
    finding = get(findings, "repo.secret_in_history")
    assert finding.severity is Severity.CRITICAL and finding.vars == ("ENCRYPTION_KEY",)
    assert "re-encrypt" in finding.fix.text and "ENCRYPTION_KEY_NEW" in "\n".join(finding.fix.commands)


def test_a_secret_only_in_history_names_the_commit_that_added_it(repo: Path) -> None:
    added = commit(repo, {"scripts/seed.py": f"MAIL_PASSWORD = '{MAIL_PASSWORD}'\n"}, date="2024-02-10T09:00:00+00:00")
    commit(repo, {"scripts/seed.py": "MAIL_PASSWORD = os.environ['MAIL_PASSWORD']\n"}, "read it from the env")
    finding = get(scan(repo).findings, "repo.secret_in_history")
    assert finding.vars == ("MAIL_PASSWORD",)
    assert added in finding.title and "2024-02-10" in finding.title and "scripts/seed.py" in finding.title
    assert "removed since" in finding.title and "HEAD no" in finding.detail


def test_an_untracked_file_git_would_commit_is_a_warning_and_an_ignored_one_is_fine(repo: Path) -> None:
    (repo / "notes.txt").write_text(f"smtp password {MAIL_PASSWORD}\n")
    finding = get(scan(repo).findings, "repo.secret_in_work_tree")
    assert finding.severity is Severity.WARNING and finding.vars == ("MAIL_PASSWORD",)
    assert "notes.txt" in finding.title and "untracked" in finding.title
    assert finding.fix.commands == ("echo /notes.txt >> .gitignore",)
    (repo / ".git" / "info" / "exclude").write_text("notes.txt\n")
    assert scan(repo).status is Status.PASSED


def test_an_uncommitted_change_to_a_tracked_file_is_in_the_work_tree(repo: Path) -> None:
    commit(repo, {"app/config.py": "TOKEN = None\n"})
    (repo / "app" / "config.py").write_text(f"TOKEN = '{SECRET_KEY}'\n")
    findings = scan(repo).findings
    assert ids(findings) == {"repo.secret_in_work_tree"}
    assert "tracked file with uncommitted changes" in get(findings, "repo.secret_in_work_tree").title


@pytest.mark.parametrize("form", [DB_PASSWORD, quote(DB_PASSWORD, safe="")], ids=["decoded", "percent-encoded"])
def test_the_database_password_is_found_decoded_and_percent_encoded(repo: Path, form: str) -> None:
    commit(repo, {"docker-compose.yml": f"services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {form}\n"})
    finding = get(scan(repo).findings, "repo.secret_in_history")
    assert finding.vars == ("DATABASE_URL",) and "docker-compose.yml" in finding.title
    assert "pg:credentials:rotate" not in "\n".join(finding.fix.commands)  # local: no command against Heroku


def test_a_dotenv_file_committed_and_removed_since_is_an_error(repo: Path) -> None:
    added = commit(repo, {"backend/.env.production": "SECRET_KEY=Zr8" + "kQ2vT9" * 10 + "\nLOG_LEVEL=INFO\n",
                          ".env.example": "SECRET_KEY=<64-char-random>\n"})
    commit(repo, {"backend/.env.production": None}, "untrack it")
    findings = scan(repo).findings
    committed = [f for f in findings if f.id == "repo.dotenv_committed"]
    assert len(committed) == 1, [f.title for f in committed]  # the template is not reported
    finding = committed[0]
    assert finding.severity is Severity.ERROR and finding.vars == ("SECRET_KEY",)
    assert "backend/.env.production" in finding.title and added in finding.title and "untracked since" in finding.title
    assert any("--invert-paths" in c for c in finding.fix.commands)
    assert "repo.secret_in_history" not in ids(findings)  # an old value, not the configured one


def test_copies_of_the_configuration_that_git_would_commit(repo: Path) -> None:
    (repo / ".env").write_text(f"SECRET_KEY={SECRET_KEY}\n")  # ignored: fine
    (repo / ".env.bak").write_text(f"SECRET_KEY={SECRET_KEY}\n")
    (repo / ".env.local.save").write_text("LOG_LEVEL=DEBUG\n")
    (repo / "heroku-config-backup.json").write_text(json.dumps({"DATABASE_URL": "postgresql://u:x@h/d",
                                                                "SECRET_KEY": "another-value-entirely"}))
    (repo / "package.json").write_text(json.dumps({"name": "frontend", "version": "1.0.0"}))
    findings = scan(repo).findings
    copies = {f.title.split(" ", 1)[0]: f for f in findings if f.id == "repo.secret_copy_unignored"}
    assert set(copies) == {".env.bak", ".env.local.save", "heroku-config-backup.json"}
    assert copies[".env.bak"].vars == ("SECRET_KEY",) and copies[".env.bak"].severity is Severity.WARNING
    assert copies["heroku-config-backup.json"].vars == ("DATABASE_URL", "SECRET_KEY")
    assert "gpg --symmetric" in copies["heroku-config-backup.json"].fix.commands[0]
    assert "repo.secret_in_work_tree" not in ids(findings)  # told once, in the copy's finding


def test_a_committed_heroku_config_backup_is_an_error(repo: Path) -> None:
    commit(repo, {"ops/prod-config.json": json.dumps({"STRIPE_SECRET_KEY": "sk_live_" + "x" * 30})})
    finding = get(scan(repo).findings, "repo.secret_copy_unignored")
    assert finding.severity is Severity.ERROR and "committed" in finding.title


def test_a_clean_repository_raises_nothing(repo: Path) -> None:
    commit(repo, {"app/settings.py": "SECRET_KEY = os.environ['SECRET_KEY']\n", ".env.example": "SECRET_KEY=\n"})
    (repo / ".env").write_text(f"SECRET_KEY={SECRET_KEY}\n")
    result = scan(repo)
    assert result.status is Status.PASSED and result.findings == []


def test_no_repository_skips_with_the_reason(tmp_path: Path) -> None:
    require_binary("git")
    plain = tmp_path / "plain"
    plain.mkdir()
    if subprocess.run(["git", "-C", str(plain), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the temporary directory is itself inside a git checkout")
    result = scan(plain)
    assert result.status is Status.SKIPPED and "not inside a git work tree" in result.reason
    missing = scan(tmp_path / "nowhere")
    assert missing.status is Status.SKIPPED and "is not a directory" in missing.reason


def test_a_blob_over_the_size_limit_is_reported_not_searched(repo: Path) -> None:
    commit(repo, {"dump.sql": "x" * 200_000 + SECRET_KEY})
    findings = scan(repo, check=RepoCheck(max_blob_bytes=100_000)).findings
    assert ids(findings) == {"repo.blob_too_large"}
    assert "1 blob in the history and 1 file in the work tree" in get(findings, "repo.blob_too_large").title


def test_the_scan_stops_at_its_deadline_and_says_how_much_it_searched(repo: Path) -> None:
    commit(repo, {f"data/{i}.bin": os.urandom(700_000).hex() for i in range(3)})
    finding = get(scan(repo, check=RepoCheck(scan_budget=0.0)).findings, "repo.scan_incomplete")
    assert " of " in finding.title and "blobs searched" in finding.title
    assert finding.fix.commands == ("doctor --only repo --timeout 120",)


def test_a_hostile_repository_config_runs_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    script.chmod(0o755)
    hooks = repo / ".git" / "evil-hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / hook).chmod(0o755)
    for key, value in (("core.fsmonitor", str(script)), ("core.hooksPath", str(hooks)), ("diff.external", str(script)),
                       ("core.pager", str(script)), ("filter.evil.clean", str(script)),
                       ("filter.evil.smudge", str(script)), ("filter.evil.process", str(script)),
                       ("diff.evil.textconv", str(script)), ("log.showSignature", "true"),
                       ("gpg.program", str(script)), ("core.sshCommand", str(script))):
        git(repo, "config", key, value)
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (repo / "settings.py").write_text(f"SECRET_KEY = '{SECRET_KEY}'\n")
    marker.unlink(missing_ok=True)
    findings = scan(repo).findings
    assert not marker.exists(), "the repository's config made the check run a program"
    assert "repo.secret_in_work_tree" in ids(findings)
    subprocess.run(["git", "-C", str(repo), "status"], capture_output=True, timeout=30)  # the control
    assert marker.exists(), "the hostile config was not armed, so the test proved nothing"


def test_no_secret_value_reaches_the_cli_output(tmp_path: Path) -> None:
    """Canary values committed in every form, reported in every format, and never printed."""
    require_binary("git")
    values = make_canaries()
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    database = f"postgresql://chaski:{values['DB_PASSWORD']}@127.0.0.1:5432/chaski"
    redis = f"redis://:{values['REDIS_PASSWORD']}@127.0.0.1:6379/0"
    secrets = {k: v for k, v in values.items() if k not in ("DB_PASSWORD", "REDIS_PASSWORD")}
    lines = [f"{k}={v}" for k, v in secrets.items()] + [f"DATABASE_URL={database}", f"REDIS_URL={redis}"]
    encoded = "\n".join(quote(v, safe="") for v in values.values())
    commit(repo, {".env": "\n".join(lines) + "\n", "encoded.txt": encoded})
    commit(repo, {".env": None}, "untrack .env")
    (repo / ".env.bak").write_text("\n".join(lines) + "\n")
    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}, **secrets,
           "DATABASE_URL": database, "REDIS_URL": redis, "ENVIRONMENT": "production"}
    for fmt in FORMATS:
        done = run_doctor("--only", "repo", "--offline", "--repo", str(repo), *fmt, env=env, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert_no_leak(done.stdout + done.stderr, values)
    report = json.loads(run_doctor("--only", "repo", "--offline", "--format", "json", env=env, cwd=repo).stdout)
    exposed = {v for f in report["findings"] if f["id"] == "repo.secret_in_history" for v in f["vars"]}
    assert exposed == {*secrets, "DATABASE_URL", "REDIS_URL"}  # found them all (and from the cwd, without --repo)
    assert {"repo.dotenv_committed", "repo.secret_copy_unignored"} <= {f["id"] for f in report["findings"]}


def test_the_scan_tells_the_spinner_how_far_it_got_and_never_a_value(repo: Path) -> None:
    commit(repo, {"app/settings.py": f'SECRET_KEY = "{SECRET_KEY}"\n'})
    told: list[str] = []
    ctx = make_context(CONFIG, offline=True, repo=str(repo), progress=told.append)
    assert "repo.secret_in_history" in ids(run_result(RepoCheck(), ctx).findings)
    assert told and all(re.fullmatch(r"repo: [\d,]+ of [\d,]+ blobs searched", text) for text in told), told
    assert not any(SECRET_KEY[:8] in text for text in told)


def test_the_grep_prefilter_finds_exactly_what_the_python_search_finds(repo: Path) -> None:
    """The same history searched both ways: git piped into `grep -F`, then Python on the hits, and Python alone."""
    import time

    from checks.repo.git import work_tree
    from checks.repo.needles import configured_needles
    from checks.repo.prefilter import usable
    from checks.repo.scan import scan_blobs

    rng = __import__("random").Random(7)
    for n in range(12):
        planted = {f"src/m{n}.py": "".join(f"x = {rng.getrandbits(64)}\n" for _ in range(200))}
        if n % 3 == 0:
            planted[f"conf/{n}.txt"] = f"key {n}: {SECRET_KEY}\n"
        if n % 4 == 1:
            planted[f"deploy/{n}.yml"] = f"url{n}: postgresql://chaski:{quote(DB_PASSWORD, safe='')}@db/x\n"
        if n % 5 == 2:
            planted[f"notes/{n}.md"] = f"mail {n}: {HEALTHY_DEV['MAIL_PASSWORD']} and no newline at the end"
        commit(repo, planted, f"change {n}")
    needles = configured_needles(make_context(CONFIG, offline=True))
    assert usable(needles)
    git = work_tree(repo, time.monotonic() + 60)
    fast = scan_blobs(git, needles, 1 << 25, time.monotonic() + 60)
    slow = scan_blobs(git, needles, 1 << 25, time.monotonic() + 60, prefilter=False)
    assert fast.complete and slow.complete
    assert fast.hits == slow.hits and len(fast.hits) == 4 + 3 + 2
    assert (fast.blobs, fast.bytes) == (slow.blobs, slow.bytes)


def test_a_value_with_a_line_break_keeps_the_python_search(repo: Path) -> None:
    """grep matches within a line: a multi-line secret (a PEM key pasted into a variable) is searched by Python."""
    pem = "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END KEY-----"
    commit(repo, {"keys/app.pem": pem + "\n"})
    finding = get(scan(repo, {**CONFIG, "STRIPE_WEBHOOK_SECRET": pem}).findings, "repo.secret_in_history")
    assert "STRIPE_WEBHOOK_SECRET" in finding.vars


def test_a_grep_that_refuses_the_options_falls_back_to_the_python_search(repo: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """An old or odd grep (exit 2) on PATH: the scan is still complete, by the Python search."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "grep").write_text("#!/bin/sh\necho 'grep: unknown option' >&2\nexit 2\n")
    (bin_dir / "grep").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    commit(repo, {"app/settings.py": f'SECRET_KEY = "{SECRET_KEY}"\n'})
    result = scan(repo)
    assert "repo.secret_in_history" in ids(result.findings)
    assert "repo.scan_incomplete" not in ids(result.findings)

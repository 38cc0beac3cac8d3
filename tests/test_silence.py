"""Silencing from the command line, the configuration and pyproject.toml, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import clean_environ, run_doctor

# A local .env whose only problems are offline warnings/errors the doctor can name.
ENV = (
    "ENVIRONMENT=development\n"
    "SECRET_KEY=3f6c0e9d2b8a4f17a5c3e1d9b7f2a6c4e8d0b3f5a7c9e1d2b4f6a8c0e2d4b6f8\n"
    "ENCRYPTION_KEY=q3k8mP2xV9nL5tR7wY1zA4cE6gJ0hU3sD8fK2bN5vM0=\n"
    "DATABASE_URL=postgres://chaski:pw-not-real@127.0.0.1:5432/chaski\n"
    "FRONTEND_URL=http://localhost:3000\n"
)


def doctor(tmp_path: Path, *args: str, env_text: str = ENV, **environ: str):
    (tmp_path / ".env").write_text(env_text)
    done = run_doctor("--offline", "--format", "json", *args, env=clean_environ(**environ), cwd=tmp_path)
    return done, (json.loads(done.stdout) if done.stdout.strip().startswith("{") else None)


def active_ids(data: dict) -> set[str]:
    return {f["id"] for f in data["findings"] if not f["silenced"]}


def test_silence_flag_moves_a_finding_out_of_status_and_exit_code(tmp_path: Path) -> None:
    done, data = doctor(tmp_path)
    assert data is not None and "postgres.legacy_scheme" in active_ids(data)
    loud = {f["id"] for f in data["findings"]}
    done, quiet = doctor(tmp_path, "--silence", ",".join(sorted(loud)))
    assert quiet is not None and quiet["status"] == "ok" and done.returncode == 0
    assert {f["id"] for f in quiet["findings"] if f["silenced"]} == loud  # still in the JSON, marked


def test_doctor_silence_in_env_and_pyproject_add_up(tmp_path: Path) -> None:
    _, data = doctor(tmp_path)
    assert data is not None
    loud = sorted({f["id"] for f in data["findings"]})
    first, rest = loud[0], loud[1:]
    (tmp_path / "pyproject.toml").write_text(f"[tool.doctor]\nsilence = {json.dumps(rest)}\n")
    done, quiet = doctor(tmp_path, env_text=ENV + f"DOCTOR_SILENCE={first}\n")
    assert quiet is not None and quiet["status"] == "ok", quiet["findings"]
    assert done.returncode == 0


def test_text_counts_silenced_findings_in_the_verdict(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV)
    done = run_doctor("--offline", "--silence", "postgres", env=clean_environ(), cwd=tmp_path)
    assert "silenced" in done.stdout.splitlines()[-1]
    assert "postgres.legacy_scheme" not in done.stdout


def test_an_unknown_id_is_a_usage_error_before_any_check_runs(tmp_path: Path) -> None:
    for args, env_text in ((("--silence", "postgres.no_such_thing"), ENV),
                           ((), ENV + "DOCTOR_SILENCE=redis.nope\n")):
        done, data = doctor(tmp_path, *args, env_text=env_text)
        assert done.returncode == 2 and data is None and done.stdout == ""
        assert "no installed check declares" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    (tmp_path / "pyproject.toml").write_text('[tool.doctor]\nsilence = "postgres"\n')
    done, _ = doctor(tmp_path)
    assert done.returncode == 2 and "must be a list" in done.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.doctor\n")
    done, _ = doctor(tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (tmp_path / "pyproject.toml").write_text("")
    done, _ = doctor(tmp_path, "--silence", "")
    assert done.returncode == 2

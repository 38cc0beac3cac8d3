"""`--offline` runs drive the checks without an event loop (no asyncio import), with the same
results the concurrent Runner gives; a check that does await something falls back to the Runner."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from doctor.context import Context, RunOptions
from doctor.inline import run_inline
from doctor.registry import discover
from doctor.runner import Runner
from tests.engine.test_plugins import report
from tests.helpers import HEALTHY_DEV, HEALTHY_PROD, clean_environ, make_context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken.env"


def comparable(results: list) -> list[tuple]:
    return [(r.id, r.status, r.reason, r.skip_vars, r.vars_read, r.offline_partial,
             [(f.id, f.severity, f.title, f.detail, f.fix, f.vars, f.docs) for f in r.findings]) for r in results]


@pytest.mark.parametrize("values", [HEALTHY_DEV, HEALTHY_PROD, {**HEALTHY_PROD, "ENCRYPTION_KEY": "short",
                                                                  "SECRET_KEY": "changeme", "REDIS_URL": "bad"}])
def test_inline_results_equal_the_runners(values: dict[str, str]) -> None:
    checks = discover().checks
    base = make_context(values)
    offline = Context(base.config, RunOptions(offline=True))
    inline = run_inline(checks, offline, 30)
    assert inline is not None
    concurrent = asyncio.run(Runner(checks, Context(base.config, RunOptions(offline=True)), 30).run())
    assert comparable(inline) == comparable(concurrent)


def test_an_offline_run_loads_neither_asyncio_nor_rich(tmp_path: Path) -> None:
    code = ("import sys, io, contextlib\nfrom doctor.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    code = main(['--env-file', sys.argv[1], '--offline'])\n"
            "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'asyncio', 'rich'}), len(out.getvalue()))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True,
                          env=clean_environ(), cwd=tmp_path)
    code_, loaded, length = proc.stdout.split(" ", 2)
    assert (code_, loaded) == ("1", "[]"), proc.stdout + proc.stderr
    assert int(length) > 1000


def test_a_check_that_awaits_falls_back_to_the_runner_and_its_timeout() -> None:
    started = time.monotonic()
    data, proc = report("--offline", "--only", "sample_slow,sample", "--timeout", "1", SAMPLE_FLAG="on")
    assert {c["id"]: c["status"] for c in data["checks"]} == {"sample_slow": "timed_out", "sample": "passed"}
    assert time.monotonic() - started < 20


def test_prerequisites_run_first_and_skip_their_dependents_offline() -> None:
    data, _ = report("--offline", "--only", "sample_dependent,sample", SAMPLE_FLAG="off")
    dependent = next(c for c in data["checks"] if c["id"] == "sample_dependent")
    assert dependent["status"] == "skipped" and dependent["reason"].startswith("because sample failed")
    assert [f["id"] for f in data["findings"]] == ["sample.flag_off"]


def test_a_crashing_check_is_contained_offline() -> None:
    data, proc = report("--offline", "--only", "sample_crash,sample_malformed,sample", SAMPLE_FLAG="on",
                        SECRET_KEY="CANARYinline0123456789abcdef")
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"sample_crash": "crashed", "sample_malformed": "crashed", "sample": "passed"}
    assert "CANARYinline" not in json.dumps(data) and proc.returncode == 1


def test_the_dotenv_git_rules_work_inline(tmp_path: Path) -> None:
    """The git probe runs as a plain subprocess when no loop runs: a tracked .env is still found."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    env = tmp_path / ".env"
    env.write_text("".join(f"{k}={v}\n" for k, v in HEALTHY_DEV.items()))
    subprocess.run(["git", "-C", str(tmp_path), "add", ".env"], check=True)
    proc = subprocess.run([sys.executable, "-m", "doctor", "--offline", "--format", "json", "--only", "dotenv"],
                          capture_output=True, text=True, env=clean_environ(), cwd=tmp_path)
    assert "dotenv.tracked_by_git" in {f["id"] for f in json.loads(proc.stdout)["findings"]}

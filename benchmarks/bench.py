"""Measure the doctor's speed and memory in one run; print ratios, not absolute claims.

    python benchmarks/bench.py            # all three parts
    python benchmarks/bench.py --part a   # one part (a, b or c)

(a) every live check pointed at listeners that accept and never answer, with --timeout 2:
    the whole run's wall time against the timeout (concurrent checks: about 1x, not 7x).
(b) all checks against healthy loopback servers (PostgreSQL, Redis, SMTP, moto S3 and the
    Stripe/Twilio/Google wire-format servers of the test suite): wall time of the run against
    the slowest single check.
(c) start-up: `doctor --version`, `doctor list`, `doctor explain ID` and an `--offline` run
    against a bare `python -c pass`, with peak RSS. Wall times are of the plain commands (the
    peak-RSS hook runs in separate runs), so they agree with an external timer:
        hyperfine -N -w 3 "python3 -c pass" "doctor --version" "doctor list" "doctor --offline"

Parts (a) and (b) use the test suite's servers: run them with the test venv
(`.venv/bin/python benchmarks/bench.py`, after README's test command); (b) needs PostgreSQL and
redis-server. Part (c) needs only the doctor: run it with the interpreter of a plain
`pip install .` (README's first command), because an editable install's import hook slows the
bare `python -c pass` baseline too and so flatters every ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def clean_environ(**extra: str) -> dict[str, str]:
    """A minimal environment for the doctor subprocesses (as the test suite's helper makes it)."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    return {**keep, **extra}

DOCTOR = [sys.executable, "-m", "doctor"]
# The console script a user types; `python -m doctor` when it is not installed next to python.
SCRIPT = Path(sys.executable).with_name("doctor")
DOCTOR_COMMAND = [str(SCRIPT)] if SCRIPT.exists() else DOCTOR


# Peak RSS must come from the child itself: on Linux a forked child's ru_maxrss (wait4) starts at
# the parent's RSS and survives exec, so wait4 reports this (pytest-importing) script's size for
# every small command. VmHWM belongs to the exec'd image alone.
_PEAK_HOOK = """import atexit as _a, sys as _s
def _peak(path={path!r}):
    with open('/proc/self/status') as status, open(path, 'a') as out:
        out.write(next(line.split()[1] for line in status if line.startswith('VmHWM')) + '\\n')
_a.register(_peak)
"""


def with_peak_report(command: list[str], path: str) -> list[str]:
    """`python -c CODE ...` or `python -m MODULE ...`, reporting its own peak RSS (KiB) to `path` at
    exit; other commands unchanged."""
    if command[:1] != [sys.executable] or len(command) < 3 or not Path("/proc/self/status").exists():
        return command
    hook = _PEAK_HOOK.format(path=path)
    if command[1] == "-c":
        return [sys.executable, "-c", hook + command[2], *command[3:]]
    if command[1] == "-m":
        run = f"import runpy; runpy.run_module({command[2]!r}, run_name='__main__', alter_sys=True)"
        return [sys.executable, "-c", hook + run, *command[3:]]
    return command


def measure(command: list[str], env: dict[str, str], repeat: int = 1, rss: bool = False) -> tuple[float, int, str]:
    """Median wall seconds, peak RSS in KiB (0 unless `rss`), and the last stdout of `command`.

    The wall time is of the command as given, timed from outside (spawn to reaped), like
    hyperfine; the peak RSS comes from separate runs with a reporting hook prepended, which
    would otherwise add its own import time to the figure.
    """
    walls, peaks, out = [], [], ""
    for _ in range(repeat):
        if rss:  # start-up figures: spawn straight to /dev/null, as `hyperfine -N` does
            walls.append(_spawn_wall(command, env))
            continue
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        walls.append(time.perf_counter() - started)
        out = done.stdout
    for _ in range(3 if rss else 0):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
            proc = subprocess.Popen(with_peak_report(_as_python(command), report.name),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            reported = report.read().split()
        peaks.append(int(reported[-1]) if reported else usage.ru_maxrss)
    return statistics.median(walls), max(peaks, default=0), out


def _spawn_wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from posix_spawn to reaping, output to /dev/null: no fork of this (large) process and
    no pipe to drain, which would add milliseconds to every small command and flatter the ratios."""
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    started = time.perf_counter()
    pid = os.posix_spawn(command[0], command, env, file_actions=devnull)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def _as_python(command: list[str]) -> list[str]:
    """The console script `doctor ARGS` as `python -m doctor ARGS`, so the RSS hook can be prepended."""
    return [*DOCTOR, *command[1:]] if command[:1] == [str(SCRIPT)] else command


def write_env(values: dict[str, str]) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".env", delete=False)
    handle.write("".join(f"{k}={v}\n" for k, v in values.items()))
    handle.close()
    return handle.name


def part_a() -> dict[str, Any]:
    """Every live check against a silent listener, --timeout 2."""
    timeout = 2.0
    with ExitStack() as stack:
        from tests.helpers import HEALTHY_DEV
        from tests.servers.http import SilentListener

        silent = [stack.enter_context(SilentListener()) for _ in range(7)]
        base = [f"http://127.0.0.1:{s.port}" for s in silent]
        config = {
            **HEALTHY_DEV,
            "DATABASE_URL": f"postgresql://u:p@127.0.0.1:{silent[0].port}/d",
            "REDIS_URL": f"redis://127.0.0.1:{silent[1].port}/0",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(silent[2].port),
            "AWS_ENDPOINT_URL": base[3],
            "DOCTOR_STRIPE_API_BASE": base[4],
            "DOCTOR_TWILIO_API_BASE": base[5],
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "1" * 32, "TWILIO_PHONE_NUMBER": "+14155550123",
            "DOCTOR_GOOGLE_TOKEN_URL": base[6] + "/token", "DOCTOR_GOOGLE_AUTH_URL": base[6] + "/auth",
        }
        path = write_env(config)
        checks = "postgres,redis,smtp,s3,stripe,twilio,oauth"
        wall, _, out = measure([*DOCTOR, "--env-file", path, "--only", checks, "--timeout", str(timeout),
                                "--format", "json"], clean_environ())
    data = json.loads(out)
    durations = {c["id"]: c["duration_ms"] for c in data["checks"]}
    summed = sum(durations.values()) / 1000
    return {"checks": len(durations), "timeout_s": timeout, "wall_s": round(wall, 2),
            "wall_over_timeout": round(wall / timeout, 2),
            "sum_of_check_durations_s": round(summed, 2), "sum_over_wall": round(summed / wall, 2),
            "findings": [f["id"] for f in data["findings"]]}


def part_b() -> dict[str, Any]:
    """All checks against healthy loopback servers."""
    from benchmarks.healthy import healthy_servers

    with healthy_servers() as (config, environ):
        path = write_env(config)
        wall, _, out = measure([*DOCTOR, "--env-file", path, "--format", "json"], clean_environ(**environ))
    data = json.loads(out)
    durations = {c["id"]: c["duration_ms"] for c in data["checks"]}
    slowest = max(durations, key=durations.get)
    start_up, _, _ = measure([*DOCTOR, "--version"], clean_environ(), repeat=3)
    return {"status": data["status"], "wall_s": round(wall, 2), "slowest_check": slowest,
            "slowest_s": durations[slowest] / 1000, "sum_of_checks_s": round(sum(durations.values()) / 1000, 2),
            "wall_over_slowest": round(wall / max(durations[slowest] / 1000, 1e-3), 2),
            "wall_minus_startup_over_slowest": round((wall - start_up) / max(durations[slowest] / 1000, 1e-3), 2),
            "durations_ms": durations, "findings": [f["id"] for f in data["findings"]]}


def part_c() -> dict[str, Any]:
    """Start-up time and peak memory against a bare interpreter."""
    env = clean_environ()
    path = str(ROOT / "examples" / "broken.env")  # what an operator runs it on; needs no test extras
    commands = {
        "version": [*DOCTOR_COMMAND, "--version"],
        "list": [*DOCTOR_COMMAND, "list"],
        "explain": [*DOCTOR_COMMAND, "explain", "postgres.auth_failed"],
        "offline": [*DOCTOR_COMMAND, "--env-file", path, "--offline"],
    }
    bare, bare_rss, _ = measure([sys.executable, "-c", "pass"], env, repeat=21, rss=True)
    result: dict[str, Any] = {"python_c_pass_s": round(bare, 4), "command": " ".join(DOCTOR_COMMAND)}
    rss = {"python_c_pass": bare_rss}
    for name, command in commands.items():
        wall, peak, _ = measure(command, env, repeat=21 if name != "offline" else 11, rss=True)
        result[f"{name}_s"] = round(wall, 4)
        result[f"{name}_over_bare"] = round(wall / bare, 1)
        rss[name] = peak
    result["rss_kib"] = rss
    result["offline_rss_over_bare"] = round(rss["offline"] / bare_rss, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("a", "b", "c"), action="append")
    args = parser.parse_args()
    parts = {"a": part_a, "b": part_b, "c": part_c}
    for name in args.part or ["a", "b", "c"]:
        print(f"({name})", json.dumps(parts[name](), indent=2))


if __name__ == "__main__":
    main()

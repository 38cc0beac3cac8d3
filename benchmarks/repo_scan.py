"""The `repo` check's scan against git's own read of the same repository, and against what a person types.

    .venv/bin/python benchmarks/repo_scan.py [--commits 20000] [--megabytes 200] [--runs 3] [--keep DIR]

Generates (with `git fast-import`, then `git repack -adf`, as `git gc` would leave it) a repository
of `--commits` commits whose blobs add up to `--megabytes` MB: 400 source-like files, each commit
editing a few lines of one of them, with configured secrets planted on the way (a settings file
that held SECRET_KEY and was later deleted, a committed .env removed the next commit, a
docker-compose file holding the database password percent-encoded at HEAD). Then times, median
of `--runs`:

- floor: `git cat-file --batch-all-objects --batch >/dev/null` (git's own read of every object),
  and the same with `--unordered` (pack order, the way the check reads);
- scan: `doctor --only repo --repo DIR --offline --timeout 600 --format json`, the whole command;
- grep: `git log -p --all | grep -F -f values` (every value, in a file).

and prints each as a ratio. Needs git and grep; takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

SECRETS = {
    "SECRET_KEY": "Bq7Yw1Zr0cK9vLx3Tn5Hs8Pm2Df6Gj4Aa1Ee9Ii7Oo5Uu3Yy1Rr8Tt6Ww4Qq2Zz0Xx",
    "ENCRYPTION_KEY": "Jm2Xk8Lp4Qr6Ts0Uv9Wx7Yz5Ab3Cd1Ef8Gh6Ij4Kl2Mn0=",
    "STRIPE_SECRET_KEY": "sk_live_51Rb8Xq2Wv6Ty0Ui4Op8As2Df6Gh0Jk4Lz8Xc2Vb6Nm0Qw4Er8",
    "MAIL_PASSWORD": "qzvtkpwhmxrbjnsd",
}
DB_PASSWORD = "Pg7/rq+Tz9@kW2x!Lm5"
DATABASE_URL = f"postgresql://app:{quote(DB_PASSWORD, safe='')}@db.internal:5432/app"
FILES = 400
WORDS = ("def", "return", "self", "import", "class", "for", "in", "if", "else", "value", "config", "user", "token",
         "session", "request", "response", "async", "await", "raise", "None", "True", "False", "data", "items")


def _line(rng: random.Random) -> bytes:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    return f"    {words}  # {rng.getrandbits(64):016x}\n".encode()


def _fast_import(directory: Path, commits: int, target_bytes: int, rng: random.Random) -> int:
    """Write the history with `git fast-import`; returns the total size of the blobs written."""
    lines_per_file = max(8, target_bytes // commits // 52)
    files = {f"src/pkg{i % 20}/module{i}.py": [_line(rng) for _ in range(lines_per_file)] for i in range(FILES)}
    names = sorted(files)
    process = subprocess.Popen(["git", "-C", str(directory), "fast-import", "--quiet", "--depth=50"],
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    out = process.stdin
    total = 0
    stamp = 1_600_000_000

    def commit(number: int, changes: list[tuple[str, bytes | None]]) -> None:
        nonlocal total
        body = b"".join(
            (f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n") if data is not None
            else f"D {path}\n".encode() for path, data in changes)
        message = f"change {number}".encode()
        author = f"Dev <dev@example.com> {stamp + number * 600} +0000"
        out.write(f"commit refs/heads/main\ncommitter {author}\ndata {len(message)}\n".encode() + message + b"\n")
        if number == 0:
            out.write(b"deleteall\n")
        out.write(body + b"\n")
        total += sum(len(d) for _, d in changes if d is not None)

    commit(0, [(name, b"".join(files[name])) for name in names])
    planted = {100: ("config/settings.py", f'SECRET_KEY = "{SECRETS["SECRET_KEY"]}"\n'.encode()),
               300: (".env", "".join(f"{k}={v}\n" for k, v in SECRETS.items()).encode()),
               301: (".env", None), 5000: ("config/settings.py", None),
               commits - 50: ("docker-compose.yml", f"DATABASE_URL: {DATABASE_URL}\n".encode())}
    for number in range(1, commits):
        name = names[rng.randrange(len(names))]
        lines = files[name]
        for _ in range(4):
            lines[rng.randrange(len(lines))] = _line(rng)
        changes: list[tuple[str, bytes | None]] = [(name, b"".join(lines))]
        if number in planted:
            changes.append(planted[number])
        commit(number, changes)
    out.close()
    if process.wait() != 0:
        sys.exit("git fast-import failed")
    return total


def generate(directory: Path, commits: int, megabytes: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)
    started = time.monotonic()
    total = _fast_import(directory, commits, megabytes * 1_000_000, random.Random(11))
    subprocess.run(["git", "-C", str(directory), "repack", "-adf", "-q", "--window=10", "--depth=50"], check=True)
    subprocess.run(["git", "-C", str(directory), "checkout", "-q", "-f", "main"], check=True)
    pack = sum(p.stat().st_size for p in (directory / ".git" / "objects" / "pack").glob("*.pack"))
    print(f"generated {commits:,} commits, {total / 1e6:,.0f} MB of blobs, pack {pack / 1e6:,.0f} MB "
          f"in {time.monotonic() - started:.0f} s")


def timed(command: str | list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of `command` (a shell line or argv), output discarded."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, shell=isinstance(command, str), stdout=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR (reused when it already holds a repository)")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="doctor-repo-bench-"))
    try:
        if not (base / ".git").is_dir():
            base.mkdir(parents=True, exist_ok=True)
            generate(base, args.commits, args.megabytes)
        values = base.parent / f"{base.name}.values"
        forms = [*SECRETS.values(), DB_PASSWORD, quote(DB_PASSWORD, safe="")]
        values.write_text("".join(f"{v}\n" for v in forms))
        doctor = shutil.which("doctor", path=str(Path(sys.executable).parent)) or "doctor"
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "DATABASE_URL": DATABASE_URL,
               **SECRETS}
        scan_command = [doctor, "--only", "repo", "--repo", str(base), "--offline", "--timeout", "600",
                        "--format", "json"]
        report = json.loads(subprocess.run(scan_command, env=env, capture_output=True, text=True).stdout)
        found = sorted(f"{f['id']} {','.join(f['vars'])}" for f in report["findings"])
        print("the scan reports:", *found, sep="\n  ")
        git = f"git -C {base}"
        floor = timed(f"{git} cat-file --batch-all-objects --batch >/dev/null", args.runs)
        floor_unordered = timed(f"{git} cat-file --batch-all-objects --unordered --batch >/dev/null", args.runs)
        scan = timed(scan_command, args.runs, env)
        grep = timed(f"{git} log -p --all | grep -F -f {values} >/dev/null", max(1, args.runs // 2))
        print(f"floor  cat-file --batch-all-objects --batch          {floor:7.2f} s")
        print(f"floor  … --unordered (pack order)                    {floor_unordered:7.2f} s")
        print(f"scan   doctor --only repo (whole command)            {scan:7.2f} s")
        print(f"grep   git log -p --all | grep -F -f values          {grep:7.2f} s")
        print(f"scan / floor {scan / floor:.2f} ×, scan / unordered floor {scan / floor_unordered:.2f} ×, "
              f"grep / scan {grep / scan:.1f} ×")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

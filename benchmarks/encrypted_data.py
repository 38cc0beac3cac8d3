"""Measure the encrypted_data check on a 1,000-row and a 1,000,000-row table; print the ratio.

    python benchmarks/encrypted_data.py postgresql://user:password@localhost/scratch
    BENCH_DATABASE_URL=postgresql://… python benchmarks/encrypted_data.py --repeat 9
    python benchmarks/encrypted_data.py           # no URL: a throwaway cluster (needs initdb, pg_ctl)

It WRITES to the database it is given: schemas `doctor_bench_small`, `doctor_bench_large` and
`doctor_bench_sparse`, each with a `users` table of real Fernet tokens in the three columns the
guide encrypts, dropped at the end (`--keep` leaves them). Use a scratch database. The large table
is 1,000,000 rows (a few hundred MB with its TOAST-free tokens); the sparse one too, NULL in every
column but its last 1,000 rows (the case that defeats a plain `LIMIT`). Each figure is the median
wall time of the check itself, run through the doctor's Runner in this process, so start-up does
not dilute the ratio; a check that scanned its tables would show a ratio near 1,000, not near 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = {"small": (1_000, 0), "large": (1_000_000, 0), "sparse": (1_000_000, 999_000)}  # rows, leading NULL rows
COLUMNS = ("email_encrypted", "full_name_encrypted", "phone_number_encrypted")
DISTINCT = 1_000  # distinct tokens, repeated across the rows (each one is a real token under the key)


def build(url: str, key: str) -> None:
    """Create the three tables (dropping earlier copies) and ANALYZE them."""
    import psycopg
    from cryptography.fernet import Fernet

    fernet = Fernet(key)
    tokens = [fernet.encrypt(f"bench-{i:04d}@example.com".encode()).decode() for i in range(DISTINCT)]
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE TEMP TABLE bench_tokens (i int PRIMARY KEY, t text)")
        with conn.cursor().copy("COPY bench_tokens (i, t) FROM STDIN") as copy:
            for i, token in enumerate(tokens):
                copy.write_row((i, token))
        for name, (rows, nulls) in TABLES.items():
            schema = f"doctor_bench_{name}"
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"CREATE TABLE {schema}.users (id bigint, {', '.join(c + ' text' for c in COLUMNS)})")
            picked = ", ".join(f"CASE WHEN g > {nulls} THEN t.t END" for _ in COLUMNS)
            conn.execute(f"INSERT INTO {schema}.users SELECT g, {picked} FROM generate_series(1, {rows}) g "
                         f"JOIN bench_tokens t ON t.i = g % {DISTINCT}")
            conn.execute(f"VACUUM ANALYZE {schema}.users")


def drop(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        for name in TABLES:
            conn.execute(f"DROP SCHEMA IF EXISTS doctor_bench_{name} CASCADE")


def time_check(url: str, key: str, name: str, repeat: int, timeout: float) -> tuple[float, list[str]]:
    """Median seconds of the check on table `name`, and the finding ids of the last run."""
    from checks.encrypted_data import EncryptedDataCheck
    from doctor.config import Config
    from doctor.context import Context, RunOptions
    from doctor.runner import Runner

    columns = ",".join(f"doctor_bench_{name}.users.{c}" for c in COLUMNS)
    env = {"DATABASE_URL": url, "ENCRYPTION_KEY": key, "DOCTOR_ENCRYPTED_COLUMNS": columns}
    times, found = [], []
    for _ in range(repeat + 1):  # the first run warms the imports and the server's cache: not counted
        ctx = Context(Config([], env), RunOptions(timeout=timeout))
        started = time.perf_counter()
        (result,) = asyncio.run(Runner([EncryptedDataCheck()], ctx, 3 * timeout + 5).run())
        times.append(time.perf_counter() - started)
        found = [f"{f.id} ({f.severity.value})" for f in result.findings]
    return statistics.median(times[1:]), found


def run(url: str, repeat: int, timeout: float, keep: bool) -> dict[str, Any]:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    started = time.perf_counter()
    build(url, key)
    result: dict[str, Any] = {"build_s": round(time.perf_counter() - started, 1), "repeat": repeat}
    try:
        for name in TABLES:
            seconds, found = time_check(url, key, name, repeat, timeout)
            result[f"{name}_s"] = round(seconds, 4)
            result[f"{name}_findings"] = found
    finally:
        if not keep:
            drop(url)
    result["large_over_small"] = round(result["large_s"] / result["small_s"], 2)
    result["sparse_over_small"] = round(result["sparse_s"] / result["small_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a scratch PostgreSQL database (default: $BENCH_DATABASE_URL, else a throwaway cluster)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per table (median; default 7)")
    parser.add_argument("--timeout", type=float, default=10.0, help="the doctor's --timeout (default 10)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark schemas in place")
    args = parser.parse_args()
    if args.url:
        print(json.dumps(run(args.url, args.repeat, args.timeout, args.keep), indent=2))
        return
    from tests.servers.postgres import PostgresCluster, cluster_binaries

    initdb, pg_ctl = cluster_binaries()
    with PostgresCluster(initdb, pg_ctl) as cluster:
        print(json.dumps(run(cluster.url(), args.repeat, args.timeout, args.keep), indent=2))


if __name__ == "__main__":
    main()

"""How the .env reading scales: files of 1, 4 and 10 MB of the shapes that were quadratic once
(a long whitespace run in a value, many keys, an unclosed quote followed by escapes), read the way
`doctor` reads them (parse, python-dotenv's own reading, the configuration merge, the redactor).

    python benchmarks/dotenv_scale.py            # prints seconds per MB for each shape and size

Linear work shows as a flat seconds-per-MB column; quadratic work grows with the size.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from doctor.config import Config  # noqa: E402
from doctor.heroku import parse_dotenv  # noqa: E402

MB = 1024 * 1024


def whitespace_run(size: int) -> bytes:
    return b"SECRET_KEY=x" + b" " * (size - 20) + b"y # note\n"


def many_keys(size: int) -> bytes:
    lines, total, i = [], 0, 0
    while total < size:
        line = f"KEY_{i}=value-{i}-{'v' * 20}\n".encode()
        lines.append(line)
        total += len(line)
        i += 1
    return b"".join(lines)


def unclosed_quote(size: int) -> bytes:
    return b'MAIL_PASSWORD="' + b"\\n" * ((size - 20) // 2) + b"\n"


def long_values(size: int) -> bytes:
    value = b"a" * (64 * 1024)
    return b"".join(f"V{i}=".encode() + value + b"\n" for i in range(size // len(value)))


def read(raw: bytes) -> None:
    config = Config([parse_dotenv(raw, ".env")], {})
    config.redactor()


def seconds(job: Callable[[], None], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mb(job: Callable[[], None]) -> float:
    import tracemalloc

    tracemalloc.start()
    job()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / MB


def main() -> None:
    shapes = {"whitespace run": whitespace_run, "many keys": many_keys, "unclosed quote": unclosed_quote,
              "64 KB values": long_values}
    sizes = (1, 4, 10)  # files over 4 MB are read up to 4 MB (dotenv.truncated)
    print(f"{'shape':<16}" + "".join(f"{f'{n} MB s/MB':>14}" for n in sizes) + f"{'peak MB (4 MB)':>16}")
    for name, make in shapes.items():
        row = []
        for megabytes in sizes:
            raw = make(megabytes * MB)
            row.append(seconds(lambda raw=raw: read(raw)) / megabytes)
        peak = peak_mb(lambda make=make: read(make(4 * MB)))
        print(f"{name:<16}" + "".join(f"{value:>14.3f}" for value in row) + f"{peak:>16.0f}")


if __name__ == "__main__":
    main()

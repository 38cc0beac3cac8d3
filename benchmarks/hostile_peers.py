"""The doctor against hostile loopback peers: wall time against the deadline, peak RSS, exit after Ctrl-C.

    .venv/bin/python benchmarks/hostile_peers.py            # every peer, --timeout 2 --deadline 8
    .venv/bin/python benchmarks/hostile_peers.py --json     # the same figures as JSON

Each peer of tests/servers/hostile.py (`trickle`: one byte per 0.2 s; `huge`: a 2 GB body; `endless`:
a chunked body without end; `html`: a captive portal's 200; `other_json`: JSON of another shape)
answers every HTTP-based check at once (Stripe, Twilio, Google OAuth, S3 via AWS_ENDPOINT_URL), and
REDIS_URL points at a RESP server whose INFO reply is 500 MB. `refused` (nothing listens) is the
baseline: the doctor's own size with every SDK imported. Per peer the doctor runs twice: to the end
(wall time / deadline, peak RSS of the doctor process, its VmHWM sampled while it runs), and with SIGINT sent after
`--interrupt-after` seconds (seconds from the signal to the exit). Run it with the test venv after
README's test command; it needs nothing but loopback.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import HEALTHY_PROD, clean_environ, free_port  # noqa: E402
from tests.servers.hostile import MODES, HostileHTTP, HugeRedis, Measured, measure  # noqa: E402

TIMEOUT = 2.0
DEADLINE = 8.0


def config(http_port: int | None, redis_port: int) -> dict[str, str]:
    """A full staging configuration whose HTTP endpoints are `http_port` (None: a refused port)."""
    base = f"http://127.0.0.1:{http_port or free_port()}"
    return {**HEALTHY_PROD, "ENVIRONMENT": "staging",
            "DATABASE_URL": f"postgresql://chaski:pw-for-bench@127.0.0.1:{free_port()}/chaski",
            "REDIS_URL": f"redis://:pw-for-bench@127.0.0.1:{redis_port}/0",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port()),
            "AWS_ENDPOINT_URL": base, "DOCTOR_STRIPE_API_BASE": base, "DOCTOR_TWILIO_API_BASE": base,
            "DOCTOR_GOOGLE_TOKEN_URL": base + "/token", "DOCTOR_GOOGLE_AUTH_URL": base + "/auth"}


def run(mode: str, redis: HugeRedis, interrupt_after: float | None) -> Measured:
    """One doctor run with every HTTP check at a `mode` peer (`refused`: none listens)."""
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="doctor-bench-") as cwd:
        peer = stack.enter_context(HostileHTTP(mode)) if mode != "refused" else None
        env = clean_environ(**config(peer.port if peer else None, redis.port if peer else free_port()))
        command = [sys.executable, "-m", "doctor", "--timeout", f"{TIMEOUT:g}", "--deadline", f"{DEADLINE:g}",
                   "--format", "json"]
        return measure(command, env, cwd, interrupt_after=interrupt_after)


def row(mode: str, redis: HugeRedis, interrupt_after: float) -> dict[str, object]:
    """The figures for one peer."""
    whole = run(mode, redis, None)
    stopped = run(mode, redis, interrupt_after)
    found = sorted({f["id"] for f in json.loads(whole.stdout)["findings"]}) if whole.stdout.strip() else []
    return {"peer": mode, "exit": whole.returncode, "wall_s": round(whole.wall_s, 2),
            "wall_over_deadline": round(whole.wall_s / DEADLINE, 2), "peak_rss_mb": round(whole.peak_rss_mb, 1),
            "sigint_exit": stopped.returncode, "exit_after_sigint_s": (None if stopped.exit_after_signal_s is None
                                                                     else round(stopped.exit_after_signal_s, 2)),
            "findings": [i for i in found if i.split(".")[0] in ("stripe", "twilio", "oauth", "s3", "redis")]}


def main() -> None:
    """Measure every peer and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--interrupt-after", type=float, default=1.0, help="seconds before SIGINT (default 1)")
    args = parser.parse_args()
    with HugeRedis() as redis:
        rows = [row(mode, redis, args.interrupt_after) for mode in ("refused", *MODES)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"--timeout {TIMEOUT:g} --deadline {DEADLINE:g}; SIGINT after {args.interrupt_after:g} s")
    print(f"{'peer':<11} {'wall':>6} {'/deadline':>9} {'peak RSS':>9} {'after SIGINT':>12}  findings")
    for r in rows:
        after = "ended first" if r["exit_after_sigint_s"] is None else f"{r['exit_after_sigint_s']:.2f}s"
        print(f"{r['peer']:<11} {r['wall_s']:>5.2f}s {r['wall_over_deadline']:>9.2f} {r['peak_rss_mb']:>6.1f} MB "
              f"{after:>12}  {', '.join(r['findings'])}")  # type: ignore[arg-type]
    worst = max(rows, key=lambda r: float(r["wall_s"]))  # type: ignore[arg-type]
    signalled = [float(r["exit_after_sigint_s"]) for r in rows if r["exit_after_sigint_s"] is not None]  # type: ignore[arg-type]
    print(f"worst wall {worst['wall_s']} s ({worst['peer']}) against the {DEADLINE:g} s deadline; max peak RSS "
          f"{max(float(r['peak_rss_mb']) for r in rows):.1f} MB; max exit after SIGINT "  # type: ignore[arg-type]
          f"{max(signalled, default=0):.2f} s")


if __name__ == "__main__":
    main()

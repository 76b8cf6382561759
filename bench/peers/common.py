"""Shared by the peer drivers: the command line bench/peers.ts passes, the workload order, and the one
JSON line each driver prints on stdout (everything else goes to stderr)."""

import argparse
import json
import socket
import sys
import time

WORKLOADS = ("chain", "fanout", "throughput")


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--chain", type=int, default=50, help="steps in the dependent chain")
    p.add_argument("--fanout", type=int, default=100, help="parallel steps between the root and the join")
    p.add_argument("--jobs", type=int, default=100, help="single-step runs submitted at once")
    p.add_argument("--concurrency", type=int, default=32, help="steps allowed to run at once")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workdir", required=True, help="a scratch folder this driver owns")
    p.add_argument("--step", default="/bin/true", help="the executable every step runs")
    p.add_argument("--db-url", help="a PostgreSQL URL for the peer's metadata database (else SQLite)")
    return p.parse_args()


def log(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_rounds(args: argparse.Namespace, run_one) -> dict:
    """run_one(workload) -> seconds. Rounds of chain, fan-out, throughput (interleaved), `repeats` times."""
    out = {w: [] for w in WORKLOADS}
    for r in range(args.repeats):
        for w in WORKLOADS:
            s = run_one(w)
            out[w].append(s)
            log(f"round {r + 1}/{args.repeats} {w}: {s:.3f} s")
    return out


def emit(result: dict) -> None:
    print(json.dumps(result), flush=True)
